#include "bench/scenario/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace ghost::bench {
namespace {

std::string fmt(double v, int digits = 1) {
    if (std::isnan(v)) return "—";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string ratio(double a, double b) {
    if (std::isnan(a) || std::isnan(b) || b == 0) return "—";
    return fmt(a / b, 2);
}

const run_result* find_run(const std::vector<run_result>& runs, const std::string& scenario,
                           const std::string& sim) {
    for (const auto& r : runs) {
        if (r.scenario == scenario && r.simulator == sim) return &r;
    }
    return nullptr;
}

const phase_result* find_phase(const run_result* r, const std::string& name) {
    if (!r) return nullptr;
    for (const auto& p : r->phases) {
        if (p.name == name) return &p;
    }
    return nullptr;
}

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

double or_nan(const std::optional<double>& v) { return v ? *v : nan; }

// The backlog phase's figures (issue #13 item 4): RSS before, during and after the API
// server's pause, the bound, and the time to converge after the resume.
template <class Row, class TextRow>
void backlog_rows(const std::string& phase, const phase_result* gp, const phase_result* kp,
                  Row& row, TextRow& text_row) {
    auto brow = [&](const std::string& metric, const std::function<double(const backlog_figures&)>& f,
                    int digits = 1) {
        auto v = [&](const phase_result* p) { return p && p->backlog ? f(*p->backlog) : nan; };
        row(phase, metric, v(gp), v(kp), digits);
    };
    brow("kube-apiserver stopped (s)", [](const backlog_figures& b) { return b.pause_s; });
    brow("RSS steady, median (MB)", [](const backlog_figures& b) { return b.steady_rss_mb; });
    brow("RSS peak during the load (MB)", [](const backlog_figures& b) { return b.load_peak_rss_mb; });
    brow("RSS peak while stopped (MB)", [](const backlog_figures& b) { return b.pause_peak_rss_mb; });
    brow("RSS peak after the resume (MB)",
         [](const backlog_figures& b) { return b.resume_peak_rss_mb; });
    brow("RSS final (MB)", [](const backlog_figures& b) { return b.final_rss_mb; });
    brow("RSS peak / steady", [](const backlog_figures& b) { return or_nan(b.peak_ratio); }, 2);
    auto bound = [](const phase_result* p) -> std::string {
        if (!p || !p->backlog || !p->backlog->peak_ratio) return "—";
        return p->backlog->within_bound ? "pass" : "fail";
    };
    double limit = (gp && gp->backlog ? gp : kp)->backlog->bound;
    text_row(phase, "peak within " + fmt(limit, 0) + "x steady", bound(gp), bound(kp));
    brow("RSS lowest before the pause (MB)", [](const backlog_figures& b) { return b.floor_rss_mb; });
    brow("RSS peak / lowest before the pause",
         [](const backlog_figures& b) { return or_nan(b.floor_ratio); }, 2);
    brow("converged after the resume (s)",
         [](const backlog_figures& b) { return or_nan(b.converge_s); }, 1);
    brow("nodes Ready after the resume (s)",
         [](const backlog_figures& b) { return or_nan(b.nodes_s); }, 1);
    brow("leases renewed after the resume (s)",
         [](const backlog_figures& b) { return or_nan(b.leases_s); }, 1);
    brow("pods Running after the resume (s)",
         [](const backlog_figures& b) { return or_nan(b.pods_s); }, 1);
    brow("runner's requests done after the resume (s)",
         [](const backlog_figures& b) { return or_nan(b.runner_done_s); }, 1);
    brow("write queue depth, steady",
         [](const backlog_figures& b) { return or_nan(b.steady_queue); }, 0);
    brow("write queue depth, peak while stopped",
         [](const backlog_figures& b) { return or_nan(b.pause_peak_queue); }, 0);
    brow("write queue depth, peak after the resume",
         [](const backlog_figures& b) { return or_nan(b.resume_peak_queue); }, 0);
}

// Per segment of the series: seconds, RSS min/median/max, queue depth max.
std::string backlog_segments(const std::string& sim, const std::string& phase,
                             const backlog_figures& b) {
    std::ostringstream md;
    for (auto seg : {backlog_segment::steady, backlog_segment::load, backlog_segment::paused,
                     backlog_segment::resumed}) {
        std::vector<double> rss;
        double first = nan, last = nan, queue = nan;
        for (const auto& s : b.series) {
            if (s.segment != seg) continue;
            if (std::isnan(first)) first = s.t;
            last = s.t;
            rss.push_back(s.rss_mb);
            if (s.queue_depth && !(*s.queue_depth <= queue)) queue = *s.queue_depth;
        }
        if (rss.empty()) continue;
        std::sort(rss.begin(), rss.end());
        md << "| " << sim << " | " << phase << " | " << to_string(seg) << " | " << fmt(first, 0)
           << "–" << fmt(last, 0) << " | " << rss.size() << " | " << fmt(rss.front()) << " | "
           << fmt(rss[rss.size() / 2]) << " | " << fmt(rss.back()) << " | " << fmt(queue, 0)
           << " |\n";
    }
    return md.str();
}

}  // namespace

std::string markdown_report(const std::vector<run_result>& runs) {
    std::ostringstream md;
    md << "# ghostlet vs kwok — scenario results\n\n"
       << "Each simulator ran against its own fresh ghostctl cluster with identical settings "
          "(`--disable-qps-limits`, no kube-scheduler; pods get `spec.nodeName`). "
          "Ratios are ghostlet/kwok (lower is better for time, CPU, memory, latency and "
          "requests; higher is better for objects/s).\n\n"
       << "API requests are kube-apiserver's `apiserver_request_total` deltas over the phase; "
          "that metric has no client label, so they include the runner's own writes (listed as "
          "`runner ...`) and kube-controller-manager.\n\n"
       << "\"runner's requests done\" is when the API server had answered the runner's own "
          "creates/deletes: no simulator can finish a phase before that. After a nodes phase "
          "the runner waits (outside every phase) until kube-controller-manager has lifted its "
          "not-ready taints, so a phase never pays for the previous one's controller backlog.\n";
    std::vector<std::string> scenarios;
    for (const auto& r : runs) {
        if (std::find(scenarios.begin(), scenarios.end(), r.scenario) == scenarios.end())
            scenarios.push_back(r.scenario);
    }
    for (const auto& sc : scenarios) {
        const auto* g = find_run(runs, sc, "ghostlet");
        const auto* k = find_run(runs, sc, "kwok");
        const auto* any = g ? g : k;
        md << "\n## " << sc << "\n\n";
        if (any->settings.contains("description"))
            md << any->settings.at("description").as_string().c_str() << ".\n\n";
        if (g && g->settings.contains("ghostlet_args") &&
            !g->settings.at("ghostlet_args").as_array().empty()) {
            md << "ghostlet ran with";
            for (const auto& f : g->settings.at("ghostlet_args").as_array())
                md << " `--" << f.as_string().c_str() << "`";
            md << ".\n\n";
        }
        md << "| phase | metric | ghostlet | kwok | ghostlet/kwok |\n|---|---|---:|---:|---:|\n";
        auto row = [&](const std::string& phase, const std::string& metric, double gv, double kv,
                       int digits = 1) {
            md << "| " << phase << " | " << metric << " | " << fmt(gv, digits) << " | "
               << fmt(kv, digits) << " | " << ratio(gv, kv) << " |\n";
        };
        auto text_row = [&](const std::string& phase, const std::string& metric,
                            const std::string& gv, const std::string& kv) {
            md << "| " << phase << " | " << metric << " | " << gv << " | " << kv << " | |\n";
        };
        text_row("run", "status", g ? g->status : "not run", k ? k->status : "not run");
        row("run", "cluster create (s)", g ? g->cluster_create_s : nan,
            k ? k->cluster_create_s : nan);
        std::vector<std::string> phases;
        for (const auto& p : any->phases) phases.push_back(p.name);
        for (const auto& name : phases) {
            const auto* gp = find_phase(g, name);
            const auto* kp = find_phase(k, name);
            auto val = [&](const phase_result* p, const std::function<double(const phase_result&)>& f) {
                return p ? f(*p) : nan;
            };
            auto prow = [&](const std::string& metric,
                            const std::function<double(const phase_result&)>& f, int digits = 1) {
                row(name, metric, val(gp, f), val(kp, f), digits);
            };
            text_row(name, "status", gp ? gp->status : "—", kp ? kp->status : "—");
            bool window = (gp ? gp : kp)->target == 0;
            prow(window ? "lease renewals seen" : "done / target (%)", [](const phase_result& p) {
                return p.target ? 100.0 * double(p.done) / double(p.target) : double(p.done);
            }, window ? 0 : 1);
            prow(window ? "window (s)" : "wall time (s)", [](const phase_result& p) { return p.wall_s; }, 2);
            if (!window) {
                // The floor: the API server took the runner's own writes this long.
                prow("runner's requests done (s)",
                     [](const phase_result& p) { return p.runner_s > 0 ? p.runner_s : nan; }, 2);
                prow("wall beyond the runner (s)", [](const phase_result& p) {
                    return p.runner_s > 0 ? std::max(0.0, p.wall_s - p.runner_s) : nan; }, 2);
                if (name == "nodes-ready") {
                    // Not the simulator's time, and near zero after a slow phase: no ratio.
                    text_row(name, "then kube-controller-manager settled (s)",
                             gp ? fmt(gp->settle_s, 2) : "—", kp ? fmt(kp->settle_s, 2) : "—");
                    // What a user waiting to deploy sees: Ready and untainted, every node.
                    prow("time to schedulable (s)", [](const phase_result& p) {
                        return p.schedulable_s > 0 ? p.schedulable_s : nan; }, 2);
                    prow("node schedulable p99 (s)", [](const phase_result& p) {
                        return p.schedulable.count ? p.schedulable.p99 : nan; }, 2);
                }
            }
            if (!(gp && gp->backlog) && !(kp && kp->backlog))   // no rate of its own
                prow(window ? "lease renewals/s" : "objects/s",
                     [](const phase_result& p) { return p.objects_per_s; });
            prow("simulator CPU (s)", [](const phase_result& p) { return p.sim_cpu_s; }, 2);
            if (window) {
                prow("simulator CPU (% of one core)", [](const phase_result& p) {
                    return p.wall_s > 0 ? 100.0 * p.sim_cpu_s / p.wall_s : nan; }, 2);
            }
            prow("simulator peak RSS (MB)", [](const phase_result& p) { return p.sim_peak_rss_mb; });
            if ((gp && gp->backlog) || (kp && kp->backlog)) backlog_rows(name, gp, kp, row, text_row);
            if ((gp && gp->scrape) || (kp && kp->scrape)) {
                // metrics-server's own histogram of its scrapes of the simulator's endpoint.
                auto sc = [](double scrape_figures::*f, double scale) {
                    return [f, scale](const phase_result& p) {
                        return p.scrape ? (*p.scrape).*f * scale : nan;
                    };
                };
                prow("metrics-server scrapes", sc(&scrape_figures::requests, 1), 0);
                prow("metrics-server scrape p50 (ms)", sc(&scrape_figures::p50_s, 1e3), 1);
                prow("metrics-server scrape p99 (ms)", sc(&scrape_figures::p99_s, 1e3), 1);
                prow("metrics-server tick p99 (ms)", sc(&scrape_figures::tick_p99_s, 1e3), 0);
                prow("nodes in metrics.k8s.io", sc(&scrape_figures::nodes_with_metrics, 1), 0);
                prow("pods in metrics.k8s.io", sc(&scrape_figures::pods_with_metrics, 1), 0);
            }
            // The API server's side of the same work (0 in runs saved before it was measured).
            auto measured = [](double v) { return v > 0 ? v : nan; };
            prow("kube-apiserver CPU (s)", [&](const phase_result& p) { return measured(p.apiserver_cpu_s); }, 2);
            prow("etcd CPU (s)", [&](const phase_result& p) { return measured(p.etcd_cpu_s); }, 2);
            prow("kube-apiserver peak RSS (MB)", [&](const phase_result& p) {
                return measured(p.apiserver_peak_rss_mb); });
            prow("etcd peak RSS (MB)", [&](const phase_result& p) { return measured(p.etcd_peak_rss_mb); });
            prow("simulator sent (MB)", [&](const phase_result& p) { return measured(p.sim_sent_mb); }, 2);
            prow("simulator received (MB)", [&](const phase_result& p) {
                return measured(p.sim_received_mb); }, 2);
            if (!window) {
                prow("latency p50 (ms)", [](const phase_result& p) {
                    return p.latency.count ? p.latency.p50 * 1e3 : nan; }, 0);
                prow("latency p90 (ms)", [](const phase_result& p) {
                    return p.latency.count ? p.latency.p90 * 1e3 : nan; }, 0);
                prow("latency p99 (ms)", [](const phase_result& p) {
                    return p.latency.count ? p.latency.p99 * 1e3 : nan; }, 0);
                // kwok's CI benchmark limits (spec §8): 60 s, 60 s, 90 s.
                double limit = name == "pods-deleted" ? 90 : 60;
                if (sc == "kwok-benchmark") {
                    auto within = [&](const phase_result* p) -> std::string {
                        if (!p) return "—";
                        return p->status == "ok" && p->wall_s <= limit ? "yes" : "no";
                    };
                    text_row(name, "within kwok CI limit (" + fmt(limit, 0) + " s)", within(gp),
                             within(kp));
                }
                if (sc == "pod-startup" && name == "pods-running") {
                    auto slo = [](const phase_result* p) -> std::string {
                        if (!p || !p->latency.count) return "—";
                        return p->latency.p99 <= 5.0 ? "yes" : "no";
                    };
                    text_row(name, "p99 within 5 s SLO", slo(gp), slo(kp));
                }
            }
            std::set<std::string> verbs;
            for (const auto* p : {gp, kp}) {
                if (!p) continue;
                for (const auto& [v, n] : p->api_by_verb) verbs.insert(v);
            }
            for (const auto& v : verbs) {
                auto get = [&](const phase_result& p) {
                    auto it = p.api_by_verb.find(v);
                    return it == p.api_by_verb.end() ? 0.0 : it->second;
                };
                prow("API " + v, get, 0);
            }
            if (window) {
                // The API server's view per simulated node and minute (kubelet mode's mix).
                prow("API open WATCH requests (end)",
                     [](const phase_result& p) { return p.api_open_watches; }, 0);
                const double nodes = any->settings.contains("nodes")
                                         ? any->settings.at("nodes").to_number<double>()
                                         : 0;
                std::set<std::string> resources;
                for (const auto* p : {gp, kp}) {
                    if (!p) continue;
                    for (const auto& [r, n] : p->api_by_resource) resources.insert(r);
                }
                for (const auto& r : resources) {
                    prow("API " + r + " per node·min", [&](const phase_result& p) {
                        auto it = p.api_by_resource.find(r);
                        double n = it == p.api_by_resource.end() ? 0.0 : it->second;
                        return nodes > 0 && p.wall_s > 0 ? n / nodes / (p.wall_s / 60) : nan;
                    }, 3);
                }
            }
            std::set<std::string> own;
            for (const auto* p : {gp, kp}) {
                if (!p) continue;
                for (const auto& [v, n] : p->runner_requests) own.insert(v);
            }
            for (const auto& v : own) {
                prow("runner " + v, [&](const phase_result& p) {
                    auto it = p.runner_requests.find(v);
                    return it == p.runner_requests.end() ? 0.0 : it->second;
                }, 0);
            }
        }
        row("run", "simulator CPU total (s)", g ? g->sim_cpu_total_s : nan,
            k ? k->sim_cpu_total_s : nan, 2);
        row("run", "simulator VmHWM (MB)", g ? g->sim_hwm_mb : nan, k ? k->sim_hwm_mb : nan);
        auto total = [&](const run_result* r, double phase_result::*field) {
            if (!r) return nan;
            double sum = 0;
            for (const auto& p : r->phases) sum += p.*field;
            return sum > 0 ? sum : nan;
        };
        row("run", "kube-apiserver CPU, all phases (s)", total(g, &phase_result::apiserver_cpu_s),
            total(k, &phase_result::apiserver_cpu_s), 2);
        row("run", "etcd CPU, all phases (s)", total(g, &phase_result::etcd_cpu_s),
            total(k, &phase_result::etcd_cpu_s), 2);
        std::string notes;
        for (const auto* r : {g, k}) {
            if (!r) continue;
            if (!r->note.empty()) notes += "- " + r->simulator + ": " + r->note + "\n";
            for (const auto& p : r->phases) {
                if (!p.note.empty())
                    notes += "- " + r->simulator + " " + p.name + ": " + p.note + "\n";
            }
            notes += "- " + r->simulator + " /metrics: " + r->sim_metrics_source + "\n";
        }
        std::string segments;
        for (const auto* r : {g, k}) {
            if (!r) continue;
            for (const auto& p : r->phases) {
                if (!p.backlog) continue;
                const auto& b = *p.backlog;
                segments += backlog_segments(r->simulator, p.name, b);
                if (!b.converged)
                    notes += "- " + r->simulator + " " + p.name + ": not converged: " +
                             std::to_string(b.nodes_not_ready) + " nodes not Ready, " +
                             std::to_string(b.leases_not_renewed) + " leases not renewed, " +
                             std::to_string(b.pods_missing) + " pods missing, " +
                             std::to_string(b.pods_not_running) + " not Running, " +
                             std::to_string(b.pods_terminating) + " Terminating\n";
                for (const auto& [gauge, v] : b.write_gauge_peaks)
                    notes += "- " + r->simulator + " " + p.name + ": peak `" + gauge + "` " +
                             fmt(v, 0) + "\n";
            }
        }
        md << "\n" << notes;
        if (!segments.empty())
            md << "\nSimulator RSS per segment of the backlog phase (one sample a second; the "
                  "whole series is in the JSON, `rss_series`):\n\n| simulator | phase | segment | "
                  "t (s) | samples | RSS min (MB) | median | max | write queue max |\n"
                  "|---|---|---|---|---:|---:|---:|---:|---:|\n"
               << segments;
        // Where the requests went (all clients), largest first: shows what the simulator wrote.
        md << "\nAPI requests by resource (kube-apiserver, all clients, top 8):\n\n";
        for (const auto* r : {g, k}) {
            if (!r) continue;
            for (const auto& p : r->phases) {
                if (p.api_by_resource.empty()) continue;
                std::vector<std::pair<double, std::string>> top;
                for (const auto& [key, n] : p.api_by_resource) top.emplace_back(n, key);
                std::sort(top.rbegin(), top.rend());
                md << "- " << r->simulator << " " << p.name << ":";
                for (std::size_t i = 0; i < top.size() && i < 8; ++i)
                    md << (i ? ", " : " ") << top[i].second << " " << fmt(top[i].first, 0);
                md << "\n";
            }
        }
        // ghostlet's own histograms (event -> decision, patch round trip, ...), per phase.
        if (g) {
            bool header = false;
            for (const auto& p : g->phases) {
                const auto* h = p.sim_metrics.if_contains("histograms");
                if (!h || !h->is_object()) continue;
                for (const auto& [key, v] : h->as_object()) {
                    if (!header) {
                        md << "\nghostlet /metrics histograms (delta over the phase; units as "
                              "exported):\n\n| phase | series | count | p50 | p90 | p99 |\n"
                              "|---|---|---:|---:|---:|---:|\n";
                        header = true;
                    }
                    const auto& o = v.as_object();
                    auto num = [&](const char* f) {
                        return o.at(f).is_double() ? o.at(f).as_double() : nan;
                    };
                    md << "| " << p.name << " | `" << std::string(key) << "` | "
                       << fmt(num("count"), 0) << " | " << fmt(num("p50"), 4) << " | "
                       << fmt(num("p90"), 4) << " | " << fmt(num("p99"), 4) << " |\n";
                }
            }
        }
    }
    return md.str();
}

namespace {

struct series {
    std::vector<std::pair<double, double>> points;
    std::string color;
    bool dashed = false;
    std::string label;
};

double nice_max(double v) {
    if (v <= 0 || std::isnan(v)) return 1;
    double p = std::pow(10.0, std::floor(std::log10(v)));
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        if (m * p >= v) return m * p;
    }
    return 10 * p;
}

std::string esc(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (c == '<') o += "&lt;";
        else if (c == '>') o += "&gt;";
        else if (c == '&') o += "&amp;";
        else o += c;
    }
    return o;
}

void line_panel(std::ostringstream& out, double x, double y, double w, double h,
                const std::string& title, const std::string& xlabel, const std::string& ylabel,
                const std::vector<series>& ss) {
    double xmax = 0, ymax = 0;
    for (const auto& s : ss) {
        for (auto [px, py] : s.points) {
            xmax = std::max(xmax, px);
            ymax = std::max(ymax, py);
        }
    }
    xmax = nice_max(xmax);
    ymax = nice_max(ymax);
    const double l = x + 60, r = x + w - 10, t = y + 25, b = y + h - 35;
    out << "<text x='" << x + w / 2 << "' y='" << y + 15
        << "' text-anchor='middle' font-weight='bold'>" << esc(title) << "</text>\n";
    out << "<rect x='" << l << "' y='" << t << "' width='" << r - l << "' height='" << b - t
        << "' fill='none' stroke='#999'/>\n";
    for (int i = 0; i <= 4; ++i) {
        double fx = l + (r - l) * i / 4, fy = b - (b - t) * i / 4;
        out << "<line x1='" << l << "' x2='" << r << "' y1='" << fy << "' y2='" << fy
            << "' stroke='#eee'/>\n";
        out << "<text x='" << fx << "' y='" << b + 14 << "' text-anchor='middle'>"
            << fmt(xmax * i / 4, xmax < 4 ? 1 : 0) << "</text>\n";
        out << "<text x='" << l - 4 << "' y='" << fy + 4 << "' text-anchor='end'>"
            << fmt(ymax * i / 4, ymax < 4 ? 1 : 0) << "</text>\n";
    }
    out << "<text x='" << (l + r) / 2 << "' y='" << b + 28 << "' text-anchor='middle'>"
        << esc(xlabel) << "</text>\n";
    out << "<text x='" << x + 12 << "' y='" << (t + b) / 2 << "' text-anchor='middle' "
        << "transform='rotate(-90 " << x + 12 << " " << (t + b) / 2 << ")'>" << esc(ylabel)
        << "</text>\n";
    int li = 0;
    for (const auto& s : ss) {
        if (s.points.empty()) continue;
        out << "<polyline fill='none' stroke='" << s.color << "' stroke-width='1.5'"
            << (s.dashed ? " stroke-dasharray='4 3'" : "") << " points='";
        for (auto [px, py] : s.points)
            out << fmt(l + (r - l) * px / xmax, 1) << "," << fmt(b - (b - t) * py / ymax, 1) << " ";
        out << "'/>\n";
        double ly = t + 12 + 14 * li++;
        out << "<line x1='" << l + 8 << "' x2='" << l + 28 << "' y1='" << ly - 4 << "' y2='"
            << ly - 4 << "' stroke='" << s.color << "'" << (s.dashed ? " stroke-dasharray='4 3'" : "")
            << "/><text x='" << l + 32 << "' y='" << ly << "'>" << esc(s.label) << "</text>\n";
    }
}

const char* color_of(const std::string& sim) { return sim == "ghostlet" ? "#1f77b4" : "#ff7f0e"; }

}  // namespace

std::string svg_report(const std::string& scenario, const std::vector<const run_result*>& runs) {
    std::vector<std::string> phases;
    for (const auto* r : runs) {
        for (const auto& p : r->phases) {
            if (std::find(phases.begin(), phases.end(), p.name) == phases.end())
                phases.push_back(p.name);
        }
    }
    const double pw = 480, ph = 260;
    const double height = ph * (static_cast<double>(phases.size()) + 1) + 40;
    std::ostringstream out;
    out << "<svg xmlns='http://www.w3.org/2000/svg' width='" << 2 * pw << "' height='" << height
        << "' font-family='sans-serif' font-size='11'>\n<rect width='100%' height='100%' "
        << "fill='white'/>\n<text x='" << pw << "' y='22' text-anchor='middle' font-size='15' "
        << "font-weight='bold'>" << esc(scenario) << ": ghostlet vs kwok</text>\n";
    double y = 40;
    for (const auto& name : phases) {
        std::vector<series> progress, rss;
        bool window = false;
        for (const auto* r : runs) {
            for (const auto& p : r->phases) {
                if (p.name != name) continue;
                window = p.target == 0;
                series done{{}, color_of(r->simulator), false, r->simulator +
                            (window ? " lease renewals" : " done")};
                series seen{{}, color_of(r->simulator), true, r->simulator +
                            (window ? " node updates" : " created/seen")};
                series mem{{}, color_of(r->simulator), false, r->simulator + " RSS"};
                series cpu{{}, color_of(r->simulator), true, r->simulator + " CPU s x10"};
                for (const auto& s : p.samples) {
                    done.points.emplace_back(s.t, s.done);
                    seen.points.emplace_back(s.t, s.seen);
                    mem.points.emplace_back(s.t, s.rss_mb);
                    cpu.points.emplace_back(s.t, s.cpu_s * 10);
                }
                progress.push_back(std::move(done));
                progress.push_back(std::move(seen));
                rss.push_back(std::move(mem));
                rss.push_back(std::move(cpu));
            }
        }
        line_panel(out, 0, y, pw, ph, name + ": progress", "seconds since phase start",
                   window ? "count" : "objects", progress);
        line_panel(out, pw, y, pw, ph, name + ": simulator memory and CPU",
                   "seconds since phase start", "RSS MB / CPU s x10", rss);
        y += ph;
    }
    // Latency percentiles: grouped bars per phase (p50/p90/p99) for each simulator.
    struct bar { std::string label; double v; std::string color; double opacity; };
    std::vector<bar> bars;
    for (const auto& name : phases) {
        for (const auto* r : runs) {
            for (const auto& p : r->phases) {
                if (p.name != name || !p.latency.count) continue;
                bars.push_back({name + " " + r->simulator + " p50", p.latency.p50 * 1e3,
                                color_of(r->simulator), 0.4});
                bars.push_back({"p90", p.latency.p90 * 1e3, color_of(r->simulator), 0.7});
                bars.push_back({"p99", p.latency.p99 * 1e3, color_of(r->simulator), 1.0});
            }
        }
    }
    const double l = 60, r = 2 * pw - 20, t = y + 30, b = y + ph - 50;
    out << "<text x='" << pw << "' y='" << y + 15 << "' text-anchor='middle' font-weight='bold'>"
        << "latency percentiles p50/p90/p99 (ms; create->Ready/Running, delete->gone)</text>\n";
    double vmax = 0;
    for (const auto& br : bars) vmax = std::max(vmax, br.v);
    vmax = nice_max(vmax);
    out << "<rect x='" << l << "' y='" << t << "' width='" << r - l << "' height='" << b - t
        << "' fill='none' stroke='#999'/>\n";
    for (int i = 0; i <= 4; ++i) {
        double fy = b - (b - t) * i / 4;
        out << "<line x1='" << l << "' x2='" << r << "' y1='" << fy << "' y2='" << fy
            << "' stroke='#eee'/><text x='" << l - 4 << "' y='" << fy + 4
            << "' text-anchor='end'>" << fmt(vmax * i / 4, 0) << "</text>\n";
    }
    if (!bars.empty()) {
        double slot = (r - l) / static_cast<double>(bars.size() + bars.size() / 3);
        double x = l + slot / 2;
        for (std::size_t i = 0; i < bars.size(); ++i) {
            const auto& br = bars[i];
            double bh = (b - t) * br.v / vmax;
            out << "<rect x='" << x << "' y='" << b - bh << "' width='" << slot * 0.9
                << "' height='" << bh << "' fill='" << br.color << "' fill-opacity='"
                << br.opacity << "'><title>" << esc(br.label) << " " << fmt(br.v, 0)
                << " ms</title></rect>\n";
            if (i % 3 == 0) {
                out << "<text x='" << x << "' y='" << b + 12 << "' font-size='9' "
                    << "transform='rotate(20 " << x << " " << b + 12 << ")'>" << esc(br.label)
                    << "</text>\n";
            }
            x += slot;
            if (i % 3 == 2) x += slot;
        }
    }
    out << "</svg>\n";
    return out.str();
}

}  // namespace ghost::bench
