#include "bench/scenario/results.hpp"

#include <algorithm>
#include <cmath>

namespace ghost::bench {
namespace json = boost::json;

latency_summary summarize(std::vector<double> s) {
    latency_summary out;
    out.count = s.size();
    if (s.empty()) return out;
    std::sort(s.begin(), s.end());
    // Nearest rank, as the SIG-scalability SLO measurements.
    auto at = [&](double q) {
        auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(s.size())));
        return s[std::min(s.size() - 1, rank == 0 ? 0 : rank - 1)];
    };
    out.p50 = at(0.50);
    out.p90 = at(0.90);
    out.p99 = at(0.99);
    out.max = s.back();
    return out;
}

namespace {

json::object to_json(const std::map<std::string, double>& m) {
    json::object o;
    for (const auto& [k, v] : m) o[k] = v;
    return o;
}

json::object to_json(const phase_result& p) {
    json::array samples;
    for (const auto& s : p.samples)
        samples.push_back(json::array{s.t, s.done, s.seen, s.rss_mb, s.cpu_s});
    return json::object{
        {"name", p.name},
        {"status", p.status},
        {"note", p.note},
        {"target", p.target},
        {"done", p.done},
        {"wall_seconds", p.wall_s},
        {"objects_per_second", p.objects_per_s},
        {"simulator_cpu_seconds", p.sim_cpu_s},
        {"simulator_peak_rss_mb", p.sim_peak_rss_mb},
        {"simulator_vmhwm_mb", p.sim_hwm_mb},
        {"latency_seconds",
         {{"basis", p.latency_basis},
          {"count", p.latency.count},
          {"p50", p.latency.p50},
          {"p90", p.latency.p90},
          {"p99", p.latency.p99},
          {"max", p.latency.max}}},
        {"apiserver_requests_by_verb", to_json(p.api_by_verb)},
        {"apiserver_requests_by_resource", to_json(p.api_by_resource)},
        {"runner_requests", to_json(p.runner_requests)},
        {"runner_errors", p.runner_errors},
        {"simulator_metrics", p.sim_metrics},
        {"samples_columns", json::array{"t", "done", "seen", "rss_mb", "cpu_s"}},
        {"samples", std::move(samples)}};
}

}  // namespace

json::value to_json(const run_result& r) {
    json::array phases;
    for (const auto& p : r.phases) phases.push_back(to_json(p));
    return json::object{{"scenario", r.scenario},
                        {"simulator", r.simulator},
                        {"status", r.status},
                        {"note", r.note},
                        {"settings", r.settings},
                        {"cluster_create_seconds", r.cluster_create_s},
                        {"simulator_cpu_seconds_total", r.sim_cpu_total_s},
                        {"simulator_vmhwm_mb", r.sim_hwm_mb},
                        {"simulator_metrics_source", r.sim_metrics_source},
                        {"phases", std::move(phases)}};
}

}  // namespace ghost::bench
