#include "kube/time.hpp"

#include <cstdint>
#include <cstdio>

namespace ghost::kube {

using namespace std::chrono;

namespace {

// "YYYY-MM-DDTHH:MM:SS" of t (UTC) and the nanoseconds past that second.
std::string seconds_text(wall_clock::time_point t, std::int64_t& frac_ns) {
    auto ns = time_point_cast<nanoseconds>(t);
    auto secs = floor<seconds>(ns);
    frac_ns = (ns - secs).count();
    auto days = floor<std::chrono::days>(secs);
    year_month_day ymd{days};
    hh_mm_ss hms{secs - days};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                  int(hms.minutes().count()), int(hms.seconds().count()));
    return buf;
}

bool digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string format_rfc3339(wall_clock::time_point t) {
    std::int64_t frac = 0;
    return seconds_text(t, frac) + 'Z';
}

std::string format_rfc3339_nano(wall_clock::time_point t) {
    std::int64_t frac = 0;
    std::string out = seconds_text(t, frac);
    if (frac != 0) {
        char digits[24];
        std::snprintf(digits, sizeof digits, ".%09lld", static_cast<long long>(frac));
        std::string_view f(digits);
        while (f.back() == '0') f.remove_suffix(1);  // Go trims trailing zeros
        out += f;
    }
    out += 'Z';
    return out;
}

std::string format_micro_time(wall_clock::time_point t) {
    std::int64_t frac = 0;
    std::string out = seconds_text(t, frac);
    char digits[24];
    std::snprintf(digits, sizeof digits, ".%06lldZ", static_cast<long long>(frac / 1000));
    return out + digits;
}

std::optional<wall_clock::time_point> parse_rfc3339(std::string_view s) {
    std::size_t i = 0;
    auto number = [&](std::size_t n, int& out) {
        if (i + n > s.size()) return false;
        out = 0;
        for (std::size_t k = 0; k < n; ++k) {
            if (!digit(s[i + k])) return false;
            out = out * 10 + (s[i + k] - '0');
        }
        i += n;
        return true;
    };
    auto lit = [&](char c) {
        if (i < s.size() && (s[i] == c || (c == 'T' && s[i] == 't'))) {
            ++i;
            return true;
        }
        return false;
    };
    int Y, M, D, h, m, sec;
    if (!number(4, Y) || !lit('-') || !number(2, M) || !lit('-') || !number(2, D) || !lit('T') ||
        !number(2, h) || !lit(':') || !number(2, m) || !lit(':') || !number(2, sec))
        return std::nullopt;
    year_month_day ymd{year(Y), month(unsigned(M)), day(unsigned(D))};
    if (!ymd.ok() || h > 23 || m > 59 || sec > 59) return std::nullopt;
    std::int64_t frac_ns = 0;
    if (i < s.size() && s[i] == '.') {
        ++i;
        std::size_t start = i;
        std::int64_t scale = 100'000'000;
        for (; i < s.size() && digit(s[i]); ++i) {
            frac_ns += (s[i] - '0') * scale;  // digits past nanoseconds are dropped, as Go does
            scale /= 10;
        }
        if (i == start) return std::nullopt;
    }
    minutes offset{0};
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
        ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1;
        ++i;
        int oh, om;
        if (!number(2, oh) || !lit(':') || !number(2, om) || oh > 24 || om > 59)
            return std::nullopt;
        offset = minutes(sign * (oh * 60 + om));
    } else {
        return std::nullopt;
    }
    if (i != s.size()) return std::nullopt;
    auto tp = sys_days(ymd) + hours(h) + minutes(m) + seconds(sec) + nanoseconds(frac_ns) - offset;
    return time_point_cast<wall_clock::duration>(tp);
}

}  // namespace ghost::kube
