#pragma once
// Runs one coroutine test on a fresh io_context with a wall-clock limit.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <exception>

namespace ghost::kube_test {

template <class Fn>
void run_async(Fn&& fn, std::chrono::seconds limit = std::chrono::seconds(20)) {
    boost::asio::io_context ioc;
    bool done = false;
    std::exception_ptr error;
    boost::asio::co_spawn(ioc, fn(ioc.get_executor()), [&](std::exception_ptr e) {
        done = true;
        error = e;
    });
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done && std::chrono::steady_clock::now() < end)
        ioc.run_one_for(std::chrono::milliseconds(50));
    for (int i = 0; i < 100 && ioc.poll() > 0; ++i) {
    }
    ASSERT_TRUE(done) << "test coroutine did not finish in time";
    if (error) std::rethrow_exception(error);
}

}  // namespace ghost::kube_test
