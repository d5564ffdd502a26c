#pragma once
// --shard-group: the API side of sim::shard_membership. Lists and watches the group's
// membership Leases (label selector) into it, starts our own Lease, and lets start-up wait
// until the membership is synced, so that the first node events already know which nodes
// are ours.

#include "apps/ghostlet/options.hpp"
#include "engine/scheduler.hpp"
#include "kube/api_client.hpp"
#include "sim/shard_membership.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>

namespace ghost::ghostlet {

class shard_group {
public:
    shard_group(kube::api_client& client, const options& opts, engine::scheduler& timers,
                sim::shard_membership::write_sink sink, std::function<void()> on_change);

    sim::shard_membership& membership() noexcept { return *membership_; }

    /// Starts our Lease, then lists and watches the group's Leases until cancelled (terminal).
    boost::asio::awaitable<void> async_run();
    /// Returns once the membership is synced (first list seen, our Lease held) or on
    /// cancellation; logs while it waits.
    boost::asio::awaitable<void> async_wait_synced();

private:
    kube::api_client& client_;
    std::string group_;
    std::unique_ptr<sim::shard_membership> membership_;
};

}  // namespace ghost::ghostlet
