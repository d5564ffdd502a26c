#include "engine/ip_address.hpp"

#include <arpa/inet.h>

namespace ghost::engine {

namespace {

uint128 family_mask(bool v6) { return v6 ? ~uint128(0) : uint128(0xFFFFFFFFu); }

int width(bool v6) { return v6 ? 128 : 32; }

}  // namespace

std::optional<ip_address> parse_ip(std::string_view text) {
    std::string s(text);
    unsigned char buf[16];
    if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
        uint128 v = 0;
        for (int i = 0; i < 4; ++i) v = (v << 8) | buf[i];
        return ip_address{v, false};
    }
    if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
        uint128 v = 0;
        for (unsigned char b : buf) v = (v << 8) | b;
        return ip_address{v, true};
    }
    return std::nullopt;
}

std::string to_string(const ip_address& a) {
    char text[INET6_ADDRSTRLEN];
    unsigned char b[16];
    int n = a.v6 ? 16 : 4;
    uint128 v = a.value;
    for (int i = n - 1; i >= 0; --i) {
        b[i] = static_cast<unsigned char>(v);
        v >>= 8;
    }
    inet_ntop(a.v6 ? AF_INET6 : AF_INET, b, text, sizeof text);
    return text;
}

ip_address add(ip_address a, uint128 n) {
    a.value = (a.value + n) & family_mask(a.v6);
    return a;
}

std::optional<ip_prefix> parse_cidr(std::string_view text) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto base = parse_ip(text.substr(0, slash));
    std::string_view bits = text.substr(slash + 1);
    if (!base || bits.empty() || bits.size() > 3) return std::nullopt;
    int n = 0;
    for (char c : bits) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    if (n > width(base->v6)) return std::nullopt;
    return ip_prefix{*base, n};
}

std::string to_string(const ip_prefix& p) {
    return to_string(p.base) + "/" + std::to_string(p.bits);
}

ip_prefix nth_subnet(const ip_prefix& p, uint128 index) {
    int host_bits = width(p.base.v6) - p.bits;
    uint128 step = host_bits >= 128 ? 0 : uint128(1) << host_bits;
    return ip_prefix{add(p.base, step * index), p.bits};
}

bool contains(const ip_prefix& p, const ip_address& a) {
    if (a.v6 != p.base.v6) return false;
    int host_bits = width(a.v6) - p.bits;
    uint128 host = host_bits >= 128 ? ~uint128(0) : (uint128(1) << host_bits) - 1;
    return (a.value & ~host) == (p.base.value & ~host);
}

}  // namespace ghost::engine
