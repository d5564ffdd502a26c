#include "engine/async_timeout.hpp"

#include "ghost_testing/async_test.hpp"

#include <gtest/gtest.h>

namespace {

namespace net = boost::asio;
namespace eng = ghost::engine;
using ghost::testing::run_async;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// Sleeps `d` (cancellable) and returns `v`, or errc::cancelled when cancelled.
net::awaitable<eng::result<int>> slow_value(std::chrono::milliseconds d, int v, bool* finished) {
    net::steady_timer t(co_await net::this_coro::executor, d);
    auto [ec] = co_await t.async_wait(net::as_tuple(net::use_awaitable));
    *finished = true;
    if (ec)
        co_return eng::make_error_code(eng::errc::cancelled);
    co_return v;
}

TEST(async_with_timeout, returns_the_value_when_in_time) {
    run_async([](net::any_io_executor) -> net::awaitable<void> {
        bool finished = false;
        auto r = co_await eng::async_with_timeout(slow_value(10ms, 7, &finished), 1s);
        EXPECT_TRUE(finished);
        CO_ASSERT_TRUE(r.has_value());
        EXPECT_EQ(*r, 7);
    });
}

TEST(async_with_timeout, cancels_the_operation_at_the_deadline) {
    run_async([](net::any_io_executor) -> net::awaitable<void> {
        bool finished = false;
        // (The child would take 5 s; run_async's hang guard, not a time bound, catches a miss.)
        auto r = co_await eng::async_with_timeout(slow_value(1h, 7, &finished), 50ms);
        EXPECT_TRUE(finished);   // the child ran to completion (cancelled) before we returned
        CO_ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error(), eng::errc::timeout);
    });
}

TEST(async_with_timeout, errors_pass_through) {
    run_async([](net::any_io_executor) -> net::awaitable<void> {
        auto fails = []() -> net::awaitable<eng::result<int>> {
            co_return eng::make_error_code(eng::errc::parse_error);
        };
        auto r = co_await eng::async_with_timeout(fails(), 1s);
        CO_ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error(), eng::errc::parse_error);
    });
}

}  // namespace
