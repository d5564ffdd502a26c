#pragma once
// --shard-group: the API side of sim::shard_membership. Lists and watches the group's
// membership Leases (label selector) into it, starts our own Lease, and lets start-up wait
// until the membership is synced, so that the first node events already know which nodes
// are ours. Our membership Lease writes go over a pool of their own, never queued behind the
// writer's node writes: with thousands of node Leases waiting on a slow API server a queued
// renewal came 20 s late and every replica dropped out of the group.

#include "apps/ghostlet/options.hpp"
#include "engine/http_pool.hpp"
#include "engine/scheduler.hpp"
#include "kube/api_client.hpp"
#include "kube/kubeconfig.hpp"
#include "sim/shard_membership.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <memory>

namespace ghost::ghostlet {

class shard_group {
public:
    shard_group(boost::asio::any_io_executor ex, const kube::cluster_access& access,
                kube::api_client& client, const options& opts, engine::scheduler& timers,
                std::function<void()> on_change);
    ~shard_group();

    sim::shard_membership& membership() noexcept { return *membership_; }

    /// Starts our Lease, then lists and watches the group's Leases until cancelled (terminal).
    boost::asio::awaitable<void> async_run();
    /// Returns once the membership is synced (first list seen, our Lease held) or on
    /// cancellation; logs while it waits.
    boost::asio::awaitable<void> async_wait_synced();
    /// Graceful shutdown, first step: gives our membership Lease up (holder cleared), so the
    /// other members take our nodes at once instead of after the Lease's duration.
    void leave() { membership_->leave(); }
    /// Lease writes sent and not answered yet (shutdown waits for the release).
    std::size_t in_flight() const noexcept { return in_flight_; }
    /// Shutdown: no more Lease writes; those in flight finish (the io_context runs until then).
    void close();

private:
    void send(sim::write_op op);

    boost::asio::any_io_executor ex_;
    std::unique_ptr<engine::http_pool> pool_;  ///< our Lease's writes only
    std::string base_path_;
    kube::api_client& client_;
    std::string group_;
    bool closed_ = false;
    std::size_t in_flight_ = 0;
    std::unique_ptr<sim::shard_membership> membership_;
};

}  // namespace ghost::ghostlet
