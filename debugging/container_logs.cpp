#include "debugging/container_logs.hpp"

#include "debugging/endpoints.hpp"
#include "kube/time.hpp"

#include <boost/json/parse.hpp>

#include <cctype>
#include <charconv>
#include <limits>
#include <map>
#include <vector>

namespace ghost::debugging {

namespace {

bool query_bool(const std::string& v) {
    if (v == "0") return false;
    if (v.size() != 5) return true;
    for (std::size_t i = 0; i < 5; ++i)  // strings.EqualFold(v, "false")
        if (std::tolower(static_cast<unsigned char>(v[i])) != "false"[i]) return true;
    return false;
}

std::optional<std::int64_t> parse_int(const std::string& v) {
    std::int64_t n = 0;
    const char* b = v.data();
    const char* e = b + v.size();
    if (b != e && *b == '+') ++b;  // Go's ParseInt takes a sign
    auto [p, ec] = std::from_chars(b, e, n);
    if (ec != std::errc() || p != e || b == e) return std::nullopt;
    return n;
}

struct log_message {
    std::optional<std::chrono::system_clock::time_point> time;
    std::string_view stream;
    std::string text;
};

bool parse_cri(std::string_view line, log_message& m) {
    auto a = line.find(' ');
    if (a == std::string_view::npos) return false;
    auto t = kube::parse_rfc3339(line.substr(0, a));
    if (!t) return false;
    auto rest = line.substr(a + 1);
    auto b = rest.find(' ');
    if (b == std::string_view::npos) return false;
    auto stream = rest.substr(0, b);
    if (stream != "stdout" && stream != "stderr") return false;
    rest = rest.substr(b + 1);
    auto c = rest.find(' ');
    if (c == std::string_view::npos) return false;
    auto tags = rest.substr(0, c);
    bool partial = tags.substr(0, tags.find(':')) == "P";
    auto text = rest.substr(c + 1);
    if (partial && !text.empty() && text.back() == '\n') text.remove_suffix(1);
    m.time = *t;
    m.stream = stream;
    m.text.assign(text);
    return true;
}

bool parse_docker_json(std::string_view line, log_message& m) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (ec || !v.is_object()) return false;
    const auto& o = v.get_object();
    auto str = [&](const char* k) -> std::string_view {
        auto* f = o.if_contains(k);
        return f && f->is_string() ? std::string_view(f->get_string()) : std::string_view{};
    };
    auto stream = str("stream");
    if (stream == "stdout") m.stream = "stdout";
    else if (stream == "stderr") m.stream = "stderr";
    else return false;  // kwok's reader fails on any other stream
    if (auto t = kube::parse_rfc3339(str("time"))) m.time = *t;
    else return false;
    m.text.assign(str("log"));
    return true;
}

}  // namespace

std::optional<log_options> parse_log_query(std::string_view query,
                                           std::chrono::system_clock::time_point now,
                                           std::string& error) {
    std::map<std::string, std::string, std::less<>> first;  // the first value of each name
    auto params = decode_query(query);
    if (!params) {
        error = "Unable to decode query.";
        return std::nullopt;
    }
    for (auto& [key, value] : *params) first.emplace(std::move(key), std::move(value));
    if (auto it = first.find("tail"); it != first.end()) {  // kubelet's backward compatibility
        if (it->second == "all") first.erase("tailLines");
        else first.insert_or_assign("tailLines", it->second);
    }
    log_options o;
    auto flag = [&](const char* name, bool& out) {
        if (auto it = first.find(name); it != first.end()) out = query_bool(it->second);
    };
    flag("follow", o.follow);
    flag("previous", o.previous);
    flag("timestamps", o.timestamps);
    for (auto [name, out] : {std::pair{"tailLines", &o.tail_lines}, {"limitBytes", &o.limit_bytes}}) {
        auto it = first.find(name);
        if (it == first.end()) continue;
        auto n = parse_int(it->second);
        if (!n) {
            error = std::string("Unable to decode query: ") + name + ": expected an integer, got \"" +
                    it->second + "\"";
            return std::nullopt;
        }
        *out = *n;
    }
    if (auto it = first.find("sinceSeconds"); it != first.end()) {
        auto n = parse_int(it->second);
        if (!n) {
            error = "Unable to decode query: sinceSeconds: expected an integer, got \"" +
                    it->second + "\"";
            return std::nullopt;
        }
        o.since = now - std::chrono::seconds(*n);
    }
    if (auto it = first.find("sinceTime"); it != first.end() && !it->second.empty()) {
        auto t = kube::parse_rfc3339(it->second);
        if (!t) {
            error = "Unable to decode query: sinceTime: expected an RFC 3339 time, got \"" +
                    it->second + "\"";
            return std::nullopt;
        }
        if (!o.since || *t > *o.since) o.since = *t;
    }
    return o;
}

std::size_t tail_offset(std::string_view text, std::int64_t lines) {
    if (lines < 0) return 0;
    std::size_t end = text.size();
    if (end > 0 && text[end - 1] == '\n') --end;  // the last line's own newline
    if (lines == 0) return text.size();
    std::int64_t seen = 0;
    for (std::size_t i = end; i > 0; --i) {
        if (text[i - 1] == '\n' && ++seen == lines) return i;
    }
    return 0;
}

log_filter::log_filter(log_options options)
    : options_(std::move(options)),
      remain_(options_.limit_bytes ? *options_.limit_bytes
                                   : std::numeric_limits<std::int64_t>::max()) {
    if (options_.tail_lines && !options_.follow) lines_left_ = *options_.tail_lines;
    if (remain_ <= 0 || (lines_left_ && *lines_left_ <= 0)) done_ = true;
}

bool log_filter::feed(std::string_view line, std::string& out) {
    if (done_) return false;
    log_message m;
    if (format_ == log_format::unknown) {
        if (parse_cri(line, m)) format_ = log_format::cri;
        else if (parse_docker_json(line, m)) format_ = log_format::docker_json;
        else format_ = log_format::plain;
        m = {};
    }
    bool parsed = false;
    switch (format_) {
    case log_format::cri: parsed = parse_cri(line, m); break;
    case log_format::docker_json: parsed = parse_docker_json(line, m); break;
    default:
        m.stream = "stdout";
        m.text.assign(line);
        parsed = true;
    }
    if (!parsed) return true;  // skipped, as kwok's reader skips a line it cannot parse
    bool shown = !(options_.since && m.time && *m.time < *options_.since);
    if (shown) {
        std::string text;
        if (options_.timestamps && new_line_ && m.time)
            text = kube::format_rfc3339_nano(*m.time) + " ";
        text += m.text;
        if (static_cast<std::int64_t>(text.size()) > remain_) text.resize(static_cast<std::size_t>(remain_));
        remain_ -= static_cast<std::int64_t>(text.size());
        out += text;
        if (remain_ <= 0) done_ = true;
    }
    if (lines_left_ && --*lines_left_ <= 0) done_ = true;
    new_line_ = m.text.empty() || m.text.back() == '\n';
    return !done_;
}

}  // namespace ghost::debugging
