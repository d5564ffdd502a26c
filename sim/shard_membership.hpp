#pragma once
// Sharded replicas (--shard-group): several ghostlet processes split the managed nodes, with
// Leases as the only coordination. Each member holds a membership Lease in kube-node-lease
// (`ghostlet-shard-<group>-<identity>`, labelled shard_group_label=<group>), renewed every
// duration/4 like a node lease, and watches the group's Leases. Live members = holders of
// those Leases renewed within their duration, timed as client-go's leader election does: from
// when we saw renewTime change, on our own clock, so a watch lagging under load does not make
// live members look dead (a Lease already expired when first seen is dead from the start).
// Each node belongs to one
// live member by rendezvous (highest random weight) hashing, so a member joining or leaving
// moves only its share of the nodes.
//
// Plain state machine like `simulation`: watch events in, lease writes out through the sink,
// time through an engine::scheduler (the live set is re-evaluated when the next member's
// lease would expire) and an injected wall clock. on_change fires once the membership is
// synced (first list seen and our own Lease held) and whenever the live set changes after.

#include "engine/scheduler.hpp"
#include "kube/lease.hpp"
#include "sim/write_op.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::sim {

inline constexpr std::string_view shard_group_label = "ghostlet/shard-group";

/// The weight of `member` for `key`; the live member with the highest weight owns the key.
std::uint64_t rendezvous_weight(std::string_view member, std::string_view key);
/// The member of `members` that owns `key` ("" when there is none); ties go to the smaller name.
std::string_view rendezvous_owner(std::span<const std::string> members, std::string_view key);

/// `ghostlet-shard-<group>-<identity>`, made a valid object name (lower case, [a-z0-9.-],
/// at most 253 characters).
std::string shard_lease_name(std::string_view group, std::string_view identity);
/// "ghostlet/shard-group=<group>", for the watch of the group's Leases.
std::string shard_label_selector(std::string_view group);
/// Empty when `group` is a valid label value (what --shard-group accepts), else why not.
std::string check_shard_group(std::string_view group);

struct shard_config {
    std::string group;
    std::string identity;            ///< holderIdentity of our membership Lease
    int lease_duration_seconds = 40;
    std::function<engine::scheduler::time_point()> steady_now;  ///< empty: the scheduler's
    std::function<std::chrono::system_clock::time_point()> wall_now;
    std::uint64_t seed = 0;          ///< renewal jitter; 0: random
};

class shard_membership {
public:
    using write_sink = std::function<void(write_op)>;

    shard_membership(shard_config config, engine::scheduler& timers, write_sink sink,
                     std::function<void()> on_change);
    ~shard_membership();
    shard_membership(const shard_membership&) = delete;
    shard_membership& operator=(const shard_membership&) = delete;

    /// Starts holding our membership Lease (create, 409 -> read, renew every duration/4).
    void start();
    /// Stops renewing and gives our Lease up (holder cleared) so the others take our nodes at
    /// once (graceful shutdown); a no-op before it is held.
    void leave();

    /// The group's Leases from the list/watch (label selector shard_label_selector).
    void on_lease_upsert(const boost::json::object& lease);
    void on_lease_delete(const boost::json::object& lease);
    /// A full list was handled (its vanished Leases came as deletes before).
    void on_listed();

    bool synced() const noexcept { return synced_; }
    /// Whether `node` belongs to us: false until synced.
    bool owns(std::string_view node) const;
    /// The live member owning `node` ("" before sync or with no live member).
    std::string_view owner(std::string_view node) const;
    /// Whether `holder` is a live member of the group (ourselves included).
    bool alive(std::string_view holder) const;
    /// Whether `holder` was seen as a member and is not live any more (it died or left): its
    /// node Leases may be taken at once. A holder never seen as a member (not listed yet, or
    /// not of the group) is not departed: its Leases are taken on expiry only.
    bool departed(std::string_view holder) const;
    /// Sorted identities of the live members.
    const std::vector<std::string>& live_members() const noexcept { return live_; }
    const std::string& lease_name() const noexcept { return lease_name_; }
    std::uint64_t changes() const noexcept { return changes_; }

private:
    struct member_lease {
        std::string holder;
        std::optional<kube::wall_clock::time_point> renew;
        int duration_seconds = 0;
        /// When we saw renewTime change (steady clock); unset: expired when first seen.
        std::optional<engine::scheduler::time_point> observed;
    };

    void record(const boost::json::object& lease);
    bool lease_live(const member_lease& m, engine::scheduler::time_point now) const;
    void refresh();
    void schedule_refresh();
    void lease_step();
    void lease_schedule(kube::wall_clock::time_point due);
    engine::scheduler::time_point steady_at(kube::wall_clock::time_point due) const;

    shard_config config_;
    engine::scheduler& timers_;
    write_sink sink_;
    std::function<void()> on_change_;
    std::mt19937_64 rng_;
    std::string lease_name_;
    std::unique_ptr<kube::lease_fsm> fsm_;
    bool lease_in_flight_ = false;
    bool leaving_ = false;
    bool listed_ = false;
    bool synced_ = false;
    std::uint64_t changes_ = 0;
    std::map<std::string, member_lease> leases_;  ///< by Lease name
    std::vector<std::string> live_;
    std::set<std::string, std::less<>> seen_;   ///< every holder ever seen as a member
    engine::scheduler::timer_id lease_timer_{};
    engine::scheduler::timer_id refresh_timer_{};
};

}  // namespace ghost::sim
