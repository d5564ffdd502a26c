#pragma once
// Whole-process CPU and memory of a simulator, read from /proc (Linux only).

#include <optional>
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

}  // namespace ghost::bench
