#include "engine/pacer.hpp"
#include "engine/scheduler.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

using ghost::engine::manual_scheduler;
using ghost::engine::pacer;
using namespace std::chrono_literals;

const pacer::time_point t0 = pacer::time_point{} + 1000h;

TEST(pacer, burst_goes_at_once_then_one_per_interval) {
    pacer p(10.0, 3, t0);
    EXPECT_EQ(p.reserve(t0), t0);
    EXPECT_EQ(p.reserve(t0), t0);
    EXPECT_EQ(p.reserve(t0), t0);
    EXPECT_EQ(p.reserve(t0), t0 + 100ms);
    EXPECT_EQ(p.reserve(t0), t0 + 200ms);
    EXPECT_EQ(p.delayed(), 2u);
    EXPECT_EQ(p.reserved(), 5u);
}

TEST(pacer, a_herd_of_callers_is_spread_at_the_rate) {
    // 1,000 callers asking in the same instant: at 200/s the last goes ~5 s later.
    pacer p(200.0, 1, t0);
    std::vector<pacer::time_point> go;
    for (int i = 0; i < 1000; ++i) go.push_back(p.reserve(t0));
    EXPECT_EQ(go.front(), t0);
    for (std::size_t i = 1; i < go.size(); ++i) {
        auto gap = go[i] - go[i - 1];
        EXPECT_GE(gap, 4999us);
        EXPECT_LE(gap, 5001us);
    }
    EXPECT_GE(go.back() - t0, 4994ms);
}

TEST(pacer, tokens_refill_with_time_up_to_the_burst) {
    pacer p(2.0, 2, t0);
    p.reserve(t0);
    p.reserve(t0);
    // 10 s idle refills at most `burst` tokens: two go at once, the third waits 0.5 s.
    auto later = t0 + 10s;
    EXPECT_EQ(p.reserve(later), later);
    EXPECT_EQ(p.reserve(later), later);
    EXPECT_EQ(p.reserve(later), later + 500ms);
}

TEST(pacer, zero_rate_is_unlimited) {
    pacer p(0.0, 1, t0);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(p.reserve(t0), t0);
    EXPECT_EQ(p.delayed(), 0u);
}

TEST(pacer, drives_starts_on_a_manual_scheduler) {
    // The driver's pattern: reserve, then schedule the start at the reserved time.
    manual_scheduler sched(t0);
    pacer p(100.0, 5, sched.now());
    int started = 0;
    for (int i = 0; i < 25; ++i) sched.add(p.reserve(sched.now()), [&] { ++started; });
    sched.advance(0ms);
    EXPECT_EQ(started, 5);
    sched.advance(100ms);
    EXPECT_EQ(started, 15);
    sched.advance(100ms);
    EXPECT_EQ(started, 25);
}

}  // namespace
