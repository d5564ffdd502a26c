#pragma once
// What one simulator run of one scenario measured, and its JSON form.

#include "bench/scenario/backlog.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ghost::bench {

struct progress_sample {
    double t = 0;          // seconds since the phase started
    double done = 0;       // objects Ready/Running/deleted (steady state: lease renewals)
    double seen = 0;       // objects the watch has seen (or created)
    double rss_mb = 0;     // simulator VmRSS
    double cpu_s = 0;      // simulator CPU seconds since the phase started
};

struct latency_summary {
    std::size_t count = 0;
    double p50 = 0, p90 = 0, p99 = 0, max = 0;   // seconds
};

latency_summary summarize(std::vector<double> seconds);

// Window phases on clusters with metrics-server: how metrics-server saw its scrapes of the
// simulator's kubelet endpoint over the window.
struct scrape_figures {
    double requests = 0;                    // kubelet scrapes (histogram count delta)
    double p50_s = 0, p90_s = 0, p99_s = 0; // metrics_server_kubelet_request_duration_seconds
    double tick_p99_s = 0;                  // metrics_server_manager_tick_duration_seconds
    double nodes_with_metrics = 0;          // metrics.k8s.io nodes at the window's end
    double pods_with_metrics = 0;           // metrics.k8s.io pods at the window's end
};

struct phase_result {
    std::string name;
    std::string status = "ok";   // ok | timeout | stalled | interrupted | skipped | failed
    std::string note;
    std::size_t target = 0;
    std::size_t done = 0;
    double wall_s = 0;
    double objects_per_s = 0;
    double sim_cpu_s = 0;
    double sim_peak_rss_mb = 0;  // max sampled VmRSS during the phase
    double sim_hwm_mb = 0;       // VmHWM at the end of the phase
    latency_summary latency;
    std::string latency_basis;
    std::map<std::string, double> api_by_verb;       // kube-apiserver, all clients
    std::map<std::string, double> api_by_resource;   // "PATCH nodes/status" etc.
    double api_open_watches = 0;  // apiserver_longrunning_requests{verb="WATCH"} at the end
    std::map<std::string, double> runner_requests;   // the runner's own writes
    std::size_t runner_errors = 0;
    // When the runner's own creates/deletes were all answered (s since the phase started):
    // no simulator can finish before the API server has taken them. 0 = not measured.
    double runner_s = 0;
    // Nodes phases: how long after the phase kube-controller-manager took to lift its
    // not-ready taints. The runner waits for that (up to 3 minutes) outside every phase, so
    // neither simulator's next phase pays for the other's node backlog.
    double settle_s = 0;
    // Nodes phases: from the phase start until every node of the phase was Ready and without
    // the not-ready taint (what a user waiting to schedule sees); per node in `schedulable`.
    double schedulable_s = 0;
    latency_summary schedulable;
    // The API server's own cost during the phase (the cluster's processes, from /proc).
    double apiserver_cpu_s = 0, apiserver_peak_rss_mb = 0;
    double etcd_cpu_s = 0, etcd_peak_rss_mb = 0;
    // What the simulator moved over its TCP connections during the phase (live connections at
    // the phase's end, from tcp_info), MB.
    double sim_sent_mb = 0, sim_received_mb = 0;
    boost::json::object sim_metrics;                 // from the simulator's /metrics
    std::optional<scrape_figures> scrape;            // metrics-server's view (window phases)
    std::optional<backlog_figures> backlog;          // the backlog phase's RSS and convergence
    std::vector<progress_sample> samples;
};

struct run_result {
    std::string scenario;
    std::string simulator;
    std::string status = "ok";
    std::string note;
    boost::json::object settings;
    double cluster_create_s = 0;
    double sim_cpu_total_s = 0;
    double sim_hwm_mb = 0;
    std::string sim_metrics_source;   // URL or why there is none
    std::vector<phase_result> phases;
};

boost::json::value to_json(const run_result& r);
// The inverse, for re-rendering reports from saved runs; throws std::exception when malformed.
run_result run_from_json(const boost::json::value& v);

}  // namespace ghost::bench
