#pragma once
// Go's time.ParseDuration (durationFrom, flags). RFC 3339 times are kube/time.hpp.

#include <chrono>
#include <optional>
#include <string_view>

namespace ghost::lang {

// "1m30s", "500ms", "-1.5h", "0"; units ns, us, µs, ms, s, m, h. nullopt when malformed.
std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

}  // namespace ghost::lang
