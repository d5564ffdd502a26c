// sim_writer against an in-process HTTP server: completions and the latency split between the
// simulator's own share (stage due -> request sent) and the API server's round trip.
#include "ghost_testing/async_test.hpp"
#include "ghost_testing/loopback_http_server.hpp"
#include "apps/ghostlet/sim_writer.hpp"

#include <boost/asio/co_spawn.hpp>

using namespace std::chrono_literals;
using ghost::testing::run_async;
using ghost::testing::wait_until;
namespace http = boost::beast::http;

namespace {

std::vector<double> bounds() { return ghost::engine::histogram::exponential_bounds(1e-5, 1.5, 40); }

ghost::sim::write_op status_patch(std::string key) {
    ghost::sim::write_op op;
    op.key = key;
    op.request.method = http::verb::patch;
    op.request.target = "/api/v1/namespaces/default/pods/" + key + "/status";
    op.request.content_type = "application/strategic-merge-patch+json";
    op.request.body = R"({"status":{"phase":"Running"}})";
    return op;
}

}  // namespace

// On a manual clock: the stages were due 5 ms before they were submitted, and the API server
// takes 80 ms of that clock to answer each request (the handler steps the clock).
TEST(sim_writer, own_latency_leaves_out_the_api_servers_round_trip) {
    ghost::engine::histogram queue_wait(bounds()), added(bounds()), own(bounds()), rtt(bounds());
    ghost::engine::manual_scheduler sched(ghost::engine::scheduler::time_point{} + 1h);
    run_async([&](auto ex) -> boost::asio::awaitable<void> {
        ghost::testing::loopback_http_server server(ex, [&](const auto&, std::size_t) {
            ghost::testing::reply r;
            r.body = "{}";
            sched.advance(80ms);  // a slow API server
            return r;
        });
        ghost::engine::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, {});
        ghost::ghostlet::writer_metrics m{&queue_wait, &added, &own,
                                          [&](http::verb) { return &rtt; }};
        int completed = 0;
        ghost::ghostlet::sim_writer writer(pool, sched, "", {.max_in_flight = 8}, m, [] {});
        bool writer_done = false;
        boost::asio::co_spawn(ex, writer.async_run(), [&](std::exception_ptr) { writer_done = true; });
        for (auto key : {"a", "b", "c"}) {
            auto op = status_patch(key);
            op.origin = sched.now() - 5ms;
            op.on_done = [&](const ghost::engine::result<ghost::engine::http_response>& r) {
                EXPECT_TRUE(r && r->status == 200);
                ++completed;
            };
            writer.submit(std::move(op));
        }
        EXPECT_TRUE(co_await wait_until([&] { return completed == 3; }));
        writer.stop();
        EXPECT_TRUE(co_await wait_until([&] { return writer_done; }));
        server.stop();
        EXPECT_TRUE(writer_done);
        EXPECT_EQ(completed, 3);
    });
    ASSERT_EQ(own.count(), 3u);
    ASSERT_EQ(added.count(), 3u);
    ASSERT_EQ(rtt.count(), 3u);
    // Sent at submission: the simulator's own share is exactly the 5 ms the stage waited.
    EXPECT_DOUBLE_EQ(own.sum(), 3 * 0.005) << "own latency must leave out the server's time";
    EXPECT_GE(added.sum() / 3, 0.085) << "the acknowledgement includes the server's 80 ms";
    EXPECT_GE(rtt.sum() / 3, 0.080);
    EXPECT_NEAR(added.sum() - own.sum(), rtt.sum(), 1e-9);   // added = own + round trip
}
