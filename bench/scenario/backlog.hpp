#pragma once
// The backlog scenario's pure parts (issue #13 item 4): the simulator's RSS sampled once a
// second while kube-apiserver is stopped, what that series comes to (steady value, peaks, the
// peak/steady ratio against the 2x bound) and when the cluster had converged after the resume.

#include <boost/json/value.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::bench {

/// Where in the scenario a sample was taken: before any new load, while the runner creates and
/// deletes pods (API server up), while the API server is stopped, after it was continued.
enum class backlog_segment { steady, load, paused, resumed };

std::string_view to_string(backlog_segment s);
/// nullopt for an unknown name.
std::optional<backlog_segment> backlog_segment_from(std::string_view name);

struct backlog_sample {
    double t = 0;                          // seconds since the phase started
    backlog_segment segment = backlog_segment::steady;
    double rss_mb = 0;                     // simulator VmRSS
    std::optional<double> queue_depth;     // ghostlet_writer_queue_depth (none: not exposed)
};

/// The cluster as the runner's watches see it now.
struct convergence_view {
    std::size_t nodes = 0;            // nodes the scenario created
    std::size_t nodes_ready = 0;      // with Ready=True now
    std::size_t leases_renewed = 0;   // node leases modified since the resume
    std::size_t pods_expected = 0;    // pods that should exist once the load is done
    std::size_t pods_live = 0;        // pods the watch has and has not seen deleted
    std::size_t pods_running = 0;     // of those, in phase Running
    std::size_t pods_terminating = 0; // of those, with a deletionTimestamp
    bool loads_done = false;          // the runner's own creates and deletes were answered
};

/// Records, in seconds since the resume, when each part of "converged" first held and when
/// all of them held at once: every node Ready with its lease renewed after the resume, and
/// every expected pod there and Running (none Pending, none Terminating).
class convergence_clock {
public:
    void observe(double since_resume, const convergence_view& v);
    bool converged() const { return all_s.has_value(); }

    std::optional<double> nodes_s, leases_s, pods_s, all_s;
    convergence_view last;   // the latest view (what was still missing, when never converged)
};

struct backlog_figures {
    double bound = 2;                 // the peak/steady ratio the issue allows
    double paused_at_s = 0;           // phase time of SIGSTOP
    double pause_s = 0;               // how long the API server was stopped
    double steady_rss_mb = 0;         // median over the steady segment
    double load_peak_rss_mb = 0;      // max in the load segment (API server still up)
    double pause_peak_rss_mb = 0;     // max while stopped
    double resume_peak_rss_mb = 0;    // max after the resume
    double final_rss_mb = 0;          // last sample (after convergence, with the new pods)
    std::optional<double> peak_ratio; // max(pause, resume peak) / steady; none without steady
    // The stricter reference: the lowest RSS before the pause (steady or load). An allocator
    // that returns the previous phase's memory late makes the steady median the higher one.
    double floor_rss_mb = 0;
    std::optional<double> floor_ratio;   // max(pause, resume peak) / floor
    bool within_bound = false;
    std::optional<double> steady_queue, pause_peak_queue, resume_peak_queue;
    // Peaks over the phase of every ghostlet_write* gauge the simulator exposes.
    std::map<std::string, double> write_gauge_peaks;
    // Convergence after the resume (seconds since SIGCONT; none: not reached).
    bool converged = false;
    std::optional<double> converge_s, nodes_s, leases_s, pods_s;
    // When the runner's own creates and deletes were all answered, seconds after the resume:
    // pods cannot be Running before they exist (the floor of pods_s).
    std::optional<double> runner_done_s;
    // What was missing at the end when it did not converge.
    std::size_t nodes_not_ready = 0, leases_not_renewed = 0, pods_missing = 0,
                pods_not_running = 0, pods_terminating = 0;
    std::vector<backlog_sample> series;
};

/// The RSS and queue figures of `series` (steady median, per-segment peaks, final, ratio
/// against `bound`); the convergence fields are left as they are.
void summarize_series(backlog_figures& f);

/// Copies the clock's times and, when it never converged, what was missing.
void take_convergence(backlog_figures& f, const convergence_clock& c);

boost::json::value to_json(const backlog_figures& f);
/// Throws std::exception when malformed.
backlog_figures backlog_from_json(const boost::json::value& v);

}  // namespace ghost::bench
