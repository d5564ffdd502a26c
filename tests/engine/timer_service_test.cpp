// timer_service on the real clock, asserting order and re-arming through observable state only:
// no upper bounds on time. A test ends when the io_context runs out of work (the service is
// stopped); a missed re-arm would leave an hour-long timer armed, which the hang guard reports.
#include "engine/timer_service.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <vector>

namespace {

namespace net = boost::asio;
namespace eng = ghost::engine;
using namespace std::chrono_literals;

// Runs until the context has no work left; false if that took longer than the hang guard.
bool run_to_completion(net::io_context& ioc) {
    ioc.run_for(60s);
    return ioc.stopped();
}

TEST(timer_service, fires_in_due_order_and_reports_lateness) {
    net::io_context ioc;
    eng::timer_service svc(ioc.get_executor());
    std::vector<int> fired;
    std::vector<std::chrono::nanoseconds> lateness;
    svc.set_lateness_hook([&](std::chrono::nanoseconds l) { lateness.push_back(l); });
    svc.add_after(3ms, [&] {
        fired.push_back(3);
        svc.stop();
    });
    svc.add_after(2ms, [&] { fired.push_back(2); });
    svc.add_after(1ms, [&] { fired.push_back(1); });
    auto cancelled = svc.add_after(1500us, [&] { fired.push_back(99); });
    EXPECT_TRUE(svc.cancel(cancelled));
    EXPECT_FALSE(svc.cancel(cancelled));
    EXPECT_EQ(svc.size(), 3u);
    ASSERT_TRUE(run_to_completion(ioc));
    EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
    ASSERT_EQ(lateness.size(), 3u);
    for (auto l : lateness)
        EXPECT_GE(l, 0ns);   // never early
    EXPECT_EQ(svc.size(), 0u);
}

TEST(timer_service, an_earlier_timer_rearms_without_a_poke) {
    net::io_context ioc;
    eng::timer_service svc(ioc.get_executor());
    bool late_fired = false;
    bool early_fired = false;
    svc.add_after(1h, [&] { late_fired = true; });
    // Added once the loop waits for the hour-long timer: add() itself must wake it.
    net::post(ioc, [&] {
        svc.add_after(1ms, [&] {
            early_fired = true;
            svc.stop();
        });
    });
    ASSERT_TRUE(run_to_completion(ioc)) << "the earlier timer did not re-arm the service";
    EXPECT_TRUE(early_fired);
    EXPECT_FALSE(late_fired);
}

TEST(timer_service, callbacks_can_reschedule_and_stop_silences) {
    net::io_context ioc;
    int ticks = 0;
    {
        eng::timer_service svc(ioc.get_executor());
        std::function<void()> again = [&] {
            if (++ticks < 5) {
                svc.add_after(1ms, again);
                return;
            }
            svc.add_after(1ms, [&] { ticks = 100; });   // pending when stopped: never runs
            svc.stop();
        };
        svc.add_after(1ms, again);
        ASSERT_TRUE(run_to_completion(ioc));
    }
    EXPECT_EQ(ticks, 5);
}

TEST(timer_service, destroying_the_service_leaves_no_work) {
    net::io_context ioc;
    bool fired = false;
    {
        eng::timer_service svc(ioc.get_executor());
        svc.add_after(1h, [&] { fired = true; });
    }
    ASSERT_TRUE(run_to_completion(ioc));
    EXPECT_FALSE(fired);
}

TEST(manual_scheduler, steps_time_by_hand) {
    eng::manual_scheduler s(eng::scheduler::time_point{});
    std::vector<int> fired;
    s.add(s.now() + 10ms, [&] { fired.push_back(2); });
    s.add(s.now() + 5ms, [&] { fired.push_back(1); });
    EXPECT_EQ(s.advance(4ms), 0u);
    EXPECT_EQ(s.advance(1ms), 1u);
    EXPECT_EQ(s.now(), eng::scheduler::time_point{} + 5ms);
    EXPECT_EQ(s.advance_to(s.now() + 1h), 1u);
    EXPECT_EQ(fired, (std::vector<int>{1, 2}));
}

}  // namespace
