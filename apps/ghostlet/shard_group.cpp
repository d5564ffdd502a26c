#include "apps/ghostlet/shard_group.hpp"

#include "engine/log.hpp"
#include "kube/lease.hpp"
#include "kube/list_watch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace ghost::ghostlet {

namespace asio = boost::asio;
using namespace std::chrono_literals;

shard_group::shard_group(asio::any_io_executor ex, const kube::cluster_access& access,
                         kube::api_client& client, const options& opts,
                         engine::scheduler& timers, std::function<void()> on_change)
    : ex_(ex), base_path_(access.base_path), client_(client), group_(opts.shard_group) {
    engine::pool_config cfg;
    cfg.max_connections = 2;  // a renewal and a read at most
    cfg.request_timeout = std::chrono::seconds(
        std::max<std::int64_t>(2, opts.shard_lease_duration_seconds / 3));
    pool_ = kube::make_http_pool(ex_, access, cfg);
    sim::shard_config sc;
    sc.group = opts.shard_group;
    sc.identity = opts.identity;
    sc.lease_duration_seconds = static_cast<int>(opts.shard_lease_duration_seconds);
    membership_ = std::make_unique<sim::shard_membership>(
        std::move(sc), timers, [this](sim::write_op op) { send(std::move(op)); },
        std::move(on_change));
}

shard_group::~shard_group() = default;

// One request at a time per key is the membership's own rule (its lease fsm waits for each
// reply), so no queue is needed: each write goes out at once and its reply comes back.
void shard_group::send(sim::write_op op) {
    if (closed_) return;
    op.request.target = base_path_ + op.request.target;
    op.request.headers.emplace_back("Accept", "application/json");
    ++in_flight_;
    asio::co_spawn(
        ex_,
        [](engine::http_pool& pool, engine::http_request req) -> asio::awaitable<
                                                                   engine::result<engine::http_response>> {
            co_return co_await pool.async_request(std::move(req));
        }(*pool_, std::move(op.request)),
        [this, done = std::move(op.on_done)](std::exception_ptr e,
                                             engine::result<engine::http_response> r) {
            --in_flight_;
            if (e || closed_) return;  // shutdown: the membership is gone with the process
            if (done) done(r);
        });
}

void shard_group::close() {
    closed_ = true;
    pool_->close();
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
