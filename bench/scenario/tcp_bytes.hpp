#pragma once
// Bytes a process moved over TCP, from `ss -tinpH` output: tcp_info's bytes_acked (sent and
// acknowledged) and bytes_received per live connection, keyed "local peer". Connections closed
// before a reading are not in it. Pure, for the unit test; proc_stats.hpp runs `ss`.

#include <map>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace ghost::bench {

struct tcp_bytes {
    double sent = 0, received = 0;
};

std::map<std::string, tcp_bytes> parse_ss_output(std::string_view text, pid_t pid);

// What the connections in `after` moved since `before` (a connection new in `after` counts
// from zero), in MB.
tcp_bytes tcp_delta_mb(const std::map<std::string, tcp_bytes>& before,
                       const std::map<std::string, tcp_bytes>& after);

}  // namespace ghost::bench
