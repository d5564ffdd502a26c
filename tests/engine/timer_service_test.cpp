#include "engine/timer_service.hpp"

#include "ghost_testing/async_test.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

namespace net = boost::asio;
namespace eng = ghost::engine;
using ghost::testing::run_async;
using ghost::testing::sleep_for;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

TEST(timer_service, fires_in_order_and_rearms_for_earlier_timers) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        eng::timer_service svc(ex);
        std::vector<int> fired;
        std::vector<std::chrono::nanoseconds> lateness;
        svc.set_lateness_hook([&](std::chrono::nanoseconds l) { lateness.push_back(l); });
        auto start = clock_type::now();
        clock_type::time_point early_at{};
        svc.add_after(300ms, [&] { fired.push_back(3); });
        svc.add_after(200ms, [&] { fired.push_back(2); });
        co_await sleep_for(10ms);
        // Added after the asio timer was armed for 200 ms: must wake it up earlier.
        svc.add_after(20ms, [&] {
            fired.push_back(1);
            early_at = clock_type::now();
        });
        auto cancelled = svc.add_after(100ms, [&] { fired.push_back(99); });
        EXPECT_TRUE(svc.cancel(cancelled));
        EXPECT_EQ(svc.size(), 3u);
        co_await sleep_for(400ms);
        EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
        EXPECT_LT(early_at - start, 150ms);
        EXPECT_GE(early_at - start, 30ms);
        CO_ASSERT_EQ(lateness.size(), 3u);
        for (auto l : lateness) {
            EXPECT_GE(l, 0ns);
            EXPECT_LT(l, 100ms);
        }
        EXPECT_EQ(svc.size(), 0u);
    });
}

TEST(timer_service, callbacks_can_reschedule_and_stop_silences) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        int ticks = 0;
        {
            eng::timer_service svc(ex);
            std::function<void()> again = [&] {
                if (++ticks < 5)
                    svc.add_after(5ms, again);
            };
            svc.add_after(5ms, again);
            co_await sleep_for(200ms);
            EXPECT_EQ(ticks, 5);
            svc.add_after(20ms, [&] { ticks = 100; });
            svc.stop();
            co_await sleep_for(60ms);
            EXPECT_EQ(ticks, 5);
        }
    });
}

}  // namespace
