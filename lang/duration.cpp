#include "lang/duration.hpp"

#include <cstdint>

namespace ghost::lang {

namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

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

}  // namespace ghost::lang
