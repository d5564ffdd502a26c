#pragma once
// Scenarios and the run of one scenario against one simulator on a fresh ghostctl cluster.

#include "bench/scenario/results.hpp"

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace ghost::bench {

struct runner_config {
    std::filesystem::path ghostctl;
    std::filesystem::path kwok;
    std::filesystem::path kwok_stages;   // kwok's stage tree (../shared/kwok-stages)
    std::filesystem::path kwok_metrics;  // kwok's Metric and usage documents (../shared/kwok-metrics)
    std::filesystem::path out_dir;
    std::map<std::string, double> sizes; // "nodes", "steady-state.nodes", ... (flags)
    int parallelism = 16;                // concurrent create/delete requests (kwokctl: 16)
    double stall_seconds = 60;           // no progress for this long ends a phase
    double timeout_scale = 1;            // multiplies every phase timeout
    bool keep_clusters = false;
    // Extra ghostlet flags, KEY=VALUE or KEY (ghostctl --extra-args ghostlet=...), e.g.
    // api-mode=kubelet: the same report then compares kwok with ghostlet in that mode.
    std::vector<std::string> ghostlet_args;
};

// backlog: steady window, pods created and deleted, kube-apiserver stopped and continued
// (backlog_run.hpp).
enum class phase_kind { nodes, pods, delete_pods, window, backlog };

struct phase_spec {
    std::string name;
    phase_kind kind = phase_kind::nodes;
    std::size_t count = 0;        // objects (window: ignored)
    double seconds = 0;           // window length
    bool one_node = false;        // pods: all on the first node (kwok's benchmark)
    double timeout_s = 0;
    // backlog: pods created and deleted during the load, the pause; `seconds` is the steady
    // window before the load and `timeout_s` the time allowed to converge after the resume.
    std::size_t added = 0, deleted = 0;
    double pause_s = 0;
};

struct scenario_spec {
    std::string name;
    std::string description;
    std::size_t nodes = 0;
    std::vector<phase_spec> phases;
    int heartbeat_factor = 5;
    bool watch_leases = false;
    // The cluster runs metrics-server (every 15 s it scrapes each node's kubelet endpoint,
    // i.e. the simulator); window phases record how metrics-server saw those scrapes.
    bool metrics_server = false;
    std::size_t pods_per_node = 0;   // pods phases spread i % nodes (the backlog phase needs it)
};

const std::vector<std::string>& scenario_names();   // without "all"

// Throws std::invalid_argument for an unknown name.
scenario_spec make_scenario(const std::string& name, const runner_config& cfg);

// Set by SIGINT/SIGTERM: phases end early and clusters are still cleaned up.
extern std::atomic<bool> interrupted;

run_result run_scenario(const scenario_spec& s, const std::string& simulator,
                        const runner_config& cfg);

}  // namespace ghost::bench
