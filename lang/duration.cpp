#include "lang/duration.hpp"

#include <cstdint>

namespace ghost::lang {

namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool fixed(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (!digit(s[pos + i])) return false;
        out = out * 10 + (s[pos + i] - '0');
    }
    return true;
}

}  // namespace

std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view s) {
    if (s.empty()) return std::nullopt;
    bool neg = false;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s == "0") return std::chrono::nanoseconds(0);
    if (s.empty()) return std::nullopt;
    long double total = 0;
    while (!s.empty()) {
        std::size_t i = 0;
        long double value = 0;
        bool any = false;
        while (i < s.size() && digit(s[i])) {
            value = value * 10 + (s[i] - '0');
            ++i;
            any = true;
        }
        if (i < s.size() && s[i] == '.') {
            ++i;
            long double scale = 0.1L;
            while (i < s.size() && digit(s[i])) {
                value += (s[i] - '0') * scale;
                scale /= 10;
                ++i;
                any = true;
            }
        }
        if (!any) return std::nullopt;
        std::size_t j = i;
        while (j < s.size() && !digit(s[j]) && s[j] != '.') ++j;
        std::string_view unit = s.substr(i, j - i);
        long double mult = 0;
        if (unit == "ns") mult = 1;
        else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") mult = 1e3L;
        else if (unit == "ms") mult = 1e6L;
        else if (unit == "s") mult = 1e9L;
        else if (unit == "m") mult = 60e9L;
        else if (unit == "h") mult = 3600e9L;
        else return std::nullopt;
        total += value * mult;
        s.remove_prefix(j);
    }
    if (total > 9.2e18L) return std::nullopt;
    auto ns = static_cast<std::int64_t>(total + 0.5L);
    return std::chrono::nanoseconds(neg ? -ns : ns);
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s) {
    int year, month, day, hour, minute, second;
    if (!fixed(s, 0, 4, year) || s.size() < 20 || s[4] != '-' || !fixed(s, 5, 2, month) ||
        s[7] != '-' || !fixed(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') ||
        !fixed(s, 11, 2, hour) || s[13] != ':' || !fixed(s, 14, 2, minute) || s[16] != ':' ||
        !fixed(s, 17, 2, second))
        return std::nullopt;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
        return std::nullopt;
    std::size_t pos = 19;
    std::int64_t frac_ns = 0;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        std::int64_t scale = 100000000;
        std::size_t start = pos;
        while (pos < s.size() && digit(s[pos])) {
            frac_ns += (s[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (pos == start) return std::nullopt;
    }
    if (pos >= s.size()) return std::nullopt;
    std::int64_t offset_s = 0;
    if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
        int oh, om;
        if (!fixed(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !fixed(s, pos + 4, 2, om))
            return std::nullopt;
        offset_s = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
    std::int64_t secs = days_from_civil(year, static_cast<unsigned>(month),
                                        static_cast<unsigned>(day)) * 86400 +
                        hour * 3600 + minute * 60 + second - offset_s;
    auto d = std::chrono::seconds(secs) + std::chrono::nanoseconds(frac_ns);
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(d));
}

}  // namespace ghost::lang
