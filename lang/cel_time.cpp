#include "lang/cel_time.hpp"

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace ghost::lang::cel::detail {

bool timestamp_in_range(time_parts t) noexcept {
    return t.seconds >= min_timestamp_seconds && t.seconds <= max_timestamp_seconds;
}

bool duration_in_range(time_parts d) noexcept {
    const __int128 total = static_cast<__int128>(d.seconds) * 1000000000 + d.nanos;
    return total >= INT64_MIN && total <= INT64_MAX;
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

civil_time to_civil(std::int64_t seconds) noexcept {
    std::int64_t days = seconds / 86400;
    std::int64_t rem = seconds % 86400;
    if (rem < 0) {
        rem += 86400;
        --days;
    }
    civil_time c{};
    c.hour = static_cast<int>(rem / 3600);
    c.minute = static_cast<int>(rem / 60 % 60);
    c.second = static_cast<int>(rem % 60);
    c.day_of_week = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    c.year = y + (m <= 2);
    c.month = static_cast<int>(m);
    c.day = static_cast<int>(d);
    c.day_of_year = static_cast<int>(days - days_from_civil(c.year, 1, 1));
    return c;
}

time_parts normalize_timestamp(std::int64_t seconds, std::int64_t nanos) noexcept {
    seconds += nanos / 1000000000;
    nanos %= 1000000000;
    if (nanos < 0) {
        nanos += 1000000000;
        --seconds;
    }
    return {seconds, static_cast<std::int32_t>(nanos)};
}

time_parts normalize_duration(std::int64_t seconds, std::int64_t nanos) noexcept {
    seconds += nanos / 1000000000;
    nanos %= 1000000000;
    if (seconds > 0 && nanos < 0) {
        nanos += 1000000000;
        --seconds;
    } else if (seconds < 0 && nanos > 0) {
        nanos -= 1000000000;
        ++seconds;
    }
    return {seconds, static_cast<std::int32_t>(nanos)};
}

bool add_time(time_parts a, time_parts b, time_parts& out) noexcept {
    std::int64_t s = 0;
    if (__builtin_add_overflow(a.seconds, b.seconds, &s)) return false;
    out = {s, 0};
    out.nanos = a.nanos + b.nanos;  // |sum| < 2e9 fits
    return true;
}

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = s[pos + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}

bool parse_offset(std::string_view s, bool require_sign, std::int64_t& offset) {
    int sign = 1;
    std::size_t p = 0;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        sign = s[0] == '-' ? -1 : 1;
        p = 1;
    } else if (require_sign) {
        return false;
    }
    int h = 0, m = 0;
    if (s.size() != p + 5 || !digits(s, p, 2, h) || s[p + 2] != ':' || !digits(s, p + 3, 2, m)) {
        return false;
    }
    if (h > 23 || m > 59) return false;
    offset = sign * (h * 3600 + m * 60);
    return true;
}

}  // namespace

bool parse_timestamp(std::string_view s, time_parts& out) noexcept {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) ||
        s[7] != '-' || !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
        !digits(s, 17, 2, se)) {
        return false;
    }
    std::size_t p = 19;
    std::int64_t nanos = 0;
    if (p < s.size() && s[p] == '.') {
        ++p;
        int n = 0;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
            if (n < 9) {
                nanos = nanos * 10 + (s[p] - '0');
                ++n;
            }
            ++p;
        }
        if (n == 0) return false;
        for (; n < 9; ++n) nanos *= 10;
    }
    std::int64_t offset = 0;
    const std::string_view zone = s.substr(p);
    if (zone != "Z" && zone != "z" && !parse_offset(zone, true, offset)) return false;
    static constexpr std::array<int, 12> month_days{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > month_days[static_cast<std::size_t>(mo - 1)] ||
        h > 23 || mi > 59 || se > 60) {
        return false;
    }
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap) return false;
    const std::int64_t days =
        days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    out = {days * 86400 + h * 3600 + mi * 60 + se - offset, static_cast<std::int32_t>(nanos)};
    return timestamp_in_range(out);
}

bool parse_duration(std::string_view s, time_parts& out) noexcept {
    std::size_t p = 0;
    bool negative = false;
    if (p < s.size() && (s[p] == '-' || s[p] == '+')) {
        negative = s[p] == '-';
        ++p;
    }
    if (s.substr(p) == "0") {
        out = {0, 0};
        return true;
    }
    if (p == s.size()) return false;
    __int128 total = 0;  // nanoseconds
    const __int128 limit = static_cast<__int128>(max_duration_seconds + 1) * 1000000000;
    while (p < s.size()) {
        __int128 whole = 0;
        std::size_t start = p;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
            whole = whole * 10 + (s[p] - '0');
            if (whole > limit) return false;
            ++p;
        }
        const bool had_whole = p > start;
        __int128 frac = 0, scale = 1;
        if (p < s.size() && s[p] == '.') {
            ++p;
            start = p;
            while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
                if (scale < 1000000000000000000) {
                    frac = frac * 10 + (s[p] - '0');
                    scale *= 10;
                }
                ++p;
            }
            if (!had_whole && p == start) return false;
        } else if (!had_whole) {
            return false;
        }
        std::size_t u = p;
        while (u < s.size() && !(s[u] >= '0' && s[u] <= '9') && s[u] != '.') ++u;
        const std::string_view unit = s.substr(p, u - p);
        p = u;
        __int128 mult = 0;
        if (unit == "ns") mult = 1;
        else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") mult = 1000;
        else if (unit == "ms") mult = 1000000;
        else if (unit == "s") mult = 1000000000;
        else if (unit == "m") mult = 60LL * 1000000000;
        else if (unit == "h") mult = 3600LL * 1000000000;
        else return false;
        total += whole * mult + frac * mult / scale;
        if (total > limit) return false;
    }
    if (negative) total = -total;
    const auto secs = static_cast<std::int64_t>(total / 1000000000);
    const auto nanos = static_cast<std::int32_t>(total % 1000000000);
    out = {secs, nanos};
    return duration_in_range(out);
}

namespace {
void append_fraction(std::string& s, std::int32_t nanos) {
    if (nanos == 0) return;
    char buf[16];
    std::snprintf(buf, sizeof buf, ".%09d", nanos);
    std::string_view f(buf);
    while (f.back() == '0') f.remove_suffix(1);
    s += f;
}
}  // namespace

std::string format_timestamp(time_parts t) {
    const civil_time c = to_civil(t.seconds);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d",
                  static_cast<long long>(c.year), c.month, c.day, c.hour, c.minute, c.second);
    std::string s(buf);
    append_fraction(s, t.nanos);
    s += 'Z';
    return s;
}

std::string format_duration(time_parts d) {
    std::string s;
    if (d.seconds < 0 || d.nanos < 0) s += '-';
    const auto raw = static_cast<std::uint64_t>(d.seconds);
    const std::uint64_t secs = d.seconds < 0 ? 0 - raw : raw;
    s += std::to_string(secs);
    append_fraction(s, d.nanos < 0 ? -d.nanos : d.nanos);
    s += 's';
    return s;
}

namespace {

// Transitions of one IANA zone (TZif version 2+ 64-bit data).
struct zone_info {
    std::vector<std::int64_t> transitions;
    std::vector<std::uint8_t> type_of;  // per transition
    std::vector<std::int32_t> offsets;  // per type
    std::int32_t initial = 0;
};

std::int64_t be(const unsigned char* p, int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
    if (n == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    return static_cast<std::int64_t>(v);
}

std::shared_ptr<const zone_info> load_zone(const std::string& name) {
    std::ifstream in("/usr/share/zoneinfo/" + name, std::ios::binary);
    if (!in) return nullptr;
    std::vector<unsigned char> data((std::istreambuf_iterator<char>(in)), {});
    auto header = [&](std::size_t at, std::array<std::int64_t, 6>& counts) {
        if (data.size() < at + 44 || data[at] != 'T' || data[at + 1] != 'Z' ||
            data[at + 2] != 'i' || data[at + 3] != 'f') {
            return false;
        }
        for (std::size_t i = 0; i < 6; ++i) counts[i] = be(&data[at + 20 + 4 * i], 4);
        return true;
    };
    // counts: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
    std::array<std::int64_t, 6> c{};
    if (!header(0, c)) return nullptr;
    int tsize = 4;
    std::size_t at = 44;
    if (data[4] >= '2') {
        at += static_cast<std::size_t>(c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0]);
        if (!header(at, c)) return nullptr;
        at += 44;
        tsize = 8;
    }
    const auto timecnt = static_cast<std::size_t>(c[3]);
    const auto typecnt = static_cast<std::size_t>(c[4]);
    if (data.size() < at + timecnt * static_cast<std::size_t>(tsize + 1) + typecnt * 6) {
        return nullptr;
    }
    auto z = std::make_shared<zone_info>();
    for (std::size_t i = 0; i < timecnt; ++i) {
        z->transitions.push_back(be(&data[at + i * static_cast<std::size_t>(tsize)], tsize));
    }
    at += timecnt * static_cast<std::size_t>(tsize);
    for (std::size_t i = 0; i < timecnt; ++i) z->type_of.push_back(data[at + i]);
    at += timecnt;
    for (std::size_t i = 0; i < typecnt; ++i) {
        z->offsets.push_back(static_cast<std::int32_t>(be(&data[at + i * 6], 4)));
    }
    for (auto t : z->type_of) {
        if (t >= typecnt) return nullptr;
    }
    if (typecnt == 0) return nullptr;
    z->initial = z->offsets[0];
    return z;
}

std::shared_ptr<const zone_info> find_zone(std::string_view name) {
    for (const char ch : name) {
        const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                        (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '+' ||
                        ch == '/';
        if (!ok) return nullptr;
    }
    if (name.empty() || name.front() == '/' || name.size() > 64) return nullptr;
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<const zone_info>, std::less<>> cache;
    std::lock_guard lock(mutex);
    if (auto it = cache.find(name); it != cache.end()) return it->second;
    auto z = load_zone(std::string(name));
    if (cache.size() < 512) cache.emplace(std::string(name), z);
    return z;
}

}  // namespace

bool zone_offset(std::string_view zone, std::int64_t utc_seconds, std::int64_t& offset) noexcept {
    if (zone == "UTC" || zone == "Z" || zone == "utc") {
        offset = 0;
        return true;
    }
    if (parse_offset(zone, false, offset)) return true;
    try {
        auto z = find_zone(zone);
        if (!z) return false;
        std::int32_t off = z->initial;
        // Last transition at or before the instant.
        std::size_t lo = 0, hi = z->transitions.size();
        while (lo < hi) {
            const std::size_t mid = (lo + hi) / 2;
            if (z->transitions[mid] <= utc_seconds) lo = mid + 1;
            else hi = mid;
        }
        if (lo > 0) off = z->offsets[z->type_of[lo - 1]];
        offset = off;
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace ghost::lang::cel::detail
