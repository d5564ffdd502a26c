#pragma once
// Go-compatible time strings used by durationFrom: time.ParseDuration and RFC3339(Nano).

#include <chrono>
#include <optional>
#include <string_view>

namespace ghost::lang {

// "1m30s", "500ms", "-1.5h", "0"; units ns, us, µs, ms, s, m, h. nullopt when malformed.
std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

// "2006-01-02T15:04:05Z", "2006-01-02T15:04:05.999999999+07:00". nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace ghost::lang
