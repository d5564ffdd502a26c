#include "kube/quantity.hpp"

#include <cmath>
#include <cstdint>

namespace ghost::kube {

namespace {

using nanos_t = quantity::nanos_t;
constexpr nanos_t nano = 1'000'000'000;

struct suffix_info {
    std::string_view text;
    int base;       // 10 or 2
    int exponent;   // power of base
};

constexpr suffix_info suffixes[] = {
    {"Ki", 2, 10}, {"Mi", 2, 20}, {"Gi", 2, 30}, {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60},
    {"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"", 10, 0},   {"k", 10, 3},  {"M", 10, 6},
    {"G", 10, 9},  {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18},
};

constexpr nanos_t max_nanos = (nanos_t(1) << 120);

nanos_t pow10(int e) {
    nanos_t r = 1;
    while (e-- > 0) r *= 10;
    return r;
}

}  // namespace

quantity quantity::from_double(double v) {
    return quantity(static_cast<nanos_t>(std::llround(v * 1e3)) * 1'000'000);
}

std::optional<quantity> quantity::parse(std::string_view s) {
    if (s.empty()) return std::nullopt;
    bool negative = false;
    std::size_t i = 0;
    if (s[0] == '+' || s[0] == '-') {
        negative = s[0] == '-';
        ++i;
    }
    // digits [. digits]
    nanos_t mantissa = 0;
    int frac_digits = 0;
    bool any_digit = false, dot = false, round_up = false;
    for (; i < s.size(); ++i) {
        char c = s[i];
        if (c == '.') {
            if (dot) return std::nullopt;
            dot = true;
            continue;
        }
        if (c < '0' || c > '9') break;
        any_digit = true;
        if (mantissa > max_nanos / 10) {
            if (dot) {
                round_up = round_up || c != '0';
                continue;  // digits past what we can hold only matter for rounding
            }
            return std::nullopt;
        }
        mantissa = mantissa * 10 + (c - '0');
        if (dot) ++frac_digits;
    }
    if (!any_digit) return std::nullopt;
    std::string_view rest = s.substr(i);
    int base = 10, exponent = 0;
    bool binary = false;
    const suffix_info* found = nullptr;
    for (const auto& suf : suffixes) {
        if (suf.text == rest) found = &suf;
    }
    if (found) {
        base = found->base;
        exponent = found->exponent;
        binary = base == 2;
    } else if ((rest[0] == 'e' || rest[0] == 'E') && rest.size() > 1) {
        // decimal exponent: e3, E-2, e+4
        std::size_t j = 1;
        bool neg_exp = false;
        if (rest[j] == '+' || rest[j] == '-') neg_exp = rest[j++] == '-';
        if (j >= rest.size()) return std::nullopt;
        int e = 0;
        for (; j < rest.size(); ++j) {
            if (rest[j] < '0' || rest[j] > '9' || e > 100) return std::nullopt;
            e = e * 10 + (rest[j] - '0');
        }
        exponent = neg_exp ? -e : e;
    } else {
        return std::nullopt;
    }
    // value = mantissa * 10^-frac_digits * base^exponent, in nanos.
    nanos_t v = mantissa;
    if (base == 2) {
        for (int k = 0; k < exponent; ++k) {
            if (v > max_nanos / 2) return std::nullopt;
            v *= 2;
        }
        exponent = 0;
    }
    int scale = exponent + 9 - frac_digits;  // power of ten to apply
    if (scale >= 0) {
        if (scale > 36) return std::nullopt;
        nanos_t p = pow10(scale);
        if (v != 0 && v > max_nanos / p) return std::nullopt;
        v *= p;
    } else {
        if (-scale > 36) {
            round_up = round_up || v != 0;
            v = 0;
        } else {
            nanos_t p = pow10(-scale);
            round_up = round_up || v % p != 0;
            v /= p;
        }
    }
    if (round_up) ++v;  // Kubernetes rounds up to its smallest representable unit
    return quantity(negative ? -v : v, binary);
}

long long quantity::milli() const noexcept {
    nanos_t d = 1'000'000;
    nanos_t q = nanos_ / d;
    if (nanos_ % d != 0 && nanos_ > 0) ++q;
    return static_cast<long long>(q);
}

long long quantity::value() const noexcept {
    nanos_t q = nanos_ / nano;
    if (nanos_ % nano != 0 && nanos_ > 0) ++q;
    return static_cast<long long>(q);
}

double quantity::as_double() const noexcept {
    return static_cast<double>(nanos_ / nano) + static_cast<double>(nanos_ % nano) / 1e9;
}

std::string quantity::to_string() const {
    auto digits = [](nanos_t v) {
        std::string out;
        if (v == 0) return std::string("0");
        while (v > 0) {
            out.insert(out.begin(), char('0' + int(v % 10)));
            v /= 10;
        }
        return out;
    };
    bool neg = nanos_ < 0;
    nanos_t v = neg ? -nanos_ : nanos_;
    std::string sign = neg ? "-" : "";
    if (v == 0) return "0";
    if (binary_ && v % nano == 0) {
        nanos_t units = v / nano;
        static constexpr std::string_view bin[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
        int k = 0;
        while (k < 6 && units % 1024 == 0) {
            units /= 1024;
            ++k;
        }
        if (k > 0) return sign + digits(units) + std::string(bin[k]);
    }
    // decimal SI: the largest suffix (from n up to E) that keeps an integer mantissa
    static constexpr std::string_view dec[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
    int k = 0;
    while (k < 9 && v % 1000 == 0) {
        v /= 1000;
        ++k;
    }
    return sign + digits(v) + std::string(dec[k]);
}

}  // namespace ghost::kube
