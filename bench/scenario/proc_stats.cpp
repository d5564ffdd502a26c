#include "bench/scenario/proc_stats.hpp"

#include "engine/subprocess.hpp"

#include <csignal>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace ghost::bench {

std::optional<proc_sample> read_proc(pid_t pid) {
    if (pid <= 0) return std::nullopt;
    const std::string base = "/proc/" + std::to_string(pid);
    std::ifstream stat(base + "/stat");
    std::string line;
    if (!stat || !std::getline(stat, line)) return std::nullopt;
    // comm may contain spaces and parentheses: fields start after the last ')'.
    auto close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(line.substr(close + 2));
    std::string f;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && (fields >> f); ++i) {
        if (i == 3 && f == "Z") return std::nullopt;   // zombie: exited
        if (i == 14) utime = std::stoull(f);
        if (i == 15) stime = std::stoull(f);
    }
    proc_sample s;
    s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    std::ifstream status(base + "/status");
    while (std::getline(status, line)) {
        auto kb = [&](const char* key) {
            return std::stod(line.substr(std::string(key).size())) / 1024.0;
        };
        if (line.rfind("VmRSS:", 0) == 0) s.rss_mb = kb("VmRSS:");
        if (line.rfind("VmHWM:", 0) == 0) s.hwm_mb = kb("VmHWM:");
    }
    return s;
}

bool process_alive(pid_t pid) {
    return pid > 0 && read_proc(pid).has_value();
}

std::map<std::string, tcp_bytes> read_tcp_bytes(pid_t pid) {
    if (pid <= 0) return {};
    engine::spawn_options o;
    o.argv = {"/usr/bin/ss", "-tinpH"};
    try {
        auto r = engine::run_capture(std::move(o));
        if (r.exit_code != 0) return {};
        return parse_ss_output(r.output, pid);
    } catch (const std::exception&) {
        return {};
    }
}

}  // namespace ghost::bench
