#pragma once
// The per-resource stage pipeline (kwok spec §1.4): every new resourceVersion of an object is
// matched against the stages, the chosen stage is delayed on the scheduler and then played
// against the snapshot taken at match time. A newer version replaces a pending one (its delay
// restarts from now); a version already pending is not matched twice; DELETED cancels.
//
// Plain object, no I/O: the owner feeds events and the current time; delays go through an
// engine::scheduler (timer_service in production, manual_scheduler in tests).
// Per-object state is one map entry (key, resourceVersion, timer id) plus the snapshot as JSON
// text while a stage is pending, nothing otherwise.

#include "engine/scheduler.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ghost::sim {

using object_snapshot = std::shared_ptr<const boost::json::value>;

struct stage_choice {
    std::size_t stage_index = 0;
    std::chrono::milliseconds delay{0};
};

class object_pipeline {
public:
    /// Picks a stage for an object (nullopt: none matches). May consult randomness.
    using match_fn = std::function<std::optional<stage_choice>(const boost::json::value&)>;
    /// Plays stage `stage_index` against `snapshot`; `key` names the object and `due` is when
    /// the stage was due (the event time plus its delay).
    using play_fn = std::function<void(std::size_t stage_index, const std::string& key,
                                       object_snapshot, engine::scheduler::time_point due)>;

    object_pipeline(engine::scheduler& timers, match_fn match, play_fn play);
    object_pipeline(const object_pipeline&) = delete;
    object_pipeline& operator=(const object_pipeline&) = delete;
    ~object_pipeline();

    /// An ADDED / MODIFIED / SYNC event, or an object returned by our own patch
    /// (immediateNextStage). Returns the delay chosen, or nullopt when nothing was scheduled.
    std::optional<std::chrono::milliseconds> on_upsert(const std::string& key,
                                                       object_snapshot object,
                                                       engine::scheduler::time_point now);
    /// A DELETED event: the pending stage, if any, is dropped.
    void on_delete(const std::string& key);
    /// Drops everything pending (e.g. the node stopped being managed).
    void cancel_all();

    std::size_t pending() const noexcept { return pending_.size(); }
    std::uint64_t matched() const noexcept { return matched_; }
    std::uint64_t deduplicated() const noexcept { return deduplicated_; }

private:
    struct pending_entry {
        std::string resource_version;
        engine::scheduler::timer_id timer;
    };

    engine::scheduler& timers_;
    match_fn match_;
    play_fn play_;
    std::unordered_map<std::string, pending_entry> pending_;
    std::uint64_t matched_ = 0;
    std::uint64_t deduplicated_ = 0;
};

/// `metadata.resourceVersion` of an object, or "" when absent.
std::string_view resource_version_of(const boost::json::value& object);

}  // namespace ghost::sim
