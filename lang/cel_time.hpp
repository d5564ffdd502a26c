#pragma once

// Timestamp and duration text forms, civil-date arithmetic and time zones (UTC, fixed offsets,
// IANA names read from the system tzdata).

#include <cstdint>
#include <string>
#include <string_view>

#include "lang/cel_value.hpp"

namespace ghost::lang::cel::detail {

inline constexpr std::int64_t min_timestamp_seconds = -62135596800;  // 0001-01-01T00:00:00Z
inline constexpr std::int64_t max_timestamp_seconds = 253402300799;  // 9999-12-31T23:59:59Z
// Durations are int64 nanoseconds (about 292 years) as in cel-go.
inline constexpr std::int64_t max_duration_seconds = 9223372036;

bool timestamp_in_range(time_parts t) noexcept;
bool duration_in_range(time_parts d) noexcept;

// RFC 3339 ("2009-02-13T23:31:30.5+01:00").
bool parse_timestamp(std::string_view text, time_parts& out) noexcept;
// Go-style ("1h2m3.5s", "-10ms").
bool parse_duration(std::string_view text, time_parts& out) noexcept;
std::string format_timestamp(time_parts t);
std::string format_duration(time_parts d);

// Offset of the zone from UTC at the given instant; false for an unknown zone.
bool zone_offset(std::string_view zone, std::int64_t utc_seconds, std::int64_t& offset) noexcept;

struct civil_time {
    std::int64_t year;
    int month;  // 1..12
    int day;    // 1..31
    int hour;
    int minute;
    int second;
    int day_of_week;  // 0 = Sunday
    int day_of_year;  // 0-based
};
civil_time to_civil(std::int64_t seconds) noexcept;
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept;

// Sum of two second/nano pairs, normalized (nanos with the sign of the total).
bool add_time(time_parts a, time_parts b, time_parts& out) noexcept;
time_parts normalize_timestamp(std::int64_t seconds, std::int64_t nanos) noexcept;
time_parts normalize_duration(std::int64_t seconds, std::int64_t nanos) noexcept;

}  // namespace ghost::lang::cel::detail
