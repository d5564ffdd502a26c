#include "kube/stream_upgrade.hpp"

#include <boost/beast/http/status.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>

namespace ghost::kube {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

std::string join(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? " " : "") + items[i];
    return out + "]";
}

}  // namespace

std::variant<std::string, upgrade_refusal> negotiate_stream_upgrade(
    const engine::request_head& head, std::span<const std::string_view> server_protocols) {
    // The version header is checked first, as httpstream.Handshake runs before the upgrader.
    std::vector<std::string> offered;
    bool present = false;
    for (const auto& [name, value] : head.headers) {
        if (!boost::beast::iequals(name, "X-Stream-Protocol-Version")) continue;
        present = true;
        std::string_view rest = value;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            auto item = trim(rest.substr(0, comma));
            if (!item.empty()) offered.emplace_back(item);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        }
    }
    if (!present)
        return upgrade_refusal{400,
                               "unable to upgrade: header X-Stream-Protocol-Version does not "
                               "exist in request",
                               {}};
    if (offered.empty())
        return upgrade_refusal{400,
                               "unable to upgrade: header X-Stream-Protocol-Version contains no "
                               "valid protocols",
                               {}};
    std::string chosen;
    for (const auto& client : offered) {
        if (std::find(server_protocols.begin(), server_protocols.end(), client) !=
            server_protocols.end()) {
            chosen = client;
            break;
        }
    }
    if (chosen.empty()) {
        upgrade_refusal r{403, "", {}};
        std::vector<std::string> ours;
        for (auto p : server_protocols) {
            ours.emplace_back(p);
            r.headers.emplace_back("X-Accepted-Stream-Protocol-Versions", std::string(p));
        }
        r.message = "unable to upgrade: unable to negotiate protocol: client supports " +
                    join(offered) + ", server accepts " + join(ours);
        return r;
    }
    if (lower(head.header("Connection")).find("upgrade") == std::string::npos ||
        lower(head.header("Upgrade")).find("spdy/3.1") == std::string::npos)
        return upgrade_refusal{400,
                               "unable to upgrade: missing upgrade headers in request "
                               "(Connection: Upgrade, Upgrade: SPDY/3.1)",
                               {}};
    return chosen;
}

std::string switching_protocols_reply(std::string_view protocol) {
    std::string out = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                      "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ";
    out.append(protocol);
    out += "\r\n\r\n";
    return out;
}

std::string http_error_reply(unsigned status, std::string_view message,
                             const engine::header_list& headers) {
    namespace http = boost::beast::http;
    auto reason = http::obsolete_reason(static_cast<http::status>(status));
    std::string body(message);
    body += '\n';
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
    out += "Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n";
    for (const auto& [k, v] : headers) out += k + ": " + v + "\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
    return out + body;
}

std::vector<std::string> query_values(std::string_view target, std::string_view key) {
    std::vector<std::string> out;
    auto url = boost::urls::parse_origin_form(target);
    if (!url) return out;
    for (auto param : url->params())
        if (param.key == key) out.emplace_back(param.has_value ? param.value : std::string());
    return out;
}

}  // namespace ghost::kube
