#pragma once
// async_with_timeout: runs an awaitable with a deadline (Boost 1.81 has no cancel_after).
// The operation runs as a child coroutine bound to a cancellation_signal; a timer emits
// terminal cancellation when the deadline passes first, and the result is errc::timeout.
// Cancelling the caller cancels the child too. Either way the child is always awaited to
// completion, so it may safely reference the caller's locals.

#include "engine/error.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <optional>

namespace ghost::engine {

template <class T>
boost::asio::awaitable<result<T>> async_with_timeout(boost::asio::awaitable<result<T>> op,
                                                     std::chrono::steady_clock::duration timeout) {
    namespace net = boost::asio;
    co_await net::this_coro::throw_if_cancelled(false);
    auto ex = co_await net::this_coro::executor;
    net::cancellation_signal child_cancel;
    net::steady_timer deadline(ex, timeout);
    net::steady_timer done(ex, std::chrono::steady_clock::time_point::max());
    std::optional<result<T>> out;
    std::exception_ptr error;
    bool timed_out = false;

    net::co_spawn(ex, std::move(op),
                  net::bind_cancellation_slot(child_cancel.slot(),
                                              [&](std::exception_ptr e, result<T> r) {
                                                  error = e;
                                                  out.emplace(std::move(r));
                                                  deadline.cancel();
                                                  done.cancel();
                                              }));
    bool deadline_pending = true;   // its handler touches our locals: wait for it too
    deadline.async_wait([&](boost::system::error_code ec) {
        deadline_pending = false;
        if (!ec && !out) {
            timed_out = true;
            child_cancel.emit(net::cancellation_type::terminal);
        }
        done.cancel();
    });
    bool forwarded = false;
    while (!out || deadline_pending) {
        co_await done.async_wait(net::as_tuple(net::use_awaitable));
        auto cs = co_await net::this_coro::cancellation_state;
        if (!out && !forwarded && cs.cancelled() != net::cancellation_type::none) {
            forwarded = true;   // our caller gave up: stop the child, then wait for it
            child_cancel.emit(net::cancellation_type::terminal);
        }
    }
    if (error)
        std::rethrow_exception(error);
    if (timed_out && !out->has_value())
        co_return make_error_code(errc::timeout);
    co_return std::move(*out);
}

}  // namespace ghost::engine
