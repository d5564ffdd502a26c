#include "engine/write_driver.hpp"

#include "ghost_testing/async_test.hpp"
#include "ghost_testing/loopback_http_server.hpp"

#include <boost/asio/detached.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <map>

namespace {

namespace net = boost::asio;
namespace eng = ghost::engine;
using ghost::testing::run_async;
using ghost::testing::sleep_for;
using ghost::testing::loopback_http_server;
using ghost::testing::reply;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

eng::http_request put(std::string target, std::string body) {
    eng::http_request r;
    r.method = boost::beast::http::verb::put;
    r.target = std::move(target);
    r.body = std::move(body);
    return r;
}

struct done_record {
    std::string key;
    unsigned status;    // 0: transport error or superseded
    bool error;
    bool superseded;
    std::uint64_t id;
};

done_record record(const eng::write_report& rep) {
    if (!rep.response)
        return {rep.key, 0, false, true, rep.id};
    auto& r = *rep.response;
    return {rep.key, r ? r->status : 0u, !r, false, rep.id};
}

TEST(write_driver, classify) {
    auto resp = [](unsigned s) {
        eng::http_response r;
        r.status = s;
        return eng::result<eng::http_response>(r);
    };
    using k = eng::write_outcome::kind;
    EXPECT_EQ(eng::write_driver::classify(resp(200)).k, k::success);
    EXPECT_EQ(eng::write_driver::classify(resp(201)).k, k::success);
    EXPECT_EQ(eng::write_driver::classify(resp(404)).k, k::permanent);
    EXPECT_EQ(eng::write_driver::classify(resp(409)).k, k::permanent);
    EXPECT_EQ(eng::write_driver::classify(resp(503)).k, k::transient);
    EXPECT_EQ(eng::write_driver::classify(resp(429)).k, k::transient);
    EXPECT_EQ(eng::write_driver::classify(eng::make_error_code(eng::errc::timeout)).k,
              k::transient);
    auto limited = resp(429);
    limited->retry_after = std::chrono::seconds(2);
    EXPECT_EQ(eng::write_driver::classify(limited).retry_after, 2000ms);
}

TEST(write_driver, coalesces_under_load_and_bounds_in_flight) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        std::map<std::string, std::vector<std::string>> seen;   // target -> bodies in order
        loopback_http_server server(ex, [&](const ghost::testing::http_message& m, std::size_t) {
            seen[std::string(m.target())].push_back(m.body());
            reply r;
            r.delay = 20ms;
            return r;
        });
        eng::pool_config pcfg;
        pcfg.max_connections = 4;
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, pcfg);
        std::vector<done_record> done;
        eng::write_driver_config cfg;
        cfg.max_in_flight = 2;
        eng::write_driver driver(pool, cfg,
                                 [&](const eng::write_report& rep) { done.push_back(record(rep)); });
        bool finished = false;
        net::co_spawn(ex, driver.run(), [&](std::exception_ptr) { finished = true; });
        std::vector<std::uint64_t> ids;
        for (int v = 1; v <= 20; ++v)
            for (const char* k : {"a", "b", "c", "d"})
                ids.push_back(driver.submit(k, eng::write_priority::status,
                                            put(std::string("/") + k, std::to_string(v))));
        for (int i = 0; i < 200 && !driver.queue().empty(); ++i)
            co_await sleep_for(5ms);
        EXPECT_TRUE(driver.queue().empty());
        driver.stop();
        for (int i = 0; i < 100 && !finished; ++i)
            co_await sleep_for(5ms);
        EXPECT_TRUE(finished);
        EXPECT_LE(server.max_concurrent_requests(), 2u);
        for (const char* k : {"a", "b", "c", "d"}) {
            auto& bodies = seen[std::string("/") + k];
            CO_ASSERT_FALSE(bodies.empty());
            EXPECT_LE(bodies.size(), 2u) << k;   // 20 writes coalesced into at most two
            EXPECT_EQ(bodies.back(), "20") << k;  // the newest state always lands last
        }
        // Every write is reported exactly once: sent ones with 200, the rest as superseded.
        EXPECT_EQ(done.size(), ids.size());
        std::vector<std::uint64_t> reported;
        std::size_t sent = 0;
        for (auto& d : done) {
            reported.push_back(d.id);
            if (!d.superseded) {
                ++sent;
                EXPECT_EQ(d.status, 200u);
            }
        }
        std::sort(reported.begin(), reported.end());
        EXPECT_EQ(reported, ids);
        EXPECT_EQ(sent, server.requests_served());
        EXPECT_GE(driver.queue().stats().coalesced, 70u);
    });
}

TEST(write_driver, retries_503_then_succeeds) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        int calls = 0;
        loopback_http_server server(ex, [&](const ghost::testing::http_message&, std::size_t) {
            reply r;
            r.status = ++calls < 3 ? 503 : 200;
            return r;
        });
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, {});
        std::vector<done_record> done;
        eng::write_driver_config cfg;
        cfg.queue.initial_backoff = 20ms;
        eng::write_driver driver(pool, cfg,
                                 [&](const eng::write_report& rep) { done.push_back(record(rep)); });
        net::co_spawn(ex, driver.run(), net::detached);
        auto t0 = clock_type::now();
        driver.submit("lease", eng::write_priority::lease, put("/lease", "x"));
        for (int i = 0; i < 200 && done.empty(); ++i)
            co_await sleep_for(5ms);
        CO_ASSERT_EQ(done.size(), 1u);
        EXPECT_EQ(done[0].key, "lease");
        EXPECT_EQ(done[0].status, 200u);
        EXPECT_EQ(calls, 3);
        EXPECT_GE(clock_type::now() - t0, 60ms);   // 20 ms + 40 ms of backoff
        EXPECT_EQ(driver.queue().stats().retried, 2u);
        driver.stop();
        co_await sleep_for(10ms);
    });
}

TEST(write_driver, honours_retry_after_and_reports_permanent_errors) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        std::vector<clock_type::time_point> limited_calls;
        loopback_http_server server(ex, [&](const ghost::testing::http_message& m, std::size_t) {
            reply r;
            if (m.target() == "/missing") {
                r.status = 404;
            } else if (limited_calls.push_back(clock_type::now()); limited_calls.size() == 1) {
                r.status = 429;
                r.headers = {{"Retry-After", "1"}};
            }
            return r;
        });
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, {});
        std::vector<done_record> done;
        eng::write_driver_config cfg;
        cfg.queue.initial_backoff = 10ms;   // Retry-After must win over this
        eng::write_driver driver(pool, cfg,
                                 [&](const eng::write_report& rep) { done.push_back(record(rep)); });
        net::co_spawn(ex, driver.run(), net::detached);
        driver.submit("gone", eng::write_priority::other, put("/missing", "x"));
        driver.submit("busy", eng::write_priority::status, put("/busy", "y"));
        for (int i = 0; i < 400 && done.size() < 2; ++i)
            co_await sleep_for(5ms);
        CO_ASSERT_EQ(done.size(), 2u);
        EXPECT_EQ(done[0].key, "gone");
        EXPECT_EQ(done[0].status, 404u);
        EXPECT_EQ(done[1].key, "busy");
        EXPECT_EQ(done[1].status, 200u);
        CO_ASSERT_EQ(limited_calls.size(), 2u);
        EXPECT_GE(limited_calls[1] - limited_calls[0], 950ms);
        driver.stop();
        co_await sleep_for(10ms);
    });
}

TEST(write_driver, transport_errors_are_retried) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        int calls = 0;
        loopback_http_server server(ex, [&](const ghost::testing::http_message&, std::size_t) {
            reply r;
            r.drop = ++calls == 1;   // first attempt: connection dropped without an answer
            return r;
        });
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, {});
        std::vector<done_record> done;
        eng::write_driver_config cfg;
        cfg.queue.initial_backoff = 10ms;
        eng::write_driver driver(pool, cfg,
                                 [&](const eng::write_report& rep) { done.push_back(record(rep)); });
        net::co_spawn(ex, driver.run(), net::detached);
        driver.submit("k", eng::write_priority::status, put("/k", "1"));
        for (int i = 0; i < 200 && done.empty(); ++i)
            co_await sleep_for(5ms);
        CO_ASSERT_EQ(done.size(), 1u);
        EXPECT_EQ(done[0].status, 200u);
        EXPECT_EQ(calls, 2);
        driver.stop();
        co_await sleep_for(10ms);
    });
}

TEST(write_driver, due_retry_with_all_slots_busy_does_not_spin) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        int a_calls = 0;
        loopback_http_server server(ex, [&](const ghost::testing::http_message& m, std::size_t) {
            reply r;
            if (m.target() == "/a")
                r.status = ++a_calls == 1 ? 503 : 200;
            else
                r.delay = 300ms;
            return r;
        });
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, {});
        std::vector<done_record> done;
        eng::write_driver_config cfg;
        cfg.max_in_flight = 1;
        cfg.queue.initial_backoff = 5ms;
        eng::write_driver driver(pool, cfg,
                                 [&](const eng::write_report& rep) { done.push_back(record(rep)); });
        net::co_spawn(ex, driver.run(), net::detached);
        driver.submit("a", eng::write_priority::lease, put("/a", "1"));
        driver.submit("b", eng::write_priority::other, put("/b", "2"));
        // a fails, b occupies the only slot for 300 ms while a's retry is already due.
        co_await sleep_for(50ms);
        std::clock_t cpu0 = std::clock();
        co_await sleep_for(200ms);
        double cpu_ms = 1000.0 * static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
        EXPECT_LT(cpu_ms, 100.0);
        for (int i = 0; i < 200 && done.size() < 2; ++i)
            co_await sleep_for(5ms);
        CO_ASSERT_EQ(done.size(), 2u);
        EXPECT_EQ(done[0].key, "b");
        EXPECT_EQ(done[1].key, "a");
        EXPECT_EQ(done[1].status, 200u);
        driver.stop();
        co_await sleep_for(10ms);
    });
}

}  // namespace
