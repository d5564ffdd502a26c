#pragma once
// Runs one coroutine test on a fresh io_context with a wall-clock limit (engine and kube tests).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <exception>

// gtest's ASSERT_* macros `return`, which a coroutine cannot; these co_return instead.
#define CO_ASSERT_TRUE(c)          \
    do {                           \
        const bool co_ok_ = (c);   \
        EXPECT_TRUE(co_ok_) << #c; \
        if (!co_ok_)               \
            co_return;             \
    } while (0)
#define CO_ASSERT_FALSE(c) CO_ASSERT_TRUE(!(c))
#define CO_ASSERT_EQ(a, b)   \
    do {                     \
        EXPECT_EQ(a, b);     \
        if (!((a) == (b)))   \
            co_return;       \
    } while (0)

namespace ghost::testing {

namespace net = boost::asio;

template <class Fn>
void run_async(Fn&& fn, std::chrono::seconds limit = std::chrono::seconds(60)) {
    net::io_context ioc;
    bool done = false;
    std::exception_ptr error;
    net::co_spawn(ioc, fn(ioc.get_executor()), [&](std::exception_ptr e) {
        done = true;
        error = e;
    });
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done && std::chrono::steady_clock::now() < end)
        ioc.run_one_for(std::chrono::milliseconds(50));
    // Let cancelled operations and closing sockets settle before the context goes away.
    for (int i = 0; i < 100 && ioc.poll() > 0; ++i) {
    }
    ASSERT_TRUE(done) << "test coroutine did not finish in time";
    if (error)
        std::rethrow_exception(error);
}

// Waits until `pred()` holds, checking every millisecond; false when `guard` passed first.
// The guard only catches hangs: tests never assert how long the wait took.
template <class Pred>
net::awaitable<bool> wait_until(Pred pred,
                                std::chrono::milliseconds guard = std::chrono::seconds(30)) {
    net::steady_timer t(co_await net::this_coro::executor);
    const auto end = std::chrono::steady_clock::now() + guard;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > end)
            co_return false;
        t.expires_after(std::chrono::milliseconds(1));
        co_await t.async_wait(net::use_awaitable);
    }
    co_return true;
}

inline net::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    net::steady_timer t(co_await net::this_coro::executor, d);
    co_await t.async_wait(net::use_awaitable);
}

}  // namespace ghost::testing
