#include "bench/scenario/tcp_bytes.hpp"

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace ghost::bench {

std::map<std::string, tcp_bytes> parse_ss_output(std::string_view text, pid_t pid) {
    std::map<std::string, tcp_bytes> out;
    const std::string mark = "pid=" + std::to_string(pid) + ",";
    std::string key;  // of the connection whose detail line comes next; "" when not ours
    auto number_after = [](std::string_view line, std::string_view field) {
        auto at = line.find(field);
        if (at == std::string_view::npos) return 0.0;
        return std::strtod(std::string(line.substr(at + field.size(), 24)).c_str(), nullptr);
    };
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (line.empty()) continue;
        if (line[0] != ' ' && line[0] != '\t') {
            // "ESTAB 0 0 127.0.0.1:5000 127.0.0.1:6443 users:((...pid=N,fd=7))"
            key.clear();
            if (line.find(mark) == std::string_view::npos) continue;
            std::istringstream words{std::string(line)};
            std::string state, recvq, sendq, local, peer;
            if (words >> state >> recvq >> sendq >> local >> peer) key = local + " " + peer;
            continue;
        }
        if (key.empty()) continue;
        out[key] = {number_after(line, "bytes_acked:"), number_after(line, "bytes_received:")};
        key.clear();
    }
    return out;
}

tcp_bytes tcp_delta_mb(const std::map<std::string, tcp_bytes>& before,
                       const std::map<std::string, tcp_bytes>& after) {
    tcp_bytes d;
    for (const auto& [key, b] : after) {
        auto it = before.find(key);
        double sent0 = it == before.end() ? 0 : it->second.sent;
        double received0 = it == before.end() ? 0 : it->second.received;
        d.sent += std::max(0.0, b.sent - sent0);
        d.received += std::max(0.0, b.received - received0);
    }
    d.sent /= 1e6;
    d.received /= 1e6;
    return d;
}

}  // namespace ghost::bench
