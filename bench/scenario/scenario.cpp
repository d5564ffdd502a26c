#include "bench/scenario/scenario.hpp"

#include "bench/scenario/backlog_run.hpp"
#include "bench/scenario/cluster_session.hpp"
#include "bench/scenario/proc_stats.hpp"
#include "bench/scenario/prom_text.hpp"
#include "bench/scenario/subprocess.hpp"
#include "kube/fake_objects.hpp"

#include <boost/json/parse.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ghost::bench {
namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

std::atomic<bool> interrupted{false};

namespace {

const char* node_prefix = "fake-node";
const char* pod_prefix = "fake-pod";
const char* added_pod_prefix = "fake-pod-added";  // the backlog phase's new pods

double seconds_since(steady::time_point t) {
    return std::chrono::duration<double>(steady::now() - t).count();
}

void say(const std::string& line) { std::cerr << "[ghost_scenario] " << line << std::endl; }

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

fs::path ghost_workdir() {
    if (const char* w = std::getenv("GHOST_WORKDIR"); w && *w) return w;
    const char* home = std::getenv("HOME");
    return fs::path(home ? home : "/root") / ".ghost";
}

double size_of(const runner_config& cfg, const std::string& scenario, const std::string& key,
               double fallback) {
    if (auto it = cfg.sizes.find(scenario + "." + key); it != cfg.sizes.end()) return it->second;
    if (auto it = cfg.sizes.find(key); it != cfg.sizes.end()) return it->second;
    return fallback;
}

// Generous: a minute plus 25 ms per object, scaled by --timeout-scale.
double default_timeout(std::size_t count, const runner_config& cfg) {
    return (60.0 + 0.025 * static_cast<double>(count)) * cfg.timeout_scale;
}

// A component's entry in cluster.json's "ports" (e.g. metrics-server's secure port).
std::optional<std::uint16_t> component_port(const fs::path& cluster_dir, const char* name) {
    try {
        auto state = json::parse(read_file(cluster_dir / "cluster.json")).as_object();
        if (const auto* p = state.at("ports").as_object().if_contains(name))
            return static_cast<std::uint16_t>(p->to_number<int>());
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

// The port in "--server-address=host:port" (or the next argument) of the ghostlet component
// recorded in cluster.json, or its entry in "ports".
std::optional<std::uint16_t> ghostlet_server_port(const fs::path& cluster_dir) {
    try {
        auto state = json::parse(read_file(cluster_dir / "cluster.json")).as_object();
        auto port_of = [](std::string_view addr) -> std::optional<std::uint16_t> {
            auto colon = addr.rfind(':');
            if (colon == std::string_view::npos) return std::nullopt;
            int p = std::atoi(std::string(addr.substr(colon + 1)).c_str());
            if (p <= 0 || p > 65535) return std::nullopt;
            return static_cast<std::uint16_t>(p);
        };
        for (const auto& c : state.at("components").as_array()) {
            if (c.at("name").as_string() != "ghostlet") continue;
            const auto& args = c.at("args").as_array();
            for (std::size_t i = 0; i < args.size(); ++i) {
                std::string_view a = args[i].as_string();
                if (a.rfind("--server-address=", 0) == 0) return port_of(a.substr(17));
                if (a == "--server-address" && i + 1 < args.size())
                    return port_of(args[i + 1].as_string());
            }
        }
    } catch (const std::exception&) {
    }
    return component_port(cluster_dir, "ghostlet");
}

bool boring_metric(const std::string& name) {
    for (const char* p : {"go_", "process_", "promhttp_", "certwatcher_", "workqueue_"}) {
        if (name.rfind(p, 0) == 0) return true;
    }
    return false;
}

// Histograms that moved during the phase (count, sum, p50/p90/p99 in the metric's unit),
// counters (_total) by their delta and other series by their final value.
json::object summarize_sim_metrics(const std::string& before_text, const std::string& after_text) {
    auto before = parse_prom_text(before_text);
    auto after = parse_prom_text(after_text);
    auto hb = histograms(before);
    json::object hist, counters, gauges;
    for (const auto& [key, h] : histograms(after)) {
        if (boring_metric(key)) continue;
        auto d = h;
        if (auto it = hb.find(key); it != hb.end()) d = delta(it->second, h);
        if (d.count <= 0 || hist.size() > 200) continue;
        hist[key] = json::object{{"count", d.count}, {"sum", d.sum}, {"p50", quantile(d, 0.5)},
                                 {"p90", quantile(d, 0.9)}, {"p99", quantile(d, 0.99)}};
    }
    std::map<std::string, double> b;
    auto key_of = [](const prom_sample& s) {
        std::string k = s.name;
        bool first = true;
        for (const auto& [lk, lv] : s.labels) {
            k += (first ? "{" : ",") + lk + "=\"" + lv + "\"";
            first = false;
        }
        return first ? k : k + "}";
    };
    for (const auto& s : before) b[key_of(s)] = s.value;
    for (const auto& s : after) {
        if (boring_metric(s.name) || s.name.find("_bucket") != std::string::npos ||
            s.name.ends_with("_sum") || s.name.ends_with("_count"))
            continue;
        auto k = key_of(s);
        if (s.name.ends_with("_total")) {
            double d = s.value - (b.count(k) ? b[k] : 0.0);
            if (d != 0 && counters.size() < 200) counters[k] = d;
        } else if (gauges.size() < 200) {
            gauges[k] = s.value;
        }
    }
    return json::object{{"histograms", hist}, {"counters_delta", counters}, {"gauges", gauges}};
}

struct api_counts {
    std::map<std::string, double> by_verb, by_resource;
    double open_watches = 0;  // long-running WATCH requests now (every client)
    bool ok = false;
};

api_counts scrape_apiserver(cluster_session& s) {
    api_counts out;
    auto text = s.api_get("/metrics");
    if (!text) return out;
    auto samples = parse_prom_text(*text);
    out.by_verb = sum_by(samples, "apiserver_request_total", {"verb"});
    for (const auto& [k, v] : sum_by(samples, "apiserver_longrunning_requests", {"verb"}))
        if (k == "WATCH") out.open_watches = v;
    auto by_res = sum_by(samples, "apiserver_request_total", {"verb", "resource", "subresource"});
    for (auto& [k, v] : by_res) {
        // "PATCH nodes status" -> "PATCH nodes/status"
        auto key = k;
        auto last = key.rfind(' ');
        if (last != std::string::npos && last + 1 < key.size()) key[last] = '/';
        else if (last == key.size() - 1) key.pop_back();
        out.by_resource[key] += v;
    }
    out.ok = true;
    return out;
}

// metrics-server's histograms of its kubelet scrapes and of its whole ticks (all nodes).
struct scrape_histograms {
    histogram requests, ticks;
    bool ok = false;
};

scrape_histograms scrape_metrics_server(cluster_session& s, std::optional<std::uint16_t> port) {
    scrape_histograms out;
    if (!port) return out;
    auto text = s.local_get(*port, "/metrics", true);
    if (!text) return out;
    auto all = histograms(parse_prom_text(*text));
    out.requests = merged(all, "metrics_server_kubelet_request_duration_seconds");
    out.ticks = merged(all, "metrics_server_manager_tick_duration_seconds");
    // Before metrics-server's first scrape its histograms have no series yet: a baseline of zero
    // (taking that for "did not answer" lost every window that began before the first scrape).
    out.ok = true;
    return out;
}

// Items in a metrics.k8s.io list (nodes or pods with usage), 0 when it does not answer.
double metrics_api_items(cluster_session& s, const char* resource) {
    auto text = s.api_get(std::string("/apis/metrics.k8s.io/v1beta1/") + resource);
    if (!text) return 0;
    boost::system::error_code ec;
    auto v = json::parse(*text, ec);
    if (ec || !v.is_object()) return 0;
    const auto* items = v.as_object().if_contains("items");
    return items && items->is_array() ? static_cast<double>(items->as_array().size()) : 0;
}

struct sim_handle {
    std::string name;
    pid_t pid = -1;
    bool child = false;                      // we started it (kwok)
    std::optional<std::uint16_t> metrics_port;
};

class run_context {
public:
    run_context(const scenario_spec& s, std::string sim, const runner_config& cfg)
        : spec_(s), sim_name_(std::move(sim)), cfg_(cfg) {
        cluster_ = "bench-" + spec_.name + "-" + sim_name_;
        dir_ = ghost_workdir() / "clusters" / cluster_;
        logs_ = cfg_.out_dir / "logs";
        fs::create_directories(logs_);
    }

    ~run_context() { teardown(); }

    run_result run() {
        result_.scenario = spec_.name;
        result_.simulator = sim_name_;
        result_.settings = settings();
        try {
            setup();
            for (std::size_t i = 0; i < spec_.phases.size(); ++i) {
                auto& p = result_.phases.emplace_back();
                p.name = spec_.phases[i].name;
                p.target = spec_.phases[i].count;
                bool earlier_failed = false;
                for (std::size_t j = 0; j + 1 < result_.phases.size(); ++j)
                    earlier_failed |= result_.phases[j].status != "ok";
                if (earlier_failed || interrupted) {
                    p.status = "skipped";
                    p.note = interrupted ? "interrupted" : "an earlier phase did not finish";
                    continue;
                }
                run_phase(spec_.phases[i], static_cast<int>(i), p);
                say(sim_name_ + " " + spec_.name + "/" + p.name + ": " + p.status + ", " +
                    std::to_string(p.done) + "/" + std::to_string(p.target) + " in " +
                    std::to_string(p.wall_s) + " s");
                if (p.status != "ok" && result_.status == "ok") result_.status = "incomplete";
            }
            if (auto s = read_proc(sim_.pid)) {
                result_.sim_cpu_total_s = s->cpu_seconds;
                result_.sim_hwm_mb = s->hwm_mb;
            }
        } catch (const std::exception& e) {
            result_.status = "failed";
            result_.note = e.what();
            say(sim_name_ + " " + spec_.name + " failed: " + e.what());
        }
        teardown();
        return result_;
    }

private:
    json::object settings() const {
        json::array phases;
        for (const auto& p : spec_.phases) {
            json::object o{{"name", p.name}, {"count", p.count}, {"seconds", p.seconds},
                           {"one_node", p.one_node}, {"timeout_seconds", p.timeout_s}};
            if (p.kind == phase_kind::backlog) {
                o["pods_added"] = p.added;
                o["pods_deleted"] = p.deleted;
                o["pause_seconds"] = p.pause_s;
            }
            phases.push_back(std::move(o));
        }
        return json::object{{"cluster", cluster_},
                            {"description", spec_.description},
                            {"nodes", spec_.nodes},
                            {"heartbeat_factor", spec_.heartbeat_factor},
                            {"node_lease_duration_seconds", 40 * spec_.heartbeat_factor},
                            {"disable_qps_limits", true},
                            {"kube_scheduler", false},
                            {"metrics_server", spec_.metrics_server},
                            {"runner_parallelism", cfg_.parallelism},
                            {"ghostlet_args", ghostlet_args_json()},
                            {"stall_seconds", cfg_.stall_seconds},
                            {"phases", phases}};
    }

    json::array ghostlet_args_json() const {
        json::array a;
        if (sim_name_ != "kwok")
            for (const auto& s : cfg_.ghostlet_args) a.emplace_back(s);
        return a;
    }

    std::vector<std::string> ghostctl(std::vector<std::string> args) const {
        args.insert(args.begin(), cfg_.ghostctl.string());
        return args;
    }

    void setup() {
        // A leftover from an interrupted run would not be fresh.
        run_command(ghostctl({"delete", "cluster", "--name", cluster_}), logs_ / "ghostctl.log",
                    120s);
        std::vector<std::string> create{"create", "cluster", "--name", cluster_,
                                        "--disable-qps-limits", "--disable", "kube-scheduler",
                                        "--heartbeat-factor",
                                        std::to_string(spec_.heartbeat_factor)};
        if (sim_name_ == "kwok") create.insert(create.end(), {"--disable", "ghostlet"});
        else
            for (const auto& a : cfg_.ghostlet_args)
                create.insert(create.end(), {"--extra-args", "ghostlet=" + a});
        if (spec_.metrics_server) create.insert(create.end(), {"--enable", "metrics-server"});
        say("creating cluster " + cluster_ + " for " + sim_name_);
        auto t0 = steady::now();
        created_ = true;
        int rc = run_command(ghostctl(create), logs_ / "ghostctl.log", 300s);
        result_.cluster_create_s = seconds_since(t0);
        if (rc != 0) {
            throw std::runtime_error("ghostctl create cluster failed (exit " + std::to_string(rc) +
                                     "); see " + (logs_ / "ghostctl.log").string());
        }
        auto kubeconfig = dir_ / "kubeconfig.yaml";
        sim_.name = sim_name_;
        if (sim_name_ == "kwok") {
            start_kwok(kubeconfig);
        } else {
            auto pid_text = read_file(dir_ / "pids" / "ghostlet.pid");
            sim_.pid = std::atoi(pid_text.c_str());
            if (!process_alive(sim_.pid)) {
                throw std::runtime_error(
                    "ghostlet is not running in cluster " + cluster_ + " (no live pid in " +
                    (dir_ / "pids" / "ghostlet.pid").string() +
                    "); was the ghostlet binary found by ghostctl?");
            }
            sim_.metrics_port = ghostlet_server_port(dir_);
        }
        if (spec_.metrics_server) {
            metrics_server_port_ = component_port(dir_, "metrics-server");
            if (!metrics_server_port_)
                say("warning: no metrics-server port in " + (dir_ / "cluster.json").string() +
                    ": its scrape latency is not measured");
        }
        apiserver_pid_ = std::atoi(read_file(dir_ / "pids" / "kube-apiserver.pid").c_str());
        etcd_pid_ = std::atoi(read_file(dir_ / "pids" / "etcd.pid").c_str());
        if (!process_alive(apiserver_pid_) || !process_alive(etcd_pid_))
            say("warning: no live kube-apiserver/etcd pid in " + (dir_ / "pids").string() +
                ": their CPU and memory are not measured");
        session_ = std::make_unique<cluster_session>(kubeconfig);
        if (sim_.metrics_port) {
            // Wait for the simulator's server (kwok: /healthz) before measuring.
            auto deadline = steady::now() + 30s;
            while (steady::now() < deadline && !session_->local_get(*sim_.metrics_port, "/healthz"))
                std::this_thread::sleep_for(250ms);
            if (session_->local_get(*sim_.metrics_port, "/metrics")) {
                result_.sim_metrics_source =
                    "http://127.0.0.1:" + std::to_string(*sim_.metrics_port) + "/metrics";
            } else {
                result_.sim_metrics_source = "no answer on 127.0.0.1:" +
                                             std::to_string(*sim_.metrics_port) + "/metrics";
                sim_.metrics_port.reset();
            }
        } else {
            result_.sim_metrics_source =
                "none: no --server-address recorded for ghostlet in cluster.json";
        }
        if (!process_alive(sim_.pid))
            throw std::runtime_error(sim_name_ + " exited right after start; see its log");
        session_->start_watches(spec_.watch_leases);
    }

    void start_kwok(const fs::path& kubeconfig) {
        std::vector<std::string> stages;
        for (const char* f : {"node/fast/node-initialize.yaml",
                              "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
                              "pod/fast/pod-ready.yaml", "pod/fast/pod-complete.yaml",
                              "pod/fast/pod-delete.yaml"}) {
            auto p = cfg_.kwok_stages / f;
            if (!fs::exists(p)) throw std::runtime_error("kwok stage file missing: " + p.string());
            stages.push_back(p.string());
        }
        if (!fs::exists(cfg_.kwok)) {
            throw std::runtime_error("kwok binary not found at " + cfg_.kwok.string() +
                                     " (run tools/get-control-plane.sh or pass --kwok)");
        }
        auto port = free_port();
        std::vector<std::string> argv{
            cfg_.kwok.string(),
            "--kubeconfig=" + kubeconfig.string(),
            "--manage-all-nodes=true",
            "--node-lease-duration-seconds=" + std::to_string(40 * spec_.heartbeat_factor),
            "--node-name=localhost",
            "--node-ip=",
            "--server-address=127.0.0.1:" + std::to_string(port)};
        if (spec_.metrics_server) {
            // As kwokctl with metrics-server: nodes advertise kwok's port (Hostname localhost,
            // which metrics-server tries first) and kwok serves kwok's own usage and Metric.
            argv.push_back("--node-port=" + std::to_string(port));
            for (const char* f : {"metrics-resource.yaml", "usage-from-annotation.yaml"}) {
                auto p = cfg_.kwok_metrics / f;
                if (!fs::exists(p))
                    throw std::runtime_error("kwok metrics file missing: " + p.string());
                stages.push_back(p.string());
            }
        }
        for (const auto& s : stages) argv.push_back("--config=" + s);
        auto log = logs_ / ("kwok-" + spec_.name + ".log");
        std::ofstream(log, std::ios::app) << "# " << join_command(argv) << "\n";
        sim_.pid = spawn_background(argv, log);
        sim_.child = true;
        sim_.metrics_port = port;
        result_.settings["kwok_command"] = join_command(argv);
        std::this_thread::sleep_for(1s);
        if (!process_alive(sim_.pid)) {
            throw std::runtime_error("kwok exited right after start; see " + log.string());
        }
    }

    void run_phase(const phase_spec& ps, int index, phase_result& p) {
        auto before_api = scrape_apiserver(*session_);
        std::string before_sim;
        if (sim_.metrics_port) before_sim = session_->local_get(*sim_.metrics_port, "/metrics")
                                                .value_or("");
        auto proc0 = read_proc(sim_.pid).value_or(proc_sample{});
        auto api0 = read_proc(apiserver_pid_).value_or(proc_sample{});
        auto etcd0 = read_proc(etcd_pid_).value_or(proc_sample{});
        auto tcp0 = read_tcp_bytes(sim_.pid);
        bool scraped = spec_.metrics_server && ps.kind == phase_kind::window;
        scrape_histograms ms0;
        if (scraped) ms0 = scrape_metrics_server(*session_, metrics_server_port_);
        auto sample_cluster = [&] {
            if (auto a = read_proc(apiserver_pid_))
                p.apiserver_peak_rss_mb = std::max(p.apiserver_peak_rss_mb, a->rss_mb);
            if (auto e = read_proc(etcd_pid_))
                p.etcd_peak_rss_mb = std::max(p.etcd_peak_rss_mb, e->rss_mb);
        };
        sample_cluster();
        auto c0 = session_->counts();
        std::future<load_stats> load;
        switch (ps.kind) {
        case phase_kind::nodes:
            load = session_->create_nodes(node_prefix, ps.count, index, cfg_.parallelism);
            p.latency_basis = "create request sent -> watch shows condition Ready=True";
            break;
        case phase_kind::pods: {
            auto nodes = spec_.nodes;
            bool one = ps.one_node;
            load = session_->create_pods(
                pod_prefix, ps.count, index,
                [nodes, one](std::size_t i) {
                    return kube::scaled_name(node_prefix, one ? 0 : i % nodes);
                },
                cfg_.parallelism);
            p.latency_basis = "create request sent -> watch shows phase Running";
            break;
        }
        case phase_kind::delete_pods:
            load = session_->delete_pods(pod_prefix, ps.count, index, cfg_.parallelism);
            p.latency_basis = "delete request sent -> watch DELETED event";
            break;
        case phase_kind::window:
            p.latency_basis = "none (steady window)";
            break;
        case phase_kind::backlog: {
            backlog_plan plan;
            plan.nodes = spec_.nodes;
            plan.pods = spec_.nodes * spec_.pods_per_node;
            plan.added = ps.added;
            plan.deleted = ps.deleted;
            plan.steady_s = ps.seconds;
            plan.pause_s = ps.pause_s;
            plan.timeout_s = ps.timeout_s;
            plan.parallelism = cfg_.parallelism;
            plan.node_prefix = node_prefix;
            plan.pod_prefix = pod_prefix;
            plan.added_prefix = added_pod_prefix;
            run_backlog_phase(*session_, plan, {sim_.pid, apiserver_pid_, sim_.metrics_port},
                              index, p, interrupted);
            break;
        }
        }
        auto progress = [&](const object_counts& c) -> std::pair<double, double> {
            switch (ps.kind) {
            case phase_kind::nodes: return {double(c.nodes_ready), double(c.nodes_seen)};
            case phase_kind::pods: return {double(c.pods_running), double(c.pods_seen)};
            case phase_kind::delete_pods:
                return {double(c.pods_deleted - c0.pods_deleted), double(ps.count)};
            case phase_kind::window:
                return {double(c.lease_updates - c0.lease_updates),
                        double(c.node_updates - c0.node_updates)};
            case phase_kind::backlog: return {0, 0};  // its own loop
            }
            return {0, 0};
        };
        double base_done = ps.kind == phase_kind::nodes  ? double(c0.nodes_ready)
                           : ps.kind == phase_kind::pods ? double(c0.pods_running)
                                                         : 0.0;
        auto t0 = steady::now();
        const bool own_loop = ps.kind == phase_kind::backlog;
        if (!own_loop) p.samples.push_back({0, 0, 0, proc0.rss_mb, 0});
        double last_change = 0, last_done = -1, finished_at = -1;
        const double timeout = ps.kind == phase_kind::window ? ps.seconds + 30 : ps.timeout_s;
        while (!own_loop) {
            std::this_thread::sleep_for(250ms);
            double t = seconds_since(t0);
            auto c = session_->counts();
            auto [done, seen] = progress(c);
            done -= base_done;
            if (ps.kind == phase_kind::pods || ps.kind == phase_kind::nodes) seen -= base_done;
            auto proc = read_proc(sim_.pid);
            sample_cluster();
            progress_sample s{t, done, seen, proc ? proc->rss_mb : 0,
                              proc ? proc->cpu_seconds - proc0.cpu_seconds : 0};
            p.samples.push_back(s);
            p.sim_peak_rss_mb = std::max(p.sim_peak_rss_mb, s.rss_mb);
            p.done = static_cast<std::size_t>(std::max(0.0, done));
            if (done != last_done) {
                last_done = done;
                last_change = t;
            }
            if (!proc) {
                p.status = "failed";
                p.note = sim_name_ + " exited during the phase";
                break;
            }
            if (ps.kind == phase_kind::window) {
                if (t >= ps.seconds) break;
            } else if (done >= double(ps.count)) {
                finished_at = t;
                break;
            }
            if (interrupted) {
                p.status = "interrupted";
                break;
            }
            if (t > timeout) {
                p.status = "timeout";
                p.note = "timed out after " + std::to_string(int(timeout)) + " s";
                break;
            }
            if (ps.kind != phase_kind::window && t - last_change > cfg_.stall_seconds) {
                p.status = "stalled";
                p.note = "no progress for " + std::to_string(int(cfg_.stall_seconds)) + " s";
                break;
            }
        }
        if (!own_loop) p.wall_s = finished_at >= 0 ? finished_at : seconds_since(t0);
        if (finished_at >= 0 && ps.kind != phase_kind::window) {
            // Sampling is every 250 ms; the watch knows when the last object got there.
            auto kind = ps.kind == phase_kind::nodes ? object_kind::node : object_kind::pod;
            auto m = ps.kind == phase_kind::delete_pods ? milestone::deleted : milestone::done;
            if (auto last = session_->last_reached(kind, index, m))
                p.wall_s = std::chrono::duration<double>(*last - t0).count();
        }
        if (!own_loop) p.objects_per_s = p.wall_s > 0 ? double(p.done) / p.wall_s : 0;
        if (load.valid()) {
            if (p.status != "ok") session_->stop_load();
            if (load.wait_for(120s) == std::future_status::ready) {
                auto ls = load.get();
                p.runner_requests = ls.requests;
                p.runner_errors = ls.errors;
                p.runner_s = std::chrono::duration<double>(ls.finished - t0).count();
                if (ls.errors) p.note += (p.note.empty() ? "" : "; ") + std::string("runner errors: ") +
                                         std::to_string(ls.errors) + " (last: " + ls.last_error + ")";
            } else {
                p.note += (p.note.empty() ? "" : "; ") + std::string("load generator still busy");
            }
        }
        auto proc1 = read_proc(sim_.pid).value_or(proc0);
        if (auto a = read_proc(apiserver_pid_)) p.apiserver_cpu_s = a->cpu_seconds - api0.cpu_seconds;
        if (auto e = read_proc(etcd_pid_)) p.etcd_cpu_s = e->cpu_seconds - etcd0.cpu_seconds;
        auto moved = tcp_delta_mb(tcp0, read_tcp_bytes(sim_.pid));
        p.sim_sent_mb = moved.sent;
        p.sim_received_mb = moved.received;
        p.sim_cpu_s = proc1.cpu_seconds - proc0.cpu_seconds;
        p.sim_hwm_mb = proc1.hwm_mb;
        auto after_api = scrape_apiserver(*session_);
        if (before_api.ok && after_api.ok) {
            p.api_by_verb = delta(before_api.by_verb, after_api.by_verb);
            p.api_by_resource = delta(before_api.by_resource, after_api.by_resource);
            std::erase_if(p.api_by_verb, [](const auto& kv) { return kv.second == 0; });
            std::erase_if(p.api_by_resource, [](const auto& kv) { return kv.second == 0; });
            p.api_open_watches = after_api.open_watches;
        }
        if (scraped) {
            auto ms1 = scrape_metrics_server(*session_, metrics_server_port_);
            scrape_figures f;
            if (ms0.ok && ms1.ok) {
                auto d = delta(ms0.requests, ms1.requests);
                auto t = delta(ms0.ticks, ms1.ticks);
                f.requests = d.count;
                f.p50_s = quantile(d, 0.5);
                f.p90_s = quantile(d, 0.9);
                f.p99_s = quantile(d, 0.99);
                f.tick_p99_s = quantile(t, 0.99);
            } else {
                p.note += (p.note.empty() ? "" : "; ") +
                          std::string("metrics-server's /metrics did not answer");
            }
            f.nodes_with_metrics = metrics_api_items(*session_, "nodes");
            f.pods_with_metrics = metrics_api_items(*session_, "pods");
            p.scrape = f;
        }
        if (sim_.metrics_port) {
            auto after_sim = session_->local_get(*sim_.metrics_port, "/metrics").value_or("");
            if (!before_sim.empty() && !after_sim.empty())
                p.sim_metrics = summarize_sim_metrics(before_sim, after_sim);
        }
        if (ps.kind == phase_kind::nodes && p.status == "ok") {
            auto s0 = steady::now();
            while (session_->counts().nodes_tainted_not_ready > 0 && seconds_since(s0) < 180 &&
                   !interrupted)
                std::this_thread::sleep_for(250ms);
            p.settle_s = seconds_since(s0);
            p.schedulable = summarize(session_->latencies(object_kind::node, index, milestone::schedulable));
            if (auto last = session_->last_reached(object_kind::node, index, milestone::schedulable);
                last && session_->counts().nodes_tainted_not_ready == 0)
                p.schedulable_s = std::chrono::duration<double>(*last - t0).count();
            if (session_->counts().nodes_tainted_not_ready > 0)
                p.note += (p.note.empty() ? "" : "; ") +
                          std::string("kube-controller-manager still had not-ready taints after 180 s");
        }
        switch (ps.kind) {
        case phase_kind::nodes:
            p.latency = summarize(session_->latencies(object_kind::node, index, milestone::done));
            break;
        case phase_kind::pods:
            p.latency = summarize(session_->latencies(object_kind::pod, index, milestone::done));
            break;
        case phase_kind::delete_pods:
            p.latency = summarize(session_->latencies(object_kind::pod, index, milestone::deleted));
            break;
        case phase_kind::window:
        case phase_kind::backlog: break;   // its own latencies
        }
    }

    void teardown() {
        if (torn_down_) return;
        torn_down_ = true;
        session_.reset();
        if (sim_.child) {
            stop_child(sim_.pid);
            sim_.child = false;
        }
        if (created_) {
            // Keep the component logs (ghostlet, apiserver, ...) next to the results.
            std::error_code ec;
            fs::create_directories(logs_ / cluster_, ec);
            fs::copy(dir_ / "logs", logs_ / cluster_,
                     fs::copy_options::overwrite_existing | fs::copy_options::recursive, ec);
        }
        if (created_ && !cfg_.keep_clusters) {
            say("deleting cluster " + cluster_);
            run_command(ghostctl({"delete", "cluster", "--name", cluster_}),
                        logs_ / "ghostctl.log", 180s);
        }
    }

    const scenario_spec& spec_;
    std::string sim_name_;
    const runner_config& cfg_;
    std::string cluster_;
    fs::path dir_, logs_;
    sim_handle sim_;
    pid_t apiserver_pid_ = -1, etcd_pid_ = -1;  // the cluster's own, for their cost
    std::optional<std::uint16_t> metrics_server_port_;
    std::unique_ptr<cluster_session> session_;
    run_result result_;
    bool created_ = false;
    bool torn_down_ = false;
};

}  // namespace

const std::vector<std::string>& scenario_names() {
    static const std::vector<std::string> names{"kwok-benchmark", "pod-startup", "steady-state",
                                                "metrics-scrape", "backlog", "smoke"};
    return names;
}

scenario_spec make_scenario(const std::string& name, const runner_config& cfg) {
    scenario_spec s;
    s.name = name;
    auto sz = [&](const char* key, double fallback) {
        return static_cast<std::size_t>(size_of(cfg, name, key, fallback));
    };
    auto add = [&](std::string n, phase_kind k, std::size_t count, bool one_node = false) {
        phase_spec p;
        p.name = std::move(n);
        p.kind = k;
        p.count = count;
        p.one_node = one_node;
        p.timeout_s = default_timeout(count, cfg);
        s.phases.push_back(p);
    };
    if (name == "kwok-benchmark" || name == "smoke") {
        bool smoke = name == "smoke";
        s.nodes = sz("nodes", smoke ? 20 : 5000);
        auto pods = sz("pods", smoke ? 100 : 10000);
        s.description = "kwok's CI benchmark: nodes Ready, pods Running on one node, pods deleted";
        add("nodes-ready", phase_kind::nodes, s.nodes);
        add("pods-running", phase_kind::pods, pods, true);
        add("pods-deleted", phase_kind::delete_pods, pods);
    } else if (name == "pod-startup") {
        s.nodes = sz("nodes", 100);
        auto pods = s.nodes * sz("pods-per-node", 30);
        s.description = "pod startup latency, pods spread over nodes (SLO: p99 <= 5 s)";
        add("nodes-ready", phase_kind::nodes, s.nodes);
        add("pods-running", phase_kind::pods, pods);
    } else if (name == "steady-state") {
        s.nodes = sz("nodes", 10000);
        auto pods = s.nodes * sz("pods-per-node", 10);
        s.watch_leases = true;
        s.description = "steady state: nodes with leases and pods, fixed window";
        add("nodes-ready", phase_kind::nodes, s.nodes);
        add("pods-running", phase_kind::pods, pods);
        phase_spec w;
        w.name = "steady-window";
        w.kind = phase_kind::window;
        w.seconds = size_of(cfg, name, "window", 120);  // two rounds of renewals
        s.phases.push_back(w);
    } else if (name == "metrics-scrape") {
        s.nodes = sz("nodes", 1000);
        auto pods = s.nodes * sz("pods-per-node", 10);
        s.metrics_server = true;
        s.description = "the cost of being scraped: metrics-server every 15 s on every node's "
                        "kubelet endpoint, steady window";
        add("nodes-ready", phase_kind::nodes, s.nodes);
        add("pods-running", phase_kind::pods, pods);
        phase_spec w;
        w.name = "scrape-window";
        w.kind = phase_kind::window;
        w.seconds = size_of(cfg, name, "window", 120);  // eight rounds of scrapes
        s.phases.push_back(w);
    } else if (name == "backlog") {
        s.nodes = sz("nodes", 10000);
        s.pods_per_node = sz("pods-per-node", 5);
        const auto pods = s.nodes * s.pods_per_node;
        s.watch_leases = true;   // convergence: every lease renewed after the resume
        s.description = "bounded memory under backlog: kube-apiserver stopped (SIGSTOP) while "
                        "pods are created and deleted, then continued; simulator RSS over time "
                        "and time to converge (issue #13: peak within 2x steady). Converged: "
                        "every node Ready with its lease renewed after the resume (a pause "
                        "shorter than the renewal interval leaves some to renew on schedule), "
                        "every pod Running, none Pending or Terminating";
        add("nodes-ready", phase_kind::nodes, s.nodes);
        add("pods-running", phase_kind::pods, pods);
        phase_spec b;
        b.name = "backlog";
        b.kind = phase_kind::backlog;
        b.added = pods / 2;      // a scale-up by 50 % ...
        b.deleted = pods / 10;   // ... and some pods terminating meanwhile
        b.count = pods + b.added - b.deleted;
        b.seconds = size_of(cfg, name, "window", 30);
        b.pause_s = size_of(cfg, name, "pause", 60);
        b.timeout_s = default_timeout(b.added + b.deleted + s.nodes, cfg);
        s.phases.push_back(b);
    } else {
        throw std::invalid_argument("unknown scenario \"" + name + "\"");
    }
    // kwokctl's factor 5: 200 s leases renewed every ~50 s (10,000 nodes: 200 renewals/s, which
    // this machine's API server sustains; factor 1 would ask 1,000/s of it).
    s.heartbeat_factor = static_cast<int>(size_of(cfg, name, "heartbeat-factor", 5));
    return s;
}

run_result run_scenario(const scenario_spec& s, const std::string& simulator,
                        const runner_config& cfg) {
    run_context ctx(s, simulator, cfg);
    return ctx.run();
}

}  // namespace ghost::bench
