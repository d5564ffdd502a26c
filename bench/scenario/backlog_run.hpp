#pragma once
// The backlog phase (issue #13 item 4): a steady window, then pods created and deleted, then
// kube-apiserver stopped (SIGSTOP) for a while once the simulator has begun acting on them,
// then continued (SIGCONT) and the cluster watched until it has converged. The simulator's
// RSS (and ghostlet's write queue) is sampled once a second throughout.

#include "bench/scenario/cluster_session.hpp"
#include "bench/scenario/results.hpp"

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>

namespace ghost::bench {

struct backlog_plan {
    std::size_t nodes = 0;       // nodes <node_prefix>-000000.., Ready
    std::size_t pods = 0;        // pods <pod_prefix>-000000.., Running, pod i on node i % nodes
    std::size_t added = 0;       // pods <added_prefix>-000000.. created during the load
    std::size_t deleted = 0;     // of the first pods, deleted during the load
    double steady_s = 30;        // the steady window before any load
    double pause_s = 60;         // how long the API server is stopped
    double timeout_s = 600;      // after the resume, give up converging after this long
    // The API server is stopped once the runner's watch has seen this share of the new pods
    // (and the simulator has made one of them Running): it has begun acting on them.
    double pause_after_share = 0.2;
    int parallelism = 16;
    std::string node_prefix, pod_prefix, added_prefix;
};

struct backlog_processes {
    pid_t simulator = -1;
    pid_t apiserver = -1;
    std::optional<std::uint16_t> metrics_port;   // the simulator's /metrics
};

/// Runs the phase on the calling thread (blocking). Fills `p`: status (ok once converged,
/// timeout, interrupted or failed), target (pods expected), done (pods Running), wall time,
/// samples, the runner's requests and `p.backlog`. The API server is always continued before
/// this returns, exceptions included.
void run_backlog_phase(cluster_session& session, const backlog_plan& plan,
                       const backlog_processes& procs, int phase_index, phase_result& p,
                       const std::atomic<bool>& interrupted);

}  // namespace ghost::bench
