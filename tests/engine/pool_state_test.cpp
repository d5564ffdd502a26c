// http_pool's policy stepped by hand on a manual clock: every decision is asserted, no sockets.
#include "engine/pool_state.hpp"

#include <gtest/gtest.h>

namespace {

using ghost::engine::pool_state;
using namespace std::chrono_literals;

struct pool_state_test : ::testing::Test {
    pool_state::time_point t0{};
    pool_state state{pool_state::config{.max_connections = 2, .idle_timeout = 1000ms}};
    std::vector<pool_state::conn_id> expired;

    pool_state::acquire_action acquire(pool_state::time_point now) {
        return state.acquire(now, expired);
    }
};

TEST_F(pool_state_test, opens_up_to_max_then_parks_waiters) {
    auto a = acquire(t0);
    auto b = acquire(t0);
    ASSERT_TRUE(std::holds_alternative<pool_state::open_new>(a));
    ASSERT_TRUE(std::holds_alternative<pool_state::open_new>(b));
    EXPECT_NE(std::get<pool_state::open_new>(a).conn, std::get<pool_state::open_new>(b).conn);
    auto c = acquire(t0);
    ASSERT_TRUE(std::holds_alternative<pool_state::wait>(c));
    EXPECT_EQ(state.open(), 2u);
    EXPECT_EQ(state.waiters(), 1u);
}

TEST_F(pool_state_test, idle_connections_are_reused_lifo) {
    auto a = std::get<pool_state::open_new>(acquire(t0)).conn;
    auto b = std::get<pool_state::open_new>(acquire(t0)).conn;
    EXPECT_TRUE(std::holds_alternative<pool_state::keep_idle>(state.release(a, true, t0)));
    EXPECT_TRUE(std::holds_alternative<pool_state::keep_idle>(state.release(b, true, t0 + 1ms)));
    EXPECT_EQ(state.idle(), 2u);
    auto first = acquire(t0 + 2ms);
    ASSERT_TRUE(std::holds_alternative<pool_state::use_idle>(first));
    EXPECT_EQ(std::get<pool_state::use_idle>(first).conn, b);   // the warmest
    EXPECT_EQ(std::get<pool_state::use_idle>(acquire(t0 + 2ms)).conn, a);
    EXPECT_TRUE(expired.empty());
}

TEST_F(pool_state_test, idle_connections_expire_after_idle_timeout) {
    auto a = std::get<pool_state::open_new>(acquire(t0)).conn;
    auto b = std::get<pool_state::open_new>(acquire(t0)).conn;
    state.release(a, true, t0);
    state.release(b, true, t0 + 500ms);
    EXPECT_TRUE(state.expire_idle(t0 + 1000ms).empty());   // exactly idle_timeout: still good
    EXPECT_EQ(state.expire_idle(t0 + 1001ms), std::vector<pool_state::conn_id>{a});
    EXPECT_EQ(state.open(), 1u);
    // acquire expires on its own: b is too old at 1.6 s, so a new connection is opened.
    auto next = acquire(t0 + 1600ms);
    EXPECT_EQ(expired, std::vector<pool_state::conn_id>{b});
    EXPECT_TRUE(std::holds_alternative<pool_state::open_new>(next));
    EXPECT_EQ(state.open(), 1u);
    EXPECT_EQ(state.idle(), 0u);
}

TEST_F(pool_state_test, release_serves_waiters_first_in_order) {
    auto a = std::get<pool_state::open_new>(acquire(t0)).conn;
    auto b = std::get<pool_state::open_new>(acquire(t0)).conn;
    auto w1 = std::get<pool_state::wait>(acquire(t0)).waiter;
    auto w2 = std::get<pool_state::wait>(acquire(t0)).waiter;
    // A reusable connection is handed over as is.
    auto r1 = state.release(a, true, t0);
    ASSERT_TRUE(std::holds_alternative<pool_state::hand_over>(r1));
    EXPECT_EQ(std::get<pool_state::hand_over>(r1).waiter, w1);
    EXPECT_EQ(std::get<pool_state::hand_over>(r1).conn, a);
    // A broken one passes its slot on: the waiter opens a new connection.
    auto r2 = state.release(b, false, t0);
    ASSERT_TRUE(std::holds_alternative<pool_state::grant_slot>(r2));
    EXPECT_EQ(std::get<pool_state::grant_slot>(r2).waiter, w2);
    EXPECT_NE(std::get<pool_state::grant_slot>(r2).conn, b);
    EXPECT_EQ(state.open(), 2u);
    EXPECT_EQ(state.waiters(), 0u);
    EXPECT_EQ(state.idle(), 0u);
}

TEST_F(pool_state_test, a_waiter_that_gives_up_is_skipped) {
    auto a = std::get<pool_state::open_new>(acquire(t0)).conn;
    std::get<pool_state::open_new>(acquire(t0));
    auto w1 = std::get<pool_state::wait>(acquire(t0)).waiter;
    auto w2 = std::get<pool_state::wait>(acquire(t0)).waiter;
    EXPECT_TRUE(state.cancel_wait(w1));    // timed out / cancelled while parked
    EXPECT_FALSE(state.cancel_wait(w1));
    auto r = state.release(a, true, t0);
    EXPECT_EQ(std::get<pool_state::hand_over>(r).waiter, w2);
    EXPECT_FALSE(state.cancel_wait(w2));   // already served: the driver holds the connection
}

TEST_F(pool_state_test, broken_connection_frees_its_slot) {
    auto a = std::get<pool_state::open_new>(acquire(t0)).conn;
    EXPECT_TRUE(std::holds_alternative<pool_state::close_conn>(state.release(a, false, t0)));
    EXPECT_EQ(state.open(), 0u);
}

TEST_F(pool_state_test, drop_idle_after_a_stale_reuse) {
    auto a = std::get<pool_state::open_new>(acquire(t0)).conn;
    auto b = std::get<pool_state::open_new>(acquire(t0)).conn;
    state.release(a, true, t0);
    state.release(b, true, t0);
    auto reused = std::get<pool_state::use_idle>(acquire(t0)).conn;
    state.release(reused, false, t0);   // it was closed under us
    EXPECT_EQ(state.drop_idle(), std::vector<pool_state::conn_id>{a});
    EXPECT_EQ(state.open(), 0u);
    EXPECT_TRUE(std::holds_alternative<pool_state::open_new>(acquire(t0)));
}

TEST_F(pool_state_test, close_fails_waiters_and_closes_everything_released_later) {
    auto a = std::get<pool_state::open_new>(acquire(t0)).conn;
    auto b = std::get<pool_state::open_new>(acquire(t0)).conn;
    state.release(a, true, t0);
    auto reused = std::get<pool_state::use_idle>(acquire(t0)).conn;
    EXPECT_EQ(reused, a);
    auto w = std::get<pool_state::wait>(acquire(t0)).waiter;
    state.release(a, true, t0);   // served w directly
    auto w2 = std::get<pool_state::wait>(acquire(t0)).waiter;
    auto r = state.close();
    EXPECT_TRUE(r.idle.empty());
    EXPECT_EQ(r.waiters, std::vector<pool_state::waiter_id>{w2});
    EXPECT_NE(w, w2);
    EXPECT_TRUE(std::holds_alternative<pool_state::closed>(acquire(t0)));
    EXPECT_TRUE(std::holds_alternative<pool_state::close_conn>(state.release(a, true, t0)));
    EXPECT_TRUE(std::holds_alternative<pool_state::close_conn>(state.release(b, true, t0)));
    EXPECT_EQ(state.open(), 0u);
}

TEST_F(pool_state_test, close_returns_idle_connections) {
    auto a = std::get<pool_state::open_new>(acquire(t0)).conn;
    state.release(a, true, t0);
    auto r = state.close();
    EXPECT_EQ(r.idle, std::vector<pool_state::conn_id>{a});
    EXPECT_EQ(state.open(), 0u);
}

TEST(pool_state, zero_max_connections_means_one) {
    pool_state s{pool_state::config{.max_connections = 0}};
    std::vector<pool_state::conn_id> expired;
    EXPECT_TRUE(std::holds_alternative<pool_state::open_new>(s.acquire({}, expired)));
    EXPECT_TRUE(std::holds_alternative<pool_state::wait>(s.acquire({}, expired)));
}

TEST(pool_state, retry_once_only_on_a_stale_reused_connection) {
    EXPECT_TRUE(pool_state::should_retry(true, false, false, true));
    EXPECT_FALSE(pool_state::should_retry(false, false, false, true));   // fresh connection
    EXPECT_FALSE(pool_state::should_retry(true, true, false, true));     // already retried
    EXPECT_FALSE(pool_state::should_retry(true, false, true, true));     // server answered
    EXPECT_FALSE(pool_state::should_retry(true, false, false, false));   // e.g. a timeout
}

}  // namespace
