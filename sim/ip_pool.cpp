#include "sim/ip_pool.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <stdexcept>

namespace ghost::sim {

namespace {

bool parse_any(std::string_view text, bool& v6, unsigned __int128& out) {
    std::string s(text);
    unsigned char buf[16];
    if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
        v6 = false;
        out = (static_cast<unsigned __int128>(buf[0]) << 24) | (buf[1] << 16) | (buf[2] << 8) | buf[3];
        return true;
    }
    if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
        v6 = true;
        out = 0;
        for (unsigned char b : buf) out = (out << 8) | b;
        return true;
    }
    return false;
}

}  // namespace

ip_pool::ip_pool(std::string_view cidr) {
    auto slash = cidr.find('/');
    std::string_view addr = cidr.substr(0, slash);
    if (!parse_any(addr, v6_, base_))
        throw std::invalid_argument("invalid CIDR \"" + std::string(cidr) + "\"");
    if (slash != std::string_view::npos) {
        std::string_view bits = cidr.substr(slash + 1);
        int n = 0;
        bool ok = !bits.empty() && bits.size() <= 3;
        for (char c : bits) ok = ok && c >= '0' && c <= '9', n = n * 10 + (c - '0');
        if (!ok || n > (v6_ ? 128 : 32))
            throw std::invalid_argument("invalid CIDR \"" + std::string(cidr) + "\"");
    }
}

bool ip_pool::parse(std::string_view ip, u128& out) const {
    bool v6 = false;
    return parse_any(ip, v6, out) && v6 == v6_;
}

std::string ip_pool::format(u128 v) const {
    char text[INET6_ADDRSTRLEN];
    if (!v6_) {
        unsigned char b[4];
        auto x = static_cast<std::uint32_t>(v);
        b[0] = static_cast<unsigned char>(x >> 24);
        b[1] = static_cast<unsigned char>(x >> 16);
        b[2] = static_cast<unsigned char>(x >> 8);
        b[3] = static_cast<unsigned char>(x);
        inet_ntop(AF_INET, b, text, sizeof text);
    } else {
        unsigned char b[16];
        for (int i = 15; i >= 0; --i) {
            b[i] = static_cast<unsigned char>(v);
            v >>= 8;
        }
        inet_ntop(AF_INET6, b, text, sizeof text);
    }
    return text;
}

std::string ip_pool::allocate() {
    if (!released_.empty()) {
        u128 v = *released_.begin();
        released_.erase(released_.begin());
        used_.insert(v);
        return format(v);
    }
    for (;;) {
        ++index_;
        u128 v = base_ + index_;
        if (!v6_) v &= 0xFFFFFFFFu;
        if (used_.insert(v).second) return format(v);
    }
}

void ip_pool::mark_used(std::string_view ip) {
    u128 v;
    if (!parse(ip, v)) return;
    released_.erase(v);
    used_.insert(v);
}

void ip_pool::release(std::string_view ip) {
    u128 v;
    if (!parse(ip, v)) return;
    if (used_.erase(v)) released_.insert(v);
}

bool ip_pool::in_use(std::string_view ip) const {
    u128 v;
    return parse(ip, v) && used_.count(v) != 0;
}

ip_pool& pool_set::get(std::string_view cidr) {
    auto it = pools_.find(cidr);
    if (it == pools_.end()) it = pools_.emplace(std::string(cidr), ip_pool(cidr)).first;
    return it->second;
}

}  // namespace ghost::sim
