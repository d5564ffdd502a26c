#include "engine/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace {

using ghost::engine::timer_wheel;
using namespace std::chrono_literals;

struct wheel_fixture : ::testing::Test {
    timer_wheel::time_point t0 = timer_wheel::time_point{} + 1000h;
    timer_wheel wheel{t0};
    std::vector<int> fired;
    auto push(int v) {
        return [this, v] { fired.push_back(v); };
    }
};

TEST_F(wheel_fixture, fires_in_due_order_not_insertion_order) {
    wheel.add(t0 + 30ms, push(3));
    wheel.add(t0 + 10ms, push(1));
    wheel.add(t0 + 20ms, push(2));
    wheel.add(t0 + 10ms, push(11));   // same due: insertion order
    EXPECT_EQ(wheel.size(), 4u);
    EXPECT_EQ(wheel.next_due(), t0 + 10ms);
    EXPECT_EQ(wheel.advance(t0 + 9ms), 0u);
    EXPECT_TRUE(fired.empty());
    EXPECT_EQ(wheel.advance(t0 + 10ms), 2u);
    EXPECT_EQ(fired, (std::vector<int>{1, 11}));
    EXPECT_EQ(wheel.advance(t0 + 1s), 2u);
    EXPECT_EQ(fired, (std::vector<int>{1, 11, 2, 3}));
    EXPECT_TRUE(wheel.empty());
    EXPECT_FALSE(wheel.next_due());
}

TEST_F(wheel_fixture, sub_tick_due_is_rounded_up_and_ordered_within_tick) {
    wheel.add(t0 + 5ms + 700us, push(2));
    wheel.add(t0 + 5ms + 200us, push(1));
    wheel.advance(t0 + 5ms + 900us);
    EXPECT_TRUE(fired.empty());   // never early
    wheel.advance(t0 + 6ms);
    EXPECT_EQ(fired, (std::vector<int>{1, 2}));
}

TEST_F(wheel_fixture, cancel_and_stale_ids) {
    auto a = wheel.add(t0 + 5ms, push(1));
    auto b = wheel.add(t0 + 6ms, push(2));
    EXPECT_TRUE(wheel.cancel(a));
    EXPECT_FALSE(wheel.cancel(a));   // already cancelled
    EXPECT_EQ(wheel.size(), 1u);
    // The slot is reused by the next add; the old id must not cancel the new timer.
    auto c = wheel.add(t0 + 7ms, push(3));
    EXPECT_EQ(c.slot, a.slot);
    EXPECT_NE(c.generation, a.generation);
    EXPECT_FALSE(wheel.cancel(a));
    wheel.advance(t0 + 10ms);
    EXPECT_EQ(fired, (std::vector<int>{2, 3}));
    EXPECT_FALSE(wheel.cancel(b));   // fired
    EXPECT_FALSE(wheel.cancel({}));
    EXPECT_FALSE(wheel.cancel({12345, 1}));
}

TEST_F(wheel_fixture, cancel_from_callback_of_same_tick) {
    timer_wheel::timer_id second{};
    wheel.add(t0 + 3ms, [&] {
        fired.push_back(1);
        EXPECT_TRUE(wheel.cancel(second));
    });
    second = wheel.add(t0 + 3ms, push(2));
    wheel.add(t0 + 4ms, push(3));
    EXPECT_EQ(wheel.advance(t0 + 4ms), 2u);
    EXPECT_EQ(fired, (std::vector<int>{1, 3}));
}

TEST_F(wheel_fixture, add_from_callback) {
    wheel.add(t0 + 2ms, [&] {
        fired.push_back(1);
        wheel.add(t0 + 2ms, push(2));     // already due: same advance
        wheel.add(t0 + 3ms, push(3));     // later in the same advance
        wheel.add(t0 + 500ms, push(4));   // beyond this advance
    });
    EXPECT_EQ(wheel.advance(t0 + 10ms), 3u);
    EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(wheel.next_due(), t0 + 500ms);
    wheel.advance(t0 + 500ms);
    EXPECT_EQ(fired.back(), 4);
}

TEST_F(wheel_fixture, past_due_fires_on_next_advance) {
    wheel.advance(t0 + 100ms);
    wheel.add(t0 + 50ms, push(1));
    wheel.add(t0 - 1h, push(2));
    EXPECT_EQ(wheel.advance(t0 + 101ms), 2u);
    EXPECT_EQ(fired, (std::vector<int>{2, 1}));
}

TEST_F(wheel_fixture, far_future_across_levels_and_overflow) {
    std::vector<std::chrono::milliseconds> delays{1ms,     255ms,   256ms,  257ms, 65535ms,
                                                  65536ms, 70000ms, 2h,     5h,    50 * 24h,
                                                  60 * 24h};
    for (std::size_t i = 0; i < delays.size(); ++i)
        wheel.add(t0 + delays[i], push(static_cast<int>(i)));
    for (std::size_t i = 0; i < delays.size(); ++i) {
        ASSERT_EQ(wheel.next_due(), t0 + delays[i]) << i;
        wheel.advance(t0 + delays[i] - 1ms);
        ASSERT_EQ(fired.size(), i) << "fired early: " << i;
        wheel.advance(t0 + delays[i]);
        ASSERT_EQ(fired.size(), i + 1) << i;
        EXPECT_EQ(fired.back(), static_cast<int>(i));
    }
}

TEST_F(wheel_fixture, random_timers_fire_exactly_once_in_order) {
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> dist(0, 3'000'000);   // up to ~50 minutes
    struct rec {
        timer_wheel::time_point due;
        int id;
    };
    std::vector<rec> done;
    std::vector<timer_wheel::time_point> dues;
    std::vector<timer_wheel::timer_id> ids;
    const int n = 100'000;
    for (int i = 0; i < n; ++i) {
        auto due = t0 + std::chrono::milliseconds(dist(rng));
        dues.push_back(due);
        ids.push_back(wheel.add(due, [&done, due, i] { done.push_back({due, i}); }));
    }
    int cancelled = 0;
    std::vector<bool> is_cancelled(n);
    for (int i = 0; i < n; i += 7) {
        EXPECT_TRUE(wheel.cancel(ids[static_cast<std::size_t>(i)]));
        is_cancelled[static_cast<std::size_t>(i)] = true;
        ++cancelled;
    }
    EXPECT_EQ(wheel.size(), static_cast<std::size_t>(n - cancelled));
    // Advance in uneven steps, checking nothing fires early.
    auto now = t0;
    while (!wheel.empty()) {
        now += std::chrono::milliseconds(std::uniform_int_distribution<int>(1, 20'000)(rng));
        std::size_t before = done.size();
        wheel.advance(now);
        for (std::size_t k = before; k < done.size(); ++k)
            ASSERT_LE(done[k].due, now);
        if (auto nd = wheel.next_due()) {
            ASSERT_GT(*nd, now);
        }
    }
    ASSERT_EQ(done.size(), static_cast<std::size_t>(n - cancelled));
    for (std::size_t k = 1; k < done.size(); ++k)
        ASSERT_LE(done[k - 1].due, done[k].due);
    for (auto& r : done)
        ASSERT_FALSE(is_cancelled[static_cast<std::size_t>(r.id)]);
}

TEST(timer_wheel_scale, one_million_pending) {
    auto t0 = timer_wheel::time_point{};
    timer_wheel wheel{t0};
    std::size_t count = 0;
    for (int i = 0; i < 1'000'000; ++i)
        wheel.add(t0 + std::chrono::milliseconds(i % 600'000), [&count] { ++count; });
    EXPECT_EQ(wheel.size(), 1'000'000u);
    wheel.advance(t0 + 700s);
    EXPECT_EQ(count, 1'000'000u);
}

}  // namespace
