#include "engine/log.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace ghost::engine::log {

void set_verbosity(int v) noexcept {
    set_level(v <= 0 ? level::info : v == 1 ? level::debug : level::trace);
}

void write(level l, std::string_view msg) noexcept {
    static constexpr char letters[] = {'E', 'W', 'I', 'D', 'T'};
    auto now = std::chrono::system_clock::now();
    auto secs = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count()
              % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char head[64];
    int n = std::snprintf(head, sizeof head, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %c ",
                          tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                          tm.tm_sec, static_cast<int>(ms), letters[static_cast<int>(l) % 5]);
    try {
        std::string line;
        line.reserve(static_cast<std::size_t>(n) + msg.size() + 1);
        line.append(head, static_cast<std::size_t>(n)).append(msg).push_back('\n');
        // Best effort: a failed stderr write has nowhere to be reported.
        [[maybe_unused]] auto r = ::write(2, line.data(), line.size());
    } catch (...) {
    }
}

}  // namespace ghost::engine::log
