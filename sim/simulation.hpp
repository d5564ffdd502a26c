#pragma once
// The simulated kubelets of every managed node, as a plain state machine: Node and Pod events
// go in, HTTP writes come out through a sink, time advances through an engine::scheduler
// (timer_service in ghostlet, manual_scheduler in tests). No socket,
// no clock of its own: the driver (apps/ghostlet) owns I/O and feeds results back through each
// write's completion callback.
//
// What it does, as kwok (spec §1): decides which nodes are managed; keeps their Leases; plays
// Node and Pod stages (match, delay, render, patch/delete/event/finalizers, in step order);
// allocates pod IPs from per-CIDR pools and returns them when pods go away.

#include "engine/error.hpp"
#include "engine/http_types.hpp"
#include "engine/scheduler.hpp"
#include "engine/write_queue.hpp"
#include "kube/label_selector.hpp"
#include "kube/lease.hpp"
#include "lang/gotpl.hpp"
#include "sim/ip_pool.hpp"
#include "stages/lifecycle.hpp"
#include "sim/node_registry.hpp"
#include "sim/apply_write.hpp"
#include "sim/object_pipeline.hpp"
#include "sim/write_op.hpp"
#include "stages/steps.hpp"
#include "stages/template_funcs.hpp"

#include <boost/container/small_vector.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace ghost::sim {

struct simulation_config {
    enum class manage_mode { all_nodes, single_node, selectors };
    manage_mode mode = manage_mode::all_nodes;
    std::string single_node;
    std::optional<kube::label_selector> node_label_selector;
    std::optional<kube::label_selector> node_annotation_selector;
    std::optional<kube::label_selector> disregard_label_selector;
    std::optional<kube::label_selector> disregard_annotation_selector;

    std::string cidr = "10.0.0.0/24";
    /// NodeIP, and the InternalIP given to managed nodes without one. Empty (kwokctl passes
    /// --node-ip=): each such node gets fallback_node_address(name) instead, so its pods never
    /// have an empty hostIP.
    std::string node_ip;
    std::string node_name;
    int node_port = 0;

    int lease_duration_seconds = 0;  ///< 0: no node leases
    std::string identity;            ///< lease holder

    /// Sharded replicas (--shard-group, sim/shard_membership.hpp): whether this replica
    /// simulates a selected node, and whether a node lease's holder may still hold it (false
    /// for a member that died or left: its lease is taken at once). Unset: every selected
    /// node is ours and a lease changes hands on expiry only (kwok's rule).
    std::function<bool(std::string_view node)> owns_node;
    std::function<bool(std::string_view holder)> holder_alive;
    std::string version = "v0.1.0-ghostlet";
    std::string event_component = "ghostlet";
    /// Apply steps of Node and Pod stages: their targets through discovery (unset: every
    /// apply step fails, logged), written with this field manager.
    resolve_fn resolve_apply_target;
    std::string field_manager = "ghostlet";

    /// Steady time for event stamps; empty: the scheduler's now().
    std::function<engine::scheduler::time_point()> steady_now;
    std::function<std::chrono::system_clock::time_point()> wall_now;
    std::uint64_t seed = 0;  ///< 0: random
};

struct simulation_stats {
    std::uint64_t node_events = 0;
    std::uint64_t pod_events = 0;
    std::uint64_t stages_played = 0;
    std::uint64_t play_errors = 0;    ///< render/template failures (object skipped)
    std::uint64_t write_errors = 0;   ///< permanent API errors after retries
    std::uint64_t writes = 0;
    std::uint64_t writes_skipped = 0;  ///< stage patches that would change nothing (not sent)
    std::uint64_t node_addresses_fixed = 0;  ///< dual-stack address lists left out or replaced
    std::uint64_t leases_acquired = 0;
    std::uint64_t lease_renewals = 0;
    std::uint64_t pods_parked = 0;   ///< pods that arrived before their node (or its lease)
    std::uint64_t pods_dropped = 0;  ///< parked pods over the limit (logged)
    std::uint64_t nodes_released = 0;  ///< sharded: nodes handed to another member
    std::uint64_t nodes_taken = 0;     ///< sharded: nodes that became ours after start
};

class simulation {
public:
    using write_sink = std::function<void(write_op)>;

    /// Throws stage_error when a stage cannot be used (e.g. a kind other than Node/Pod).
    simulation(simulation_config config, std::vector<stages::stage> stages,
               engine::scheduler& timers, write_sink sink);
    ~simulation();
    simulation(const simulation&) = delete;
    simulation& operator=(const simulation&) = delete;

    /// A new set of Node and Pod stages (e.g. Stage custom resources changed): the next event
    /// of each object is matched against it; stages already chosen play as they were.
    void replace_stages(std::vector<stages::stage> stages);

    /// The shard membership changed: every known node is matched against owns_node again.
    /// Nodes moving away are released (their lease given up so that the new owner takes it at
    /// once, their stages stopped, their pods forgotten; nothing is deleted); nodes moving in
    /// are taken: lease first, then the node and its pods are read from the API server.
    void reevaluate_ownership();

    /// ADDED / MODIFIED / relisted Node.
    void on_node_upsert(boost::json::value node);
    void on_node_delete(const boost::json::value& node);

    /// Every pod of a fresh LIST, before their events: marks their IPs as used so that no
    /// allocation can hand out an address a not-yet-processed pod already has.
    void reserve_pod_ips(const boost::json::object& pod);
    void on_pod_upsert(boost::json::value pod);
    void on_pod_delete(const boost::json::value& pod);

    /// Field selectors for the watches (kwok §1.2).
    std::string node_field_selector() const;
    std::string pod_field_selector() const;

    const simulation_stats& stats() const noexcept { return stats_; }
    const node_registry& nodes() const noexcept { return nodes_; }
    std::size_t pending_stages() const noexcept;
    std::size_t tracked_pods() const noexcept { return pods_.size(); }

private:
    /// Kept for every pod on a managed node (100,000s of them): no allocation of its own while
    /// the node name fits the short-string buffer and the pod has one IP.
    struct pod_state {
        std::string node;
        std::uint64_t uid_hash = 0;  ///< 0: unknown; a pod recreated under its name starts afresh
        boost::container::small_vector<std::string, 1> ips;  ///< ours (released on delete)
        bool deleting = false;       ///< our DELETE is queued or in flight
    };
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    struct lease_state {
        std::unique_ptr<kube::lease_fsm> fsm;
        engine::scheduler::timer_id timer{};
        bool in_flight = false;
        std::uint64_t generation = 0;  ///< replies to an earlier fsm of the node are ignored
        bool read_pods = false;        ///< moved in: its pods' events went by unseen
        object_snapshot latest_node;  ///< only while the lease is not held: staged once it is
    };
    enum class kind_ref { node, pod };
    /// One write of a played stage, its body already serialized: the rendered DOM and the
    /// snapshot are gone before the write waits for a busy API server.
    struct stage_write {
        write_op op;
        std::optional<write_op> patch_if_exists;  ///< apply as create-then-patch (merge types)
        stages::action_kind kind = stages::action_kind::patch;
        std::size_t step = 0;
    };
    /// What a stage still has to send, in step order (shared by the completion callbacks).
    struct stage_play {
        kind_ref kind = kind_ref::pod;
        std::string key;
        const stages::stage* st = nullptr;
        bool feed_back = false;  ///< immediateNextStage: our patch's reply is the next event
        std::vector<stage_write> writes;
    };

    bool disregarded(const boost::json::object& obj) const;
    bool node_wanted(const boost::json::object& node) const;
    bool node_owned(std::string_view name) const;
    /// Stops simulating nodes that are no longer ours (selectors or shard membership).
    void give_up_nodes(const std::vector<std::string>& names);
    void read_pods_of(const std::string& node);
    bool node_ready_for_stages(const std::string& name) const;
    void stage_node(const std::string& name, object_snapshot node);
    void release_parked_pods(const std::string& node);
    void drop_parked_pods(const std::string& node);
    void forget_parked_pod(const std::string& node, const std::string& key);

    // Leases.
    void lease_start(const std::string& node, const std::string& uid);
    void lease_step(const std::string& node);
    void lease_schedule(const std::string& node, std::chrono::system_clock::time_point due);
    void lease_acquired(const std::string& node);
    void read_node(const std::string& node);
    void lease_stop(const std::string& node);
    /// Sharded: the lease is given up (holder cleared) for the next owner; else just stopped.
    void lease_give_up(const std::string& node);
    void send_lease_release(const std::string& node, boost::json::object body);
    void release_late_acquisition(const std::string& node,
                                  const engine::result<engine::http_response>& reply);

    // Playing stages.
    void play(kind_ref kind, std::size_t stage_index, const std::string& key,
              object_snapshot object, engine::scheduler::time_point due);
    void send_writes(std::shared_ptr<stage_play> play, std::size_t index);
    void step_failed(const stage_play& play, std::size_t index,
                     const engine::result<engine::http_response>& r);
    /// A patch, delete or event step (apply steps: sim/apply_write.hpp).
    std::optional<write_op> action_to_write(kind_ref kind, const stages::action& a,
                                            const boost::json::object& object);

    // Template functions.
    lang::func_map make_common_funcs();
    lang::func_map make_node_funcs();
    lang::func_map make_pod_funcs();
    std::vector<std::string> node_ips_with(std::string_view node);
    /// The InternalIP a managed node without one gets when --node-ip is empty: stable per
    /// name (fallback_node_address), distinct within the process.
    const std::string& fallback_node_ip(std::string_view node);
    std::vector<std::string> pod_ips_with(std::string_view node, bool host_network,
                                          std::string_view key);
    pod_state& pod_entry(std::string_view key);  ///< found or added
    void mark_pod_ips(const boost::json::object& pod, pod_state& state);
    /// Returns `ips` to the pools of `node` (and the --cidr pool).
    void release_pod_ips(std::string_view node, std::span<const std::string> ips);

    std::string now_text() const;

    simulation_config config_;
    engine::scheduler& timers_;
    write_sink sink_;
    std::mt19937_64 rng_;
    simulation_stats stats_;

    struct stage_set {
        stages::lifecycle stages;
        std::size_t base = 0;  ///< index of its first stage in stage_table_
    };
    std::vector<std::unique_ptr<stage_set>> stage_sets_;  ///< every set ever used (small)
    std::vector<const stages::stage*> stage_table_;
    const stage_set* node_stages_ = nullptr;
    const stage_set* pod_stages_ = nullptr;
    lang::func_map node_funcs_;
    lang::func_map pod_funcs_;

    node_registry nodes_;
    pool_set ip_pools_;
    std::unordered_map<std::string, pod_state, string_hash, std::equal_to<>> pods_;
    std::unordered_map<std::string, std::vector<object_snapshot>> parked_pods_;
    std::unordered_map<std::string, lease_state> leases_;
    std::unordered_map<std::string, std::string> fallback_ips_;  ///< node -> its fallback IP
    std::unordered_set<std::uint32_t> fallback_used_;           ///< offsets in the range
    std::string playing_node_;  ///< the node whose stage is rendering (NodeIP in node stages)
    std::size_t parked_count_ = 0;
    std::uint64_t events_sent_ = 0;  ///< makes each event's write key unique
    std::uint64_t lease_generation_ = 0;
    static constexpr std::size_t max_parked_pods = 200'000;

    std::unique_ptr<object_pipeline> node_pipeline_;
    std::unique_ptr<object_pipeline> pod_pipeline_;
};

/// The range of fallback node InternalIPs: 10.255.0.0/16 (hosts .0.1 to .255.254).
inline constexpr const char* fallback_node_range = "10.255.0.0/16";
/// Host offset (1 .. 65534) of a node's fallback InternalIP: FNV-1a of the name, then
/// `attempt` steps on (linear probing on a collision).
std::uint32_t fallback_node_offset(std::string_view node_name, std::uint32_t attempt = 0);
/// "10.255.<hi>.<lo>" for an offset.
std::string fallback_node_address(std::uint32_t offset);

}  // namespace ghost::sim
