#include "bench/scenario/backlog.hpp"

#include <boost/json/object.hpp>

#include <algorithm>
#include <stdexcept>

namespace ghost::bench {
namespace json = boost::json;

namespace {

constexpr std::string_view segment_names[] = {"steady", "load", "paused", "resumed"};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    auto n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

json::value opt(const std::optional<double>& v) {
    return v ? json::value(*v) : json::value(nullptr);
}

std::optional<double> opt_of(const json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    return v->to_number<double>();
}

double num_of(const json::object& o, const char* key) { return o.at(key).to_number<double>(); }

}  // namespace

std::string_view to_string(backlog_segment s) {
    return segment_names[static_cast<int>(s)];
}

std::optional<backlog_segment> backlog_segment_from(std::string_view name) {
    for (int i = 0; i < 4; ++i)
        if (segment_names[i] == name) return static_cast<backlog_segment>(i);
    return std::nullopt;
}

void convergence_clock::observe(double t, const convergence_view& v) {
    last = v;
    bool nodes = v.nodes_ready >= v.nodes;
    bool leases = v.leases_renewed >= v.nodes;
    bool pods = v.loads_done && v.pods_live == v.pods_expected &&
                v.pods_running >= v.pods_expected && v.pods_terminating == 0;
    if (nodes && !nodes_s) nodes_s = t;
    if (leases && !leases_s) leases_s = t;
    if (pods && !pods_s) pods_s = t;
    if (nodes && leases && pods && !all_s) all_s = t;
}

void summarize_series(backlog_figures& f) {
    std::vector<double> steady;
    auto peak = [](std::optional<double>& to, const std::optional<double>& v) {
        if (v && (!to || *v > *to)) to = v;
    };
    f.load_peak_rss_mb = f.pause_peak_rss_mb = f.resume_peak_rss_mb = f.final_rss_mb = 0;
    f.steady_queue = f.pause_peak_queue = f.resume_peak_queue = std::nullopt;
    std::vector<double> steady_queue;
    for (const auto& s : f.series) {
        switch (s.segment) {
        case backlog_segment::steady:
            steady.push_back(s.rss_mb);
            if (s.queue_depth) steady_queue.push_back(*s.queue_depth);
            break;
        case backlog_segment::load:
            f.load_peak_rss_mb = std::max(f.load_peak_rss_mb, s.rss_mb);
            break;
        case backlog_segment::paused:
            f.pause_peak_rss_mb = std::max(f.pause_peak_rss_mb, s.rss_mb);
            peak(f.pause_peak_queue, s.queue_depth);
            break;
        case backlog_segment::resumed:
            f.resume_peak_rss_mb = std::max(f.resume_peak_rss_mb, s.rss_mb);
            peak(f.resume_peak_queue, s.queue_depth);
            f.final_rss_mb = s.rss_mb;
            break;
        }
    }
    f.steady_rss_mb = steady.empty() ? 0 : median(steady);
    if (!steady_queue.empty()) f.steady_queue = median(steady_queue);
    f.peak_ratio = std::nullopt;
    if (f.steady_rss_mb > 0)
        f.peak_ratio = std::max(f.pause_peak_rss_mb, f.resume_peak_rss_mb) / f.steady_rss_mb;
    f.within_bound = f.peak_ratio && *f.peak_ratio <= f.bound;
    f.floor_rss_mb = 0;
    for (const auto& s : f.series)
        if ((s.segment == backlog_segment::steady || s.segment == backlog_segment::load) &&
            (f.floor_rss_mb == 0 || s.rss_mb < f.floor_rss_mb))
            f.floor_rss_mb = s.rss_mb;
    f.floor_ratio = std::nullopt;
    if (f.floor_rss_mb > 0)
        f.floor_ratio = std::max(f.pause_peak_rss_mb, f.resume_peak_rss_mb) / f.floor_rss_mb;
}

void take_convergence(backlog_figures& f, const convergence_clock& c) {
    f.converged = c.converged();
    f.converge_s = c.all_s;
    f.nodes_s = c.nodes_s;
    f.leases_s = c.leases_s;
    f.pods_s = c.pods_s;
    const auto& v = c.last;
    auto gap = [](std::size_t want, std::size_t have) { return want > have ? want - have : 0; };
    f.nodes_not_ready = f.converged ? 0 : gap(v.nodes, v.nodes_ready);
    f.leases_not_renewed = f.converged ? 0 : gap(v.nodes, v.leases_renewed);
    f.pods_missing = f.converged ? 0 : gap(v.pods_expected, v.pods_live);
    f.pods_not_running = f.converged ? 0 : gap(v.pods_live, v.pods_running);
    f.pods_terminating = f.converged ? 0 : v.pods_terminating;
}

json::value to_json(const backlog_figures& f) {
    json::array series;
    for (const auto& s : f.series)
        series.push_back(json::array{s.t, to_string(s.segment), s.rss_mb, opt(s.queue_depth)});
    json::object gauges;
    for (const auto& [k, v] : f.write_gauge_peaks) gauges[k] = v;
    return json::object{{"bound", f.bound},
                        {"paused_at_seconds", f.paused_at_s},
                        {"pause_seconds", f.pause_s},
                        {"steady_rss_mb", f.steady_rss_mb},
                        {"load_peak_rss_mb", f.load_peak_rss_mb},
                        {"pause_peak_rss_mb", f.pause_peak_rss_mb},
                        {"resume_peak_rss_mb", f.resume_peak_rss_mb},
                        {"final_rss_mb", f.final_rss_mb},
                        {"peak_ratio", opt(f.peak_ratio)},
                        {"within_bound", f.within_bound},
                        {"floor_rss_mb", f.floor_rss_mb},
                        {"floor_ratio", opt(f.floor_ratio)},
                        {"steady_write_queue_depth", opt(f.steady_queue)},
                        {"pause_peak_write_queue_depth", opt(f.pause_peak_queue)},
                        {"resume_peak_write_queue_depth", opt(f.resume_peak_queue)},
                        {"write_gauge_peaks", std::move(gauges)},
                        {"converged", f.converged},
                        {"converge_seconds", opt(f.converge_s)},
                        {"nodes_ready_seconds", opt(f.nodes_s)},
                        {"leases_renewed_seconds", opt(f.leases_s)},
                        {"pods_running_seconds", opt(f.pods_s)},
                        {"runner_done_seconds", opt(f.runner_done_s)},
                        {"nodes_not_ready", f.nodes_not_ready},
                        {"leases_not_renewed", f.leases_not_renewed},
                        {"pods_missing", f.pods_missing},
                        {"pods_not_running", f.pods_not_running},
                        {"pods_terminating", f.pods_terminating},
                        {"rss_series_columns",
                         json::array{"t", "segment", "rss_mb", "write_queue_depth"}},
                        {"rss_series", std::move(series)}};
}

backlog_figures backlog_from_json(const json::value& v) {
    const auto& o = v.as_object();
    backlog_figures f;
    f.bound = num_of(o, "bound");
    f.paused_at_s = num_of(o, "paused_at_seconds");
    f.pause_s = num_of(o, "pause_seconds");
    f.steady_rss_mb = num_of(o, "steady_rss_mb");
    f.load_peak_rss_mb = num_of(o, "load_peak_rss_mb");
    f.pause_peak_rss_mb = num_of(o, "pause_peak_rss_mb");
    f.resume_peak_rss_mb = num_of(o, "resume_peak_rss_mb");
    f.final_rss_mb = num_of(o, "final_rss_mb");
    f.peak_ratio = opt_of(o, "peak_ratio");
    f.within_bound = o.at("within_bound").as_bool();
    f.floor_rss_mb = opt_of(o, "floor_rss_mb").value_or(0);   // runs saved before it
    f.floor_ratio = opt_of(o, "floor_ratio");
    f.steady_queue = opt_of(o, "steady_write_queue_depth");
    f.pause_peak_queue = opt_of(o, "pause_peak_write_queue_depth");
    f.resume_peak_queue = opt_of(o, "resume_peak_write_queue_depth");
    for (const auto& [k, g] : o.at("write_gauge_peaks").as_object())
        f.write_gauge_peaks[std::string(k)] = g.to_number<double>();
    f.converged = o.at("converged").as_bool();
    f.converge_s = opt_of(o, "converge_seconds");
    f.nodes_s = opt_of(o, "nodes_ready_seconds");
    f.leases_s = opt_of(o, "leases_renewed_seconds");
    f.pods_s = opt_of(o, "pods_running_seconds");
    f.runner_done_s = opt_of(o, "runner_done_seconds");
    auto count = [&o](const char* key) { return static_cast<std::size_t>(num_of(o, key)); };
    f.nodes_not_ready = count("nodes_not_ready");
    f.leases_not_renewed = count("leases_not_renewed");
    f.pods_missing = count("pods_missing");
    f.pods_not_running = count("pods_not_running");
    f.pods_terminating = count("pods_terminating");
    for (const auto& sv : o.at("rss_series").as_array()) {
        const auto& a = sv.as_array();
        auto seg = backlog_segment_from(a.at(1).as_string());
        if (!seg) throw std::invalid_argument("rss_series: unknown segment");
        std::optional<double> q;
        if (!a.at(3).is_null()) q = a.at(3).to_number<double>();
        f.series.push_back({a.at(0).to_number<double>(), *seg, a.at(2).to_number<double>(), q});
    }
    return f;
}

}  // namespace ghost::bench
