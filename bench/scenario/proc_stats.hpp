#pragma once
// Whole-process CPU and memory of a simulator, read from /proc (Linux only).

#include "bench/scenario/tcp_bytes.hpp"

#include <map>
#include <optional>
#include <string>
#include <sys/types.h>

namespace ghost::bench {

struct proc_sample {
    double cpu_seconds = 0;   // utime + stime
    double rss_mb = 0;        // VmRSS
    double hwm_mb = 0;        // VmHWM (peak RSS over the process lifetime)
};

// nullopt when the process is gone.
std::optional<proc_sample> read_proc(pid_t pid);

bool process_alive(pid_t pid);

// The process's live TCP connections as `ss -tinp` shows them (tcp_bytes.hpp); empty when
// `ss` fails or the process has none.
std::map<std::string, tcp_bytes> read_tcp_bytes(pid_t pid);

}  // namespace ghost::bench
