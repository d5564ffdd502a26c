#pragma once
// The kubelet's node-status loop (ghostlet --api-mode=kubelet), sans-io.
//
// What kubelet v1.36 does (pkg/kubelet/kubelet_node_status.go, tryUpdateNodeStatus, and
// kubelet.go): every nodeStatusUpdateFrequency (10 s, wait.JitterUntil with factor 0.04) it
// computes the node's status from its informer cache (nodeLister, no request) and PATCHes
// node/status when the status changed (heartbeat times ignored) or nodeStatusReportFrequency
// (5 min) plus a one-time random delay passed since the last report. The delay
// (delayAfterNodeStatusChange) is uniform in [-f/2, f/2], drawn when a real change is
// reported and reset to 0 by a report made only because the period ran out. A failed patch
// is retried in the same round (nodeStatusUpdateRetry = 5) from a GET of the node.
//
// node_status_fsm is that decision for one node; node_status_reporter runs one per node on
// an engine::scheduler and sends its requests through the simulation's write sink.

#include "engine/scheduler.hpp"
#include "sim/write_op.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ghost::sim {

struct node_status_timing {
    std::chrono::milliseconds update_frequency{10'000};  ///< nodeStatusUpdateFrequency
    std::chrono::milliseconds report_frequency{300'000};  ///< nodeStatusReportFrequency
    double update_jitter = 0.04;  ///< wait.JitterUntil's factor on the update period
    int tries = 5;                ///< nodeStatusUpdateRetry: attempts in one round
};

class node_status_fsm {
public:
    using time_point = engine::scheduler::time_point;
    enum class action { none, patch, get };

    explicit node_status_fsm(const node_status_timing& t) : timing_(&t) {}

    /// The periodic decision. `changed`: the status computed from the cache differs from the
    /// cached one; `rand01` in [0, 1) draws the report delay. `none` while a round is busy.
    action tick(time_point now, bool changed, double rand01);
    /// The PATCH's outcome: success ends the round (reported now); a failure GETs the node
    /// for the next try while tries remain.
    action patch_done(bool ok, time_point now);
    /// The retry's GET: `changed` computed from the node it returned.
    action get_done(bool ok, bool changed, time_point now);

    bool busy() const noexcept { return busy_; }
    std::optional<time_point> last_report() const noexcept { return last_report_; }
    /// The current one-time delay added to the report period.
    std::chrono::milliseconds report_delay() const noexcept { return delay_; }
    /// When the report period (plus its delay) runs out; unset before the first report.
    std::optional<time_point> report_due() const;
    /// The update period after a tick, jittered as wait.JitterUntil: f * (1 + factor * rand).
    std::chrono::milliseconds next_period(double rand01) const;

private:
    bool period_expired(time_point now) const;
    action fail_try();

    const node_status_timing* timing_;
    bool busy_ = false;
    int tries_ = 0;
    std::optional<time_point> last_report_;
    std::chrono::milliseconds delay_{0};
};

/// The four conditions a kubelet owns (NetworkUnavailable is the route controller's).
struct node_condition_spec {
    const char* type;
    const char* status;
    const char* reason;
    const char* message;
};
const node_condition_spec (&kubelet_node_conditions())[4];

/// What the loop keeps of a node's cached status: per kubelet condition whether it is there
/// with our status, and whether reason and message match too. Two bytes, not the node's DOM.
struct node_status_digest {
    std::uint8_t same_status = 0;  ///< bit i: condition i present with our status
    std::uint8_t same_all = 0;     ///< bit i: and reason/message equal
    bool changed() const noexcept { return same_all != 0x0f; }
};
node_status_digest digest_node_status(const boost::json::object& node);

/// The strategic-merge body of a status report: the four conditions with lastHeartbeatTime
/// `now_text`; lastTransitionTime only for conditions whose status changes (the merge by
/// type keeps the others' transition times).
boost::json::object make_node_status_patch(const node_status_digest& cached,
                                           const std::string& now_text);

struct node_status_stats {
    std::uint64_t ticks = 0;
    std::uint64_t patches = 0;        ///< PATCHes sent
    std::uint64_t changed_patches = 0;  ///< of those, for a changed status
    std::uint64_t gets = 0;           ///< GETs after a failed patch
    std::uint64_t failures = 0;       ///< failed patches or GETs
};

class node_status_reporter {
public:
    using write_sink = std::function<void(write_op)>;
    using wall_clock = std::function<std::chrono::system_clock::time_point()>;

    node_status_reporter(node_status_timing timing, engine::scheduler& timers, write_sink sink,
                         wall_clock wall_now, std::uint64_t seed = 0);
    ~node_status_reporter();
    node_status_reporter(const node_status_reporter&) = delete;
    node_status_reporter& operator=(const node_status_reporter&) = delete;

    /// Starts the loop of a node; its first tick comes within one update period (spread, so
    /// nodes started together do not tick together). Idempotent.
    void start(const std::string& node);
    void stop(const std::string& node);
    /// The node's informer cache changed (its watch): only its digest is kept, made by the
    /// caller before the object went on to the simulation.
    void on_node(const std::string& node, node_status_digest digest);

    bool running(std::string_view node) const;
    std::size_t size() const noexcept { return nodes_.size(); }
    const node_status_stats& stats() const noexcept { return stats_; }

private:
    struct node_loop {
        explicit node_loop(const node_status_timing& t) : fsm(t) {}
        node_status_fsm fsm;
        node_status_digest cached;
        bool seen = false;  ///< the cache has the node (a tick before it decides nothing)
        engine::scheduler::timer_id timer{};
        std::uint64_t generation = 0;
    };

    void tick(const std::string& node);
    void schedule(const std::string& node, node_loop& loop, engine::scheduler::time_point due);
    void act(const std::string& node, node_loop& loop, node_status_fsm::action a);
    void send_patch(const std::string& node, node_loop& loop);
    void send_get(const std::string& node, node_loop& loop);
    node_loop* find(const std::string& node, std::uint64_t generation);
    double rand01();

    node_status_timing timing_;
    engine::scheduler& timers_;
    write_sink sink_;
    wall_clock wall_now_;
    std::mt19937_64 rng_;
    std::unordered_map<std::string, node_loop> nodes_;
    std::uint64_t generation_ = 0;
    node_status_stats stats_;
};

}  // namespace ghost::sim
