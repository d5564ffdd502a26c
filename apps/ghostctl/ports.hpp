#pragma once
// Free TCP port selection on 127.0.0.1, kwokctl-like: a descending scan from 32766.

#include <cstdint>
#include <set>
#include <vector>

namespace ghost::ghostctl {

inline constexpr std::uint16_t first_scan_port = 32766;

// True when nothing is bound/listening on 127.0.0.1:port (bind test with SO_REUSEADDR, so a
// TIME_WAIT leftover does not count as taken, the way the Go listeners see it).
bool port_is_free(std::uint16_t port);

// True when some socket is in LISTEN state on the port (any address), from /proc/net/tcp{,6}.
bool port_is_listening(std::uint16_t port);

// Picks `count` distinct ports scanning down from `start`, skipping `reserved` and taken ports.
// Throws std::runtime_error when the range runs out.
std::vector<std::uint16_t> choose_ports(std::size_t count, const std::set<std::uint16_t>& reserved,
                                        std::uint16_t start = first_scan_port);

}  // namespace ghost::ghostctl
