#pragma once
// Stages on any other kind (kwok's StageController, spec §1.11): PersistentVolumes, ConfigMaps,
// custom resources. One instance per resourceRef; objects are not tied to nodes, every object of
// the resource is played. Plain state machine like `simulation`: events in, writes out through
// the sink, time through the wheel.
//
// Writes: patch (merge patch unless the stage says otherwise; a status patch goes to the main
// resource when the resource has no status subresource), delete (grace 0), event, and apply:
// the rendered object is server-side applied (fieldManager `ghostlet`, force) or, with
// type merge/strategic, created and patched when it exists; with a subresource only that
// subresource is patched. A step waits for the previous one; a failed step ends the play.

#include "engine/scheduler.hpp"
#include "kube/discovery.hpp"
#include "sim/apply_write.hpp"
#include "sim/object_pipeline.hpp"
#include "sim/simulation.hpp"
#include "stages/lifecycle.hpp"
#include "stages/steps.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>

namespace ghost::sim {

struct resource_simulation_config {
    std::string version = "v0.1.0-ghostlet";
    std::string event_component = "ghostlet";
    std::string field_manager = "ghostlet";
    std::function<std::chrono::system_clock::time_point()> wall_now;
    std::function<engine::scheduler::time_point()> steady_now;  ///< unset: the scheduler's
    std::uint64_t seed = 0;  ///< 0: random
};

struct resource_simulation_stats {
    std::uint64_t events = 0;
    std::uint64_t stages_played = 0;
    std::uint64_t play_errors = 0;   ///< render failures, unresolvable apply targets
    std::uint64_t write_errors = 0;  ///< permanent API errors
    std::uint64_t writes = 0;
    std::uint64_t writes_skipped = 0;  ///< patches that would change nothing (not sent)
};

class resource_simulation {
public:
    /// Resolves an apply step's rendered object; nullptr fails the step for that object, logged.
    using resolve_fn = sim::resolve_fn;

    resource_simulation(kube::api_resource resource, std::vector<stages::stage> stages,
                        resource_simulation_config config, engine::scheduler& timers,
                        simulation::write_sink sink, resolve_fn resolve);
    ~resource_simulation();
    resource_simulation(const resource_simulation&) = delete;
    resource_simulation& operator=(const resource_simulation&) = delete;

    /// A new set for this kind (Stage custom resources changed); the next event of each object
    /// is matched against it, stages already chosen play as they were. Empty: nothing plays.
    void replace_stages(std::vector<stages::stage> stages);

    void on_upsert(boost::json::value object);
    void on_delete(const boost::json::value& object);

    const kube::api_resource& resource() const noexcept { return resource_; }
    const resource_simulation_stats& stats() const noexcept { return stats_; }
    std::size_t pending_stages() const noexcept { return pipeline_->pending(); }

private:
    struct play_state;
    void play(std::size_t stage_index, const std::string& key, object_snapshot object,
              engine::scheduler::time_point due);
    void send(std::shared_ptr<play_state> p, std::size_t index);
    /// A patch, delete or event step (apply steps: sim/apply_write.hpp).
    write_op encode(const stages::action& a, const boost::json::object& object);
    std::string now_text() const;

    kube::api_resource resource_;
    std::vector<std::unique_ptr<stages::lifecycle>> sets_;  ///< every set used (small)
    std::vector<const stages::stage*> stage_table_;          ///< pipeline index -> stage
    std::size_t base_ = 0;                                   ///< first index of the newest set
    resource_simulation_config config_;
    engine::scheduler& timers_;
    simulation::write_sink sink_;
    resolve_fn resolve_;
    std::mt19937_64 rng_;
    lang::func_map funcs_;
    resource_simulation_stats stats_;
    std::uint64_t events_sent_ = 0;
    std::unique_ptr<object_pipeline> pipeline_;
};

}  // namespace ghost::sim
