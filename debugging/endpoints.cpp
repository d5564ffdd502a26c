#include "debugging/endpoints.hpp"

#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/pct_string_view.hpp>

namespace ghost::debugging {

namespace {

std::optional<std::vector<std::string>> segments(std::string_view rest) {
    std::vector<std::string> out;
    while (!rest.empty()) {
        auto slash = rest.find('/');
        auto seg = rest.substr(0, slash);
        auto pct = boost::urls::make_pct_string_view(seg);
        if (!pct || pct->empty()) return std::nullopt;
        out.push_back(pct->decode());
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
        if (rest.empty()) return std::nullopt;  // a trailing slash: an empty segment
    }
    return out;
}

}  // namespace

std::string_view endpoint_prefix(endpoint e) {
    switch (e) {
    case endpoint::container_logs: return "/containerLogs/";
    case endpoint::exec: return "/exec/";
    case endpoint::attach: return "/attach/";
    case endpoint::port_forward: return "/portForward/";
    }
    return {};
}

std::optional<pod_target> parse_endpoint_path(endpoint e, std::string_view path) {
    auto prefix = endpoint_prefix(e);
    if (!path.starts_with(prefix)) return std::nullopt;
    auto segs = segments(path.substr(prefix.size()));
    if (!segs) return std::nullopt;
    const auto n = segs->size();
    pod_target t;
    switch (e) {
    case endpoint::container_logs:
        if (n != 3) return std::nullopt;
        t = {(*segs)[0], (*segs)[1], "", (*segs)[2]};
        break;
    case endpoint::exec:
    case endpoint::attach:
        if (n == 3) t = {(*segs)[0], (*segs)[1], "", (*segs)[2]};
        else if (n == 4) t = {(*segs)[0], (*segs)[1], (*segs)[2], (*segs)[3]};
        else return std::nullopt;
        break;
    case endpoint::port_forward:
        if (n == 2) t = {(*segs)[0], (*segs)[1], "", ""};
        else if (n == 3) t = {(*segs)[0], (*segs)[1], (*segs)[2], ""};
        else return std::nullopt;
        break;
    }
    return t;
}

std::optional<std::vector<std::pair<std::string, std::string>>> decode_query(std::string_view query) {
    // A std::string, never a null view (Boost.URL 1.81 would strlen(nullptr)).
    std::string spaced(query);
    for (std::string::size_type at = 0; (at = spaced.find('+', at)) != std::string::npos;)
        spaced.replace(at, 1, "%20");
    auto params = boost::urls::parse_query(boost::core::string_view(spaced.data(), spaced.size()));
    if (!params) return std::nullopt;
    std::vector<std::pair<std::string, std::string>> out;
    boost::urls::params_view decoded = *params;
    for (auto p : decoded) out.emplace_back(p.key, p.has_value ? p.value : std::string());
    return out;
}

std::vector<std::string> query_values(std::string_view query, std::string_view name) {
    std::vector<std::string> out;
    auto params = decode_query(query);
    if (!params) return out;
    for (auto& [key, value] : *params)
        if (key == name) out.push_back(std::move(value));
    return out;
}

}  // namespace ghost::debugging
