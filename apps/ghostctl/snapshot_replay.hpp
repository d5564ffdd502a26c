#pragma once
// Replaying a recording (the ResourcePatch documents after a k8s snapshot's objects), sans-io:
// the timing (each document at start + offset / speed, one at a time in offset order, as kwok's
// replay: a slow write delays the next one but nothing goes early) and how a recorded patch
// becomes API requests (the API server, not etcd as kwok's replay, takes them: status goes to
// the status subresource, a deletionTimestamp becomes a DELETE, owner uids are re-linked).

#include "apps/ghostctl/snapshot_record.hpp"
#include "engine/scheduler.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ghost::ghostctl {

/// Indexes of `offsets` in replay order: by offset, file order among equals (kwok reorders
/// with a heap the same way).
std::vector<std::size_t> replay_order(const std::vector<std::chrono::nanoseconds>& offsets);

/// Drives a replay on a scheduler (engine::timer_service in production, a manual_scheduler in
/// tests). `apply(index, done)` writes one document and calls `done()` when it finished
/// (possibly later, from another callback); the next one is due no earlier than start +
/// offset / speed. `finished` runs once, after the last document or after stop().
class replay_runner {
public:
    using apply_fn = std::function<void(std::size_t index, std::function<void()> done)>;

    /// speed > 0: 2 replays twice as fast as recorded.
    replay_runner(engine::scheduler& s, std::vector<std::chrono::nanoseconds> offsets,
                  double speed, apply_fn apply, std::function<void()> finished);
    replay_runner(const replay_runner&) = delete;
    replay_runner& operator=(const replay_runner&) = delete;
    ~replay_runner();

    /// Starts the clock at the scheduler's now.
    void start();
    /// Nothing more is applied (a document being written finishes); `finished` runs once it did.
    void stop();

    std::size_t applied() const { return applied_; }
    std::size_t total() const { return order_.size(); }
    bool done() const { return finished_called_; }
    /// When document `index` is due.
    engine::scheduler::time_point due(std::size_t index) const;

private:
    void schedule_next();
    void finish();

    engine::scheduler& sched_;
    std::vector<std::chrono::nanoseconds> offsets_;
    std::vector<std::size_t> order_;
    double speed_;
    apply_fn apply_;
    std::function<void()> finished_;
    engine::scheduler::time_point start_{};
    std::size_t next_ = 0;
    std::size_t applied_ = 0;
    bool in_flight_ = false;
    bool stopped_ = false;
    bool finished_called_ = false;
    std::optional<engine::scheduler::timer_id> timer_;
};

/// The requests one recorded `patch` document becomes.
struct replay_patch_requests {
    boost::json::object main;      ///< strategic merge patch of the object (empty: none)
    boost::json::object status;    ///< {"status": ...} for the status subresource (empty: none)
    bool delete_after = false;     ///< the patch set metadata.deletionTimestamp
    std::optional<int> grace_seconds;  ///< its deletionGracePeriodSeconds
    std::string bind_to;           ///< pods: the node spec.nodeName was set to (a Binding)
};

/// Splits a recorded patch: `status` goes to the subresource when the resource has one (the
/// API server ignores it in the object's patch); metadata.deletionTimestamp and
/// deletionGracePeriodSeconds cannot be patched (they are immutable) and become a DELETE; for
/// pods (`pod`), a spec.nodeName set by the scheduler becomes a Binding (a pod's nodeName cannot
/// be patched either).
replay_patch_requests split_recorded_patch(boost::json::object patch, bool has_status, bool pod);

/// Rewrites owner uids (ownerReferences items, their "$patch: delete" entries and
/// $setElementOrder/ownerReferences) of `object_or_patch` through `new_uid` (old -> new;
/// nullptr keeps the uid).
void relink_owner_uids(boost::json::object& object_or_patch,
                       const std::function<const std::string*(std::string_view)>& new_uid);

}  // namespace ghost::ghostctl
