#pragma once
// Node leases (coordination.k8s.io/v1 Lease in kube-node-lease, name = node name), built and
// renewed like kwok's node lease controller: renew every duration/4 (+0-4% jitter); a lease held
// by someone else is left alone until it expires, then taken over (leaseTransitions + 1).

#include "kube/status.hpp"
#include "kube/time.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ghost::kube {

inline constexpr std::string_view node_lease_namespace = "kube-node-lease";

// /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases[/name]
std::string node_lease_path(std::string_view node_name = {});

struct lease_identity {
    std::string node_name;
    std::string node_uid;        // ownerReference to the Node; empty = not known yet (omitted)
    std::string holder;          // holderIdentity of this instance
    int duration_seconds = 40;
    /// metadata.labels (shard membership Leases carry their group; node Leases none).
    std::vector<std::pair<std::string, std::string>> labels;
};

// The parts of a Lease object the decisions need.
struct lease_info {
    std::string holder;
    std::optional<wall_clock::time_point> renew_time;
    int duration_seconds = 0;
    int transitions = 0;
    std::string acquire_time;    // as sent by the server, kept on renewals
    std::string resource_version;
    bool has_owner = false;      // an ownerReference to a Node is present
};

lease_info read_lease(const boost::json::object& lease);

// Full Lease object; `resource_version` non-empty for an update (PUT).
boost::json::object make_lease(const lease_identity& id, wall_clock::time_point renew,
                               std::string_view acquire_time, int transitions,
                               std::string_view resource_version = {});

// `current` given up by its holder: holderIdentity absent, renewTime now, the rest kept, so
// that whoever comes next takes it at once (a lease without holder counts as expired).
boost::json::object make_released_lease(const lease_identity& id, const lease_info& current,
                                        wall_clock::time_point now);

// True when nobody renewed it within its duration (a lease without renewTime/holder is expired).
bool lease_expired(const lease_info& l, wall_clock::time_point now);

// duration/4 scaled by (1 + 0.04 * jitter01), jitter01 in [0, 1).
std::chrono::milliseconds renew_interval(int duration_seconds, double jitter01);

// Per-node lease state machine. Time is passed in; the fsm never reads a clock.
//   step(now) -> get | create(body) | update(body) | wait
// The driver performs the action, reports the outcome, and calls step again at next_due().
class lease_fsm {
public:
    enum class action_kind { get, create, update, wait };
    struct action {
        action_kind kind = action_kind::wait;
        boost::json::object body;   // create/update
    };

    // jitter returns values in [0, 1); default = 0 (no jitter).
    explicit lease_fsm(lease_identity id, std::function<double()> jitter = {});

    action step(wall_clock::time_point now);

    // Result of a GET (or an informer event): nullopt = the lease does not exist.
    void observe(std::optional<lease_info> lease);
    // Outcome of a create/update: the lease the server returned; returns true when this instance
    // just became the holder (first acquisition or take-over).
    bool on_write_done(const lease_info& returned, wall_clock::time_point now);
    void on_get_failed(const boost::system::error_code& ec, wall_clock::time_point now);
    void on_write_failed(const boost::system::error_code& ec, wall_clock::time_point now);

    // The Node's uid became known: the next write carries the ownerReference.
    void set_node_uid(std::string uid);

    // Sharded replicas: `alive(holder)` says whether another holder is a live member of the
    // group. A lease whose holder is not alive is taken at once (its holder died or gave it
    // up) instead of after expiry; while a live holder keeps it, the lease is read again
    // every second (a hand-over is on its way). Unset: expiry alone decides (kwok's rule).
    void set_holder_alive(std::function<bool(std::string_view holder)> alive);

    // The body that gives the lease up (holderIdentity cleared, renewTime now) so that the
    // next holder takes it at once; nullopt when it is not held. The fsm holds it no more.
    std::optional<boost::json::object> release(wall_clock::time_point now);

    bool held() const noexcept { return held_; }
    wall_clock::time_point next_due() const noexcept { return next_due_; }
    const lease_identity& identity() const noexcept { return id_; }

private:
    std::chrono::milliseconds interval();

    lease_identity id_;
    std::function<double()> jitter_;
    std::function<bool(std::string_view)> holder_alive_;
    bool known_ = false;                  // current_ reflects the server
    std::optional<lease_info> current_;
    bool held_ = false;
    bool write_pending_ = false;
    wall_clock::time_point next_due_{};
};

}  // namespace ghost::kube
