#include "engine/write_driver.hpp"

#include "ghost_testing/async_test.hpp"
#include "ghost_testing/loopback_http_server.hpp"

#include <boost/asio/detached.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace {

namespace net = boost::asio;
namespace eng = ghost::engine;
using ghost::testing::run_async;
using ghost::testing::sleep_for;
using ghost::testing::wait_until;
using ghost::testing::loopback_http_server;
using ghost::testing::reply;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
// Time in these tests is a manual clock: retries and deadlines fire only when the test steps it.
using sched_type = eng::manual_scheduler;

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
        sched_type sched;
        std::vector<done_record> done;
        eng::write_driver_config cfg;
        cfg.max_in_flight = 2;
        eng::write_driver driver(pool, sched, cfg,
                                 [&](const eng::write_report& rep) { done.push_back(record(rep)); });
        bool finished = false;
        net::co_spawn(ex, driver.run(), [&](std::exception_ptr) { finished = true; });
        std::vector<std::uint64_t> ids;
        for (int v = 1; v <= 20; ++v)
            for (const char* k : {"a", "b", "c", "d"})
                ids.push_back(driver.submit(k, eng::write_priority::status,
                                            put(std::string("/") + k, std::to_string(v))));
        EXPECT_TRUE(co_await wait_until([&] { return driver.queue().empty(); }));
        driver.stop();
        EXPECT_TRUE(co_await wait_until([&] { return finished; }));
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

TEST(write_driver, retries_503_after_the_backoff_on_the_injected_clock) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        int calls = 0;
        loopback_http_server server(ex, [&](const ghost::testing::http_message&, std::size_t) {
            reply r;
            r.status = ++calls < 3 ? 503 : 200;
            return r;
        });
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, {});
        sched_type sched;
        std::vector<done_record> done;
        eng::write_driver_config cfg;
        cfg.queue.initial_backoff = 20ms;
        eng::write_driver driver(pool, sched, cfg,
                                 [&](const eng::write_report& rep) { done.push_back(record(rep)); });
        bool finished = false;
        net::co_spawn(ex, driver.run(), [&](std::exception_ptr) { finished = true; });
        driver.submit("lease", eng::write_priority::lease, put("/lease", "x"));
        // Requeued, and the driver has armed its retry timer on the scheduler.
        auto backing_off = [&] {
            return driver.in_flight() == 0 && driver.queue().waiting() == 1 && sched.size() == 1;
        };
        CO_ASSERT_TRUE(co_await wait_until([&] { return calls == 1 && backing_off(); }));
        EXPECT_EQ(sched.advance(19ms), 0u);   // backoff not over: nothing wakes the driver
        EXPECT_EQ(calls, 1);
        EXPECT_EQ(sched.advance(1ms), 1u);    // 20 ms: the retry is due
        CO_ASSERT_TRUE(co_await wait_until([&] { return calls == 2 && backing_off(); }));
        EXPECT_EQ(sched.advance(39ms), 0u);   // doubled: 40 ms
        EXPECT_EQ(sched.advance(1ms), 1u);
        CO_ASSERT_TRUE(co_await wait_until([&] { return !done.empty(); }));
        CO_ASSERT_EQ(done.size(), 1u);
        EXPECT_EQ(done[0].key, "lease");
        EXPECT_EQ(done[0].status, 200u);
        EXPECT_EQ(calls, 3);
        EXPECT_EQ(driver.queue().stats().retried, 2u);
        driver.stop();
        EXPECT_TRUE(co_await wait_until([&] { return finished; }));
    });
}

// An adaptive limit: a round of 429s cuts the writes in flight, and the retries go out no more
// than that many at a time.
TEST(write_driver, throttling_answers_cut_the_adaptive_limit) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        bool shedding = true;
        loopback_http_server server(ex, [&](const ghost::testing::http_message&, std::size_t) {
            reply r;
            r.status = shedding ? 429 : 200;
            r.delay = 5ms;
            return r;
        });
        eng::pool_config pcfg;
        pcfg.max_connections = 8;
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, pcfg);
        sched_type sched;
        eng::write_driver_config cfg;
        cfg.max_in_flight = 8;
        cfg.adaptive = eng::concurrency_limit_config{.initial_limit = 8, .min_limit = 2};
        cfg.queue.initial_backoff = 10ms;
        std::size_t ok = 0;
        eng::write_driver driver(pool, sched, cfg, [&](const eng::write_report& rep) {
            if (rep.response && *rep.response && (*rep.response)->status == 200) ++ok;
        });
        EXPECT_EQ(driver.limit(), 8u);
        bool finished = false;
        net::co_spawn(ex, driver.run(), [&](std::exception_ptr) { finished = true; });
        for (int k = 0; k < 8; ++k)
            driver.submit("k" + std::to_string(k), eng::write_priority::status, put("/k", "1"));
        CO_ASSERT_TRUE(co_await wait_until([&] {
            return driver.queue().stats().retried == 8 && driver.in_flight() == 0;
        }));
        EXPECT_EQ(driver.limit(), 3u) << "8 x 0.9^8";
        shedding = false;
        sched.advance(10ms);
        std::size_t most = 0;
        CO_ASSERT_TRUE(co_await wait_until([&] {
            most = std::max(most, driver.in_flight());
            return ok == 8;
        }));
        EXPECT_LE(most, 3u);
        EXPECT_GT(most, 0u);
        driver.stop();
        EXPECT_TRUE(co_await wait_until([&] { return finished; }));
    });
}

TEST(write_driver, honours_retry_after_and_reports_permanent_errors) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        sched_type sched;
        std::vector<sched_type::time_point> limited_calls;
        loopback_http_server server(ex, [&](const ghost::testing::http_message& m, std::size_t) {
            reply r;
            if (m.target() == "/missing") {
                r.status = 404;
            } else if (limited_calls.push_back(sched.now()); limited_calls.size() == 1) {
                r.status = 429;
                r.headers = {{"Retry-After", "1"}};
            }
            return r;
        });
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, {});
        std::vector<done_record> done;
        eng::write_driver_config cfg;
        cfg.queue.initial_backoff = 10ms;   // Retry-After must win over this
        eng::write_driver driver(pool, sched, cfg,
                                 [&](const eng::write_report& rep) { done.push_back(record(rep)); });
        bool finished = false;
        net::co_spawn(ex, driver.run(), [&](std::exception_ptr) { finished = true; });
        driver.submit("gone", eng::write_priority::other, put("/missing", "x"));
        driver.submit("busy", eng::write_priority::status, put("/busy", "y"));
        CO_ASSERT_TRUE(co_await wait_until([&] {
            return done.size() == 1 && driver.in_flight() == 0 && driver.queue().waiting() == 1 &&
                   sched.size() == 1;
        }));
        EXPECT_EQ(done[0].key, "gone");
        EXPECT_EQ(done[0].status, 404u);
        EXPECT_EQ(sched.advance(999ms), 0u);   // past the 10 ms backoff, before Retry-After
        EXPECT_EQ(limited_calls.size(), 1u);
        EXPECT_EQ(sched.advance(1ms), 1u);
        CO_ASSERT_TRUE(co_await wait_until([&] { return done.size() == 2; }));
        EXPECT_EQ(done[1].key, "busy");
        EXPECT_EQ(done[1].status, 200u);
        CO_ASSERT_EQ(limited_calls.size(), 2u);
        EXPECT_EQ(limited_calls[1] - limited_calls[0], 1000ms);
        driver.stop();
        EXPECT_TRUE(co_await wait_until([&] { return finished; }));
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
        sched_type sched;
        std::vector<done_record> done;
        eng::write_driver_config cfg;
        cfg.queue.initial_backoff = 10ms;
        eng::write_driver driver(pool, sched, cfg,
                                 [&](const eng::write_report& rep) { done.push_back(record(rep)); });
        bool finished = false;
        net::co_spawn(ex, driver.run(), [&](std::exception_ptr) { finished = true; });
        driver.submit("k", eng::write_priority::status, put("/k", "1"));
        CO_ASSERT_TRUE(co_await wait_until([&] {
            return calls == 1 && driver.in_flight() == 0 && driver.queue().waiting() == 1 &&
                   sched.size() == 1;
        }));
        EXPECT_EQ(sched.advance(10ms), 1u);
        CO_ASSERT_TRUE(co_await wait_until([&] { return !done.empty(); }));
        CO_ASSERT_EQ(done.size(), 1u);
        EXPECT_EQ(done[0].status, 200u);
        EXPECT_EQ(calls, 2);
        driver.stop();
        EXPECT_TRUE(co_await wait_until([&] { return finished; }));
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
                r.delay = 300ms;   // b holds the only slot for a while
            return r;
        });
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, {});
        sched_type sched;
        std::vector<done_record> done;
        eng::write_driver_config cfg;
        cfg.max_in_flight = 1;
        cfg.queue.initial_backoff = 5ms;
        eng::write_driver driver(pool, sched, cfg,
                                 [&](const eng::write_report& rep) { done.push_back(record(rep)); });
        bool finished = false;
        net::co_spawn(ex, driver.run(), [&](std::exception_ptr) { finished = true; });
        driver.submit("a", eng::write_priority::lease, put("/a", "1"));
        driver.submit("b", eng::write_priority::other, put("/b", "2"));
        // a fails, then b occupies the only slot while a's retry comes due.
        CO_ASSERT_TRUE(co_await wait_until(
            [&] { return a_calls == 1 && driver.queue().is_in_flight("b"); }));
        EXPECT_EQ(sched.advance(1s), 0u);   // a is due now, but no timer wakes a full driver
        EXPECT_EQ(sched.size(), 0u);   // no retry timer while every slot is busy
        const auto wakeups = driver.wakeups();
        CO_ASSERT_TRUE(co_await wait_until([&] { return done.size() == 2; }));
        // From "a due, b in flight" to both done: b's completion, a's send and a's completion
        // (a spinning loop would wake thousands of times in b's 300 ms).
        EXPECT_LE(driver.wakeups() - wakeups, 4u);
        EXPECT_EQ(done[0].key, "b");
        EXPECT_EQ(done[1].key, "a");
        EXPECT_EQ(done[1].status, 200u);
        driver.stop();
        EXPECT_TRUE(co_await wait_until([&] { return finished; }));
    });
}

// The shutdown rule on the manual clock: requests in flight get the grace period, then they
// are cancelled; queued writes are dropped; neither is reported.
TEST(write_driver, stop_lets_in_flight_writes_finish_until_the_deadline_then_cancels) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        std::function<void()> on_fast;
        loopback_http_server server(ex, [&](const ghost::testing::http_message& m, std::size_t) {
            reply r;
            if (m.target() == "/fast")
                on_fast();   // all three are in flight now; fast is answered after stop()
            else
                r.delay = 1h;   // never answers in this test
            return r;
        });
        eng::pool_config pcfg;
        pcfg.max_connections = 4;
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, pcfg);
        sched_type sched;
        std::vector<done_record> done;
        eng::write_driver_config cfg;
        cfg.max_in_flight = 3;
        eng::write_driver driver(pool, sched, cfg,
                                 [&](const eng::write_report& rep) { done.push_back(record(rep)); });
        bool finished = false;
        net::co_spawn(ex, driver.run(), [&](std::exception_ptr) { finished = true; });
        driver.submit("fast", eng::write_priority::lease, put("/fast", "1"));
        driver.submit("slow1", eng::write_priority::status, put("/slow1", "1"));
        driver.submit("slow2", eng::write_priority::status, put("/slow2", "1"));
        driver.submit("queued1", eng::write_priority::other, put("/q1", "1"));
        driver.submit("queued2", eng::write_priority::other, put("/q2", "1"));
        // One batch of three: fast, slow1, slow2; queued1 and queued2 wait for a slot.
        on_fast = [&] {
            EXPECT_EQ(driver.in_flight(), 3u);
            driver.stop(500ms);
            EXPECT_TRUE(driver.stopping());
            driver.submit("late", eng::write_priority::other, put("/late", "1"));   // dropped
        };
        CO_ASSERT_TRUE(co_await wait_until([&] { return done.size() == 1; }));  // fast finished
        EXPECT_EQ(done[0].key, "fast");
        EXPECT_EQ(sched.advance(499ms), 0u);   // before the deadline the slow ones may finish
        EXPECT_FALSE(finished);
        EXPECT_EQ(driver.in_flight(), 2u);
        EXPECT_EQ(sched.advance(1ms), 1u);     // the deadline: cancel what is still in flight
        CO_ASSERT_TRUE(co_await wait_until([&] { return finished; }));
        EXPECT_EQ(driver.in_flight(), 0u);
        EXPECT_EQ(done.size(), 1u);   // cancelled and dropped writes are not reported
        const auto& s = driver.shutdown_summary();
        EXPECT_EQ(s.finished, 1u);
        EXPECT_EQ(s.cancelled, 2u);
        EXPECT_EQ(s.dropped, 3u);   // queued1, queued2, late
        EXPECT_EQ(sched.size(), 0u);
    });
}

TEST(write_driver, stop_with_nothing_in_flight_returns_at_once) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        loopback_http_server server(ex, [](const ghost::testing::http_message&, std::size_t) {
            return reply{};
        });
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, {});
        sched_type sched;
        eng::write_driver driver(pool, sched, {});
        bool finished = false;
        net::co_spawn(ex, driver.run(), [&](std::exception_ptr) { finished = true; });
        driver.stop();
        CO_ASSERT_TRUE(co_await wait_until([&] { return finished; }));
        EXPECT_EQ(sched.size(), 0u);   // no deadline was armed
        EXPECT_EQ(driver.shutdown_summary().finished + driver.shutdown_summary().cancelled +
                      driver.shutdown_summary().dropped,
                  0u);
    });
}

}  // namespace
