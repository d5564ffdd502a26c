#include "apps/ghostlet/shard_group.hpp"

#include "engine/log.hpp"
#include "kube/lease.hpp"
#include "kube/list_watch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ghost::ghostlet {

namespace asio = boost::asio;
using namespace std::chrono_literals;

shard_group::shard_group(kube::api_client& client, const options& opts,
                         engine::scheduler& timers, sim::shard_membership::write_sink sink,
                         std::function<void()> on_change)
    : client_(client), group_(opts.shard_group) {
    sim::shard_config cfg;
    cfg.group = opts.shard_group;
    cfg.identity = opts.identity;
    cfg.lease_duration_seconds = static_cast<int>(opts.shard_lease_duration_seconds);
    membership_ = std::make_unique<sim::shard_membership>(std::move(cfg), timers, std::move(sink),
                                                          std::move(on_change));
}

asio::awaitable<void> shard_group::async_run() {
    membership_->start();
    kube::list_watch_params params;
    params.path = kube::node_lease_path();
    params.options.label_selector = sim::shard_label_selector(group_);
    auto& m = *membership_;
    // Take stock of the whole group before the sync events: a member listed later would look
    // like a join right after start-up.
    params.on_listed = [&m](const std::vector<boost::json::object>& items) {
        for (const auto& lease : items) m.on_lease_upsert(lease);
        m.on_listed();
    };
    co_await kube::async_run_list_watch(
        client_, std::move(params), [&m](kube::event_kind kind, boost::json::object&& lease) {
            if (kind == kube::event_kind::deleted) m.on_lease_delete(lease);
            else m.on_lease_upsert(lease);
        });
}

asio::awaitable<void> shard_group::async_wait_synced() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    auto since = std::chrono::steady_clock::now();
    auto next_log = since + 5s;
    while (!membership_->synced()) {
        timer.expires_after(20ms);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;  // shutdown
        if (std::chrono::steady_clock::now() >= next_log) {
            next_log += 5s;
            GHOST_LOG_INFO("shard group ", group_, ": waiting for our membership Lease ",
                           membership_->lease_name(), " and the group's list");
        }
    }
}

}  // namespace ghost::ghostlet
