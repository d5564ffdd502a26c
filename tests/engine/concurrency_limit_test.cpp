// concurrency_limit on a manual clock: grows while round trips stay flat, shrinks when they
// rise, holds when the writer does not use it, and backs off on throttling answers.
#include "engine/concurrency_limit.hpp"

#include <gtest/gtest.h>

using namespace ghost::engine;
using namespace std::chrono_literals;

namespace {

struct limiter_run {
    concurrency_limit limit;
    concurrency_limit::time_point now{};

    explicit limiter_run(concurrency_limit_config cfg = start_low()) : limit(cfg) {}

    static concurrency_limit_config start_low() {
        concurrency_limit_config cfg;
        cfg.initial_limit = 16;
        cfg.min_limit = 4;
        return cfg;
    }

    // `windows` windows of 10 samples 10 ms apart, each `rtt` long with `in_flight` writes (0:
    // the current limit, a saturated writer).
    void play(int windows, std::chrono::nanoseconds rtt, std::size_t in_flight = 0) {
        for (int w = 0; w < windows; ++w) {
            for (int s = 0; s < 10; ++s) {
                now += 11ms;
                limit.on_sample(rtt, in_flight ? in_flight : limit.limit(), false, now);
            }
        }
    }
};

}  // namespace

TEST(concurrency_limit, flat_round_trips_grow_the_limit_to_its_ceiling) {
    limiter_run r;
    EXPECT_EQ(r.limit.limit(), 16u);
    r.play(5, 20ms);
    EXPECT_GT(r.limit.limit(), 16u);
    r.play(200, 20ms);
    EXPECT_EQ(r.limit.limit(), 64u);
    EXPECT_NEAR(r.limit.long_round_trip(), 0.020, 1e-9);
}

TEST(concurrency_limit, rising_round_trips_shrink_it_and_it_settles_below_the_ceiling) {
    limiter_run r;
    r.play(200, 20ms);
    ASSERT_EQ(r.limit.limit(), 64u);
    // The server is past its knee: round trips three times the normal.
    r.play(15, 60ms);
    auto shrunk = r.limit.limit();
    EXPECT_LT(shrunk, 45u);
    EXPECT_GE(shrunk, 4u);
    // At 1.5x the old normal (the tolerance; the long average has risen meanwhile) the limit
    // no longer falls: it grows again.
    r.play(10, 30ms);
    EXPECT_GT(r.limit.limit(), shrunk);
}

TEST(concurrency_limit, a_writer_using_less_than_half_learns_nothing) {
    limiter_run r;
    r.play(100, 20ms, 3);
    EXPECT_EQ(r.limit.limit(), 16u) << "3 in flight of 16";
    r.play(100, 200ms, 3);
    EXPECT_EQ(r.limit.limit(), 16u) << "slow answers at low use are not the writer's doing";
    EXPECT_GT(r.limit.windows(), 150u);
}

TEST(concurrency_limit, throttling_answers_back_off_to_the_floor) {
    auto cfg = limiter_run::start_low();
    cfg.initial_limit = 20;
    concurrency_limit limit(cfg);
    concurrency_limit::time_point now{};
    limit.on_sample(5ms, 20, true, now);
    EXPECT_EQ(limit.limit(), 18u);
    for (int i = 0; i < 100; ++i) limit.on_sample(5ms, 20, true, now);
    EXPECT_EQ(limit.limit(), 4u);
    EXPECT_EQ(limit.windows(), 0u) << "a shed request's round trip is not a latency sample";
}

TEST(concurrency_limit, a_window_closes_after_its_time_and_its_samples) {
    limiter_run r;
    for (int s = 0; s < 7; ++s) {
        r.now += 50ms;
        r.limit.on_sample(20ms, 16, false, r.now);
    }
    EXPECT_EQ(r.limit.windows(), 0u) << "seven samples are too few";
    r.limit.on_sample(20ms, 16, false, r.now);
    EXPECT_EQ(r.limit.windows(), 1u);
    for (int s = 0; s < 20; ++s) r.limit.on_sample(20ms, 16, false, r.now);
    EXPECT_EQ(r.limit.windows(), 1u) << "no time has passed";
}

TEST(concurrency_limit, bounds_hold_whatever_the_configuration) {
    concurrency_limit_config cfg;
    cfg.initial_limit = 500;
    cfg.max_limit = 8;
    cfg.min_limit = 0;
    concurrency_limit limit(cfg);
    EXPECT_EQ(limit.limit(), 8u);
    concurrency_limit_config low;
    low.initial_limit = 0;
    EXPECT_EQ(concurrency_limit(low).limit(), 16u) << "the default floor";
    EXPECT_EQ(concurrency_limit().limit(), 64u) << "starts at the default ceiling";
    concurrency_limit_config small;
    small.max_limit = 8;  // --max-in-flight=8 under the default floor of 16
    concurrency_limit capped(small);
    EXPECT_EQ(capped.limit(), 8u);
    for (int i = 0; i < 50; ++i) capped.on_sample(std::chrono::milliseconds(5), 8, true, {});
    EXPECT_EQ(capped.limit(), 8u) << "the floor is lowered to the ceiling, never above it";
}
