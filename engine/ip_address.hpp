#pragma once
// IPv4/IPv6 addresses as 128-bit numbers, for address arithmetic: pod IP pools, the n-th
// subnet or address of a fake node. No sockets; text in and out as inet_pton/inet_ntop.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ghost::engine {

using uint128 = unsigned __int128;

struct ip_address {
    uint128 value = 0;  ///< IPv4 in the low 32 bits
    bool v6 = false;

    friend bool operator==(const ip_address&, const ip_address&) = default;
};

/// "10.0.0.1", "fd00::1"; nullopt when neither an IPv4 nor an IPv6 address.
std::optional<ip_address> parse_ip(std::string_view text);
/// Canonical text ("192.0.2.1", "2001:db8::1").
std::string to_string(const ip_address& a);
/// `a` + n, wrapping within the family (IPv4 stays 32-bit).
ip_address add(ip_address a, uint128 n);

struct ip_prefix {
    ip_address base;  ///< as written (host bits are kept)
    int bits = 0;
};

/// "10.0.0.0/24", "fd00::/64"; nullopt when malformed or the length is out of range.
std::optional<ip_prefix> parse_cidr(std::string_view text);
/// "10.0.0.0/24".
std::string to_string(const ip_prefix& p);
/// The index-th prefix of the same length after `p` ("10.0.0.0/24", 3 -> "10.0.3.0/24").
ip_prefix nth_subnet(const ip_prefix& p, uint128 index);
/// True when `a` is of the same family and inside the prefix.
bool contains(const ip_prefix& p, const ip_address& a);

}  // namespace ghost::engine
