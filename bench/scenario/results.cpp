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

json::object to_json(const latency_summary& l) {
    return json::object{{"count", l.count}, {"p50", l.p50}, {"p90", l.p90}, {"p99", l.p99},
                        {"max", l.max}};
}

json::value to_json(const std::optional<scrape_figures>& s) {
    if (!s) return nullptr;
    return json::object{{"requests", s->requests},
                        {"p50_seconds", s->p50_s},
                        {"p90_seconds", s->p90_s},
                        {"p99_seconds", s->p99_s},
                        {"tick_p99_seconds", s->tick_p99_s},
                        {"nodes_with_metrics", s->nodes_with_metrics},
                        {"pods_with_metrics", s->pods_with_metrics}};
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
        {"latency_seconds", [&] {
             auto o = to_json(p.latency);
             o["basis"] = p.latency_basis;
             return o;
         }()},
        {"apiserver_requests_by_verb", to_json(p.api_by_verb)},
        {"apiserver_requests_by_resource", to_json(p.api_by_resource)},
        {"apiserver_open_watches", p.api_open_watches},
        {"runner_requests", to_json(p.runner_requests)},
        {"runner_errors", p.runner_errors},
        {"runner_seconds", p.runner_s},
        {"settle_seconds", p.settle_s},
        {"schedulable_seconds", p.schedulable_s},
        {"schedulable_latency_seconds", to_json(p.schedulable)},
        {"apiserver_cpu_seconds", p.apiserver_cpu_s},
        {"apiserver_peak_rss_mb", p.apiserver_peak_rss_mb},
        {"etcd_cpu_seconds", p.etcd_cpu_s},
        {"etcd_peak_rss_mb", p.etcd_peak_rss_mb},
        {"simulator_sent_mb", p.sim_sent_mb},
        {"simulator_received_mb", p.sim_received_mb},
        {"simulator_metrics", p.sim_metrics},
        {"metrics_server_scrapes", to_json(p.scrape)},
        {"backlog", p.backlog ? to_json(*p.backlog) : json::value(nullptr)},
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

namespace {

double num(const json::value& v) { return v.is_null() ? 0.0 : v.to_number<double>(); }

std::string str(const json::object& o, const char* k) {
    const auto* v = o.if_contains(k);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::map<std::string, double> map_of(const json::value& v) {
    std::map<std::string, double> out;
    for (const auto& [k, n] : v.as_object()) out[std::string(k)] = num(n);
    return out;
}

latency_summary latency_of(const json::object& l) {
    latency_summary out;
    out.count = static_cast<std::size_t>(num(l.at("count")));
    out.p50 = num(l.at("p50"));
    out.p90 = num(l.at("p90"));
    out.p99 = num(l.at("p99"));
    out.max = num(l.at("max"));
    return out;
}

}  // namespace

run_result run_from_json(const json::value& v) {
    const auto& o = v.as_object();
    run_result r;
    r.scenario = str(o, "scenario");
    r.simulator = str(o, "simulator");
    r.status = str(o, "status");
    r.note = str(o, "note");
    r.settings = o.at("settings").as_object();
    r.cluster_create_s = num(o.at("cluster_create_seconds"));
    r.sim_cpu_total_s = num(o.at("simulator_cpu_seconds_total"));
    r.sim_hwm_mb = num(o.at("simulator_vmhwm_mb"));
    r.sim_metrics_source = str(o, "simulator_metrics_source");
    for (const auto& pv : o.at("phases").as_array()) {
        const auto& po = pv.as_object();
        phase_result p;
        p.name = str(po, "name");
        p.status = str(po, "status");
        p.note = str(po, "note");
        p.target = static_cast<std::size_t>(num(po.at("target")));
        p.done = static_cast<std::size_t>(num(po.at("done")));
        p.wall_s = num(po.at("wall_seconds"));
        p.objects_per_s = num(po.at("objects_per_second"));
        p.sim_cpu_s = num(po.at("simulator_cpu_seconds"));
        p.sim_peak_rss_mb = num(po.at("simulator_peak_rss_mb"));
        p.sim_hwm_mb = num(po.at("simulator_vmhwm_mb"));
        const auto& l = po.at("latency_seconds").as_object();
        p.latency_basis = str(l, "basis");
        p.latency = latency_of(l);
        p.api_by_verb = map_of(po.at("apiserver_requests_by_verb"));
        p.api_by_resource = map_of(po.at("apiserver_requests_by_resource"));
        if (const auto* w = po.if_contains("apiserver_open_watches")) p.api_open_watches = num(*w);
        p.runner_requests = map_of(po.at("runner_requests"));
        p.runner_errors = static_cast<std::size_t>(num(po.at("runner_errors")));
        if (const auto* rs = po.if_contains("runner_seconds")) p.runner_s = num(*rs);  // newer runs
        if (const auto* ss = po.if_contains("settle_seconds")) p.settle_s = num(*ss);
        // Newer runs: the API server's cost, bytes, time to schedulable.
        auto opt = [&po](const char* key) {
            const auto* v = po.if_contains(key);
            return v ? num(*v) : 0.0;
        };
        p.schedulable_s = opt("schedulable_seconds");
        if (const auto* sl = po.if_contains("schedulable_latency_seconds"))
            p.schedulable = latency_of(sl->as_object());
        p.apiserver_cpu_s = opt("apiserver_cpu_seconds");
        p.apiserver_peak_rss_mb = opt("apiserver_peak_rss_mb");
        p.etcd_cpu_s = opt("etcd_cpu_seconds");
        p.etcd_peak_rss_mb = opt("etcd_peak_rss_mb");
        p.sim_sent_mb = opt("simulator_sent_mb");
        p.sim_received_mb = opt("simulator_received_mb");
        p.sim_metrics = po.at("simulator_metrics").as_object();
        if (const auto* sc = po.if_contains("metrics_server_scrapes"); sc && sc->is_object()) {
            const auto& so = sc->as_object();
            p.scrape = scrape_figures{num(so.at("requests")),       num(so.at("p50_seconds")),
                                      num(so.at("p90_seconds")),    num(so.at("p99_seconds")),
                                      num(so.at("tick_p99_seconds")),
                                      num(so.at("nodes_with_metrics")),
                                      num(so.at("pods_with_metrics"))};
        }
        if (const auto* b = po.if_contains("backlog"); b && b->is_object())
            p.backlog = backlog_from_json(*b);
        for (const auto& sv : po.at("samples").as_array()) {
            const auto& a = sv.as_array();
            p.samples.push_back({num(a.at(0)), num(a.at(1)), num(a.at(2)), num(a.at(3)),
                                 num(a.at(4))});
        }
        r.phases.push_back(std::move(p));
    }
    return r;
}

}  // namespace ghost::bench
