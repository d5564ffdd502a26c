#pragma once
// Kubernetes time strings, as Go writes and reads them: metav1.Time (RFC 3339, seconds),
// RFC3339Nano (kwok's template functions, event times) and metav1.MicroTime (leases, six
// fraction digits). Formatting is always UTC with 'Z'.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ghost::kube {

using wall_clock = std::chrono::system_clock;

// "2006-01-02T15:04:05Z" (Go's time.RFC3339; the fraction is dropped).
std::string format_rfc3339(wall_clock::time_point t);
// "2006-01-02T15:04:05.5Z": Go's time.RFC3339Nano, trailing fraction zeros trimmed (no fraction
// at all on a whole second).
std::string format_rfc3339_nano(wall_clock::time_point t);
// MicroTime: "2026-01-02T03:04:05.123456Z" (always six fraction digits).
std::string format_micro_time(wall_clock::time_point t);

// RFC 3339 as Go's time.Parse(time.RFC3339) reads it: "2006-01-02T15:04:05Z",
// "2006-01-02T15:04:05.999999999+07:00" (optional fraction of any length, 'Z'/'z' or a numeric
// offset, 't' accepted). Covers Time, RFC3339Nano and MicroTime. nullopt when malformed or out
// of range (month 13, February 30, second 60).
std::optional<wall_clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace ghost::kube
