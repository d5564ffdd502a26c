#include "bench/scenario/backlog_run.hpp"

#include "bench/scenario/proc_stats.hpp"
#include "bench/scenario/prom_text.hpp"
#include "kube/fake_objects.hpp"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <future>
#include <iostream>
#include <limits>
#include <stdexcept>
#include <thread>

namespace ghost::bench {
using namespace std::chrono_literals;

namespace {

void say(const std::string& line) { std::cerr << "[ghost_scenario] " << line << std::endl; }

// SIGSTOP now, SIGCONT when it goes out of scope (an exception must not leave the cluster's
// API server stopped: ghostctl could not even delete it cleanly).
class stopped_process {
public:
    explicit stopped_process(pid_t pid) : pid_(pid) {
        if (pid_ <= 0 || ::kill(pid_, SIGSTOP) != 0)
            throw std::runtime_error("cannot SIGSTOP kube-apiserver (pid " +
                                     std::to_string(pid_) + ")");
    }
    ~stopped_process() { resume(); }
    stopped_process(const stopped_process&) = delete;
    stopped_process& operator=(const stopped_process&) = delete;
    void resume() {
        if (pid_ > 0) ::kill(pid_, SIGCONT);
        pid_ = -1;
    }

private:
    pid_t pid_;
};

bool ready(const std::future<load_stats>& f) {
    return !f.valid() || f.wait_for(0s) == std::future_status::ready;
}

class backlog_phase {
public:
    backlog_phase(cluster_session& s, const backlog_plan& plan, const backlog_processes& procs,
                  int index, phase_result& p, const std::atomic<bool>& interrupted)
        : s_(s), plan_(plan), procs_(procs), index_(index), p_(p), interrupted_(interrupted) {}

    void run() {
        p_.target = plan_.pods + plan_.added - std::min(plan_.deleted, plan_.pods);
        p_.latency_basis = "create request sent -> watch shows phase Running (new pods)";
        cpu0_ = read_proc(procs_.simulator).value_or(proc_sample{}).cpu_seconds;
        auto& f = p_.backlog.emplace();
        // Steady: nothing new for the simulator but its heartbeats.
        until([&] { return now_s() >= plan_.steady_s; }, backlog_segment::steady);
        if (stop_reason()) return finish(f);
        say("backlog: steady RSS window done, creating " + std::to_string(plan_.added) +
            " and deleting " + std::to_string(plan_.deleted) + " pods");
        auto c0 = s_.counts();
        const auto nodes = plan_.nodes;
        creates_ = s_.create_pods(
            plan_.added_prefix, plan_.added, index_,
            [nodes, prefix = plan_.node_prefix](std::size_t i) {
                return kube::scaled_name(prefix, i % nodes);
            },
            plan_.parallelism);
        if (plan_.deleted > 0)
            deletes_ = s_.delete_pods(plan_.pod_prefix, plan_.deleted, index_, plan_.parallelism);
        const double share = std::max(1.0, plan_.pause_after_share * double(plan_.added));
        const double load_started = now_s();
        bool acting = until(
            [&] {
                auto c = s_.counts();
                return double(c.pods_observed - c0.pods_observed) >= share &&
                       (plan_.added == 0 || c.pods_running > c0.pods_running);
            },
            backlog_segment::load, load_started + 120);
        if (stop_reason()) return finish(f);
        if (!acting) note("the simulator had not made a new pod Running 120 s into the load");
        {
            stopped_process apiserver(procs_.apiserver);
            f.paused_at_s = now_s();
            say("backlog: kube-apiserver stopped for " + std::to_string(plan_.pause_s) + " s");
            until([&] { return now_s() - f.paused_at_s >= plan_.pause_s; },
                  backlog_segment::paused);
            apiserver.resume();
        }
        resumed_at_ = steady::now();
        f.pause_s = now_s() - f.paused_at_s;
        say("backlog: kube-apiserver continued; waiting for convergence");
        convergence_clock clock;
        // A few seconds more after convergence so "final" is what the simulator settles at.
        const double tail = std::min(10.0, plan_.steady_s);
        until(
            [&] {
                double since = seconds(steady::now() - resumed_at_);
                clock.observe(since, view());
                if (clock.converged()) return since >= *clock.all_s + tail;
                return since > plan_.timeout_s;
            },
            backlog_segment::resumed);
        take_convergence(f, clock);
        if (!f.converged && !stop_reason()) {
            p_.status = "timeout";
            note("not converged " + std::to_string(int(plan_.timeout_s)) + " s after the resume");
        }
        finish(f);
    }

private:
    static double seconds(steady::duration d) { return std::chrono::duration<double>(d).count(); }
    double now_s() const { return seconds(steady::now() - t0_); }

    void note(const std::string& n) { p_.note += (p_.note.empty() ? "" : "; ") + n; }

    // Why the phase must end now, if it must.
    std::optional<std::string> stop_reason() {
        if (interrupted_) {
            p_.status = "interrupted";
            return "interrupted";
        }
        if (!alive_) {
            p_.status = "failed";
            return "the simulator exited";
        }
        return std::nullopt;
    }

    convergence_view view() {
        auto c = s_.counts();
        convergence_view v;
        v.nodes = plan_.nodes;
        v.nodes_ready = c.nodes_ready_now;
        v.leases_renewed = s_.leases_renewed_since(resumed_at_);
        v.pods_expected = p_.target;
        v.pods_live = c.pods_live;
        v.pods_running = c.pods_running_now;
        v.pods_terminating = c.pods_terminating;
        v.loads_done = ready(creates_) && ready(deletes_);
        return v;
    }

    // Polls `done` every 250 ms and samples once a second until it holds (true), the deadline
    // passes, the simulator exits or the run is interrupted (false).
    template <class Done>
    bool until(Done done, backlog_segment segment,
               double deadline = std::numeric_limits<double>::infinity()) {
        for (;;) {
            // A sample as each segment begins, so none is empty however short it is.
            if (now_s() >= next_sample_ || segment != last_segment_) {
                last_segment_ = segment;
                sample(segment);
                next_sample_ = std::floor(now_s()) + 1;
            }
            if (stop_reason()) return false;
            if (done()) return true;
            if (now_s() > deadline) return false;
            std::this_thread::sleep_for(250ms);
        }
    }

    void sample(backlog_segment segment) {
        const double t = now_s();
        auto proc = read_proc(procs_.simulator);
        if (!proc) {
            alive_ = false;
            return;
        }
        backlog_sample s{t, segment, proc->rss_mb, std::nullopt};
        if (procs_.metrics_port) {
            if (auto text = s_.local_get(*procs_.metrics_port, "/metrics")) {
                for (const auto& m : parse_prom_text(*text)) {
                    if (m.name == "ghostlet_writer_queue_depth") s.queue_depth = m.value;
                    // Gauges only: counters and histogram parts are not a backlog.
                    if (m.name.rfind("ghostlet_write", 0) == 0 && !m.name.ends_with("_total") &&
                        !m.name.ends_with("_bucket") && !m.name.ends_with("_sum") &&
                        !m.name.ends_with("_count")) {
                        auto& peak = p_.backlog->write_gauge_peaks[m.name];
                        peak = std::max(peak, m.value);
                    }
                }
            }
        }
        p_.backlog->series.push_back(s);
        auto c = s_.counts();
        p_.samples.push_back({t, double(c.pods_running_now), double(c.pods_live), proc->rss_mb,
                              proc->cpu_seconds - cpu0_});
        p_.sim_peak_rss_mb = std::max(p_.sim_peak_rss_mb, proc->rss_mb);
    }

    void finish(backlog_figures& f) {
        if (auto why = stop_reason()) note(*why);
        summarize_series(f);
        p_.done = s_.counts().pods_running_now;
        p_.wall_s = now_s();
        if (p_.status != "ok") s_.stop_load();
        for (auto* load : {&creates_, &deletes_}) {
            if (!load->valid()) continue;
            if (load->wait_for(120s) != std::future_status::ready) {
                note("load generator still busy");
                continue;
            }
            try {
                auto ls = load->get();
                for (const auto& [k, v] : ls.requests) p_.runner_requests[k] += v;
                p_.runner_errors += ls.errors;
                p_.runner_s = std::max(p_.runner_s, seconds(ls.finished - t0_));
                if (ls.errors)
                    note("runner errors: " + std::to_string(ls.errors) + " (last: " +
                         ls.last_error + ")");
            } catch (const std::exception& e) {
                note(std::string("load generator failed: ") + e.what());
            }
        }
        if (f.pause_s > 0 && p_.runner_s > 0)
            f.runner_done_s = std::max(0.0, p_.runner_s - f.paused_at_s - f.pause_s);
        p_.latency = summarize(s_.latencies(object_kind::pod, index_, milestone::done));
    }

    cluster_session& s_;
    const backlog_plan& plan_;
    const backlog_processes& procs_;
    int index_;
    phase_result& p_;
    const std::atomic<bool>& interrupted_;
    const steady::time_point t0_ = steady::now();
    steady::time_point resumed_at_ = steady::time_point::max();
    double next_sample_ = 0;
    std::optional<backlog_segment> last_segment_;
    double cpu0_ = 0;
    bool alive_ = true;
    std::future<load_stats> creates_, deletes_;
};

}  // namespace

void run_backlog_phase(cluster_session& session, const backlog_plan& plan,
                       const backlog_processes& procs, int phase_index, phase_result& p,
                       const std::atomic<bool>& interrupted) {
    backlog_phase(session, plan, procs, phase_index, p, interrupted).run();
}

}  // namespace ghost::bench
