#include "kube/bulk_writer.hpp"

#include "engine/no_cancel.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <exception>

namespace ghost::kube {

namespace asio = boost::asio;

boost::asio::awaitable<void> async_bulk_write(api_client& client, std::size_t count,
                                              bulk_make_fn make, bulk_result_fn on_result,
                                              bulk_options options) {
    auto ex = co_await asio::this_coro::executor;
    std::size_t next = 0;
    std::exception_ptr failure;
    auto stopped = [&] { return failure || (options.stop && options.stop()); };
    // Not cancellable: the workers use this frame, so it must wait for them (empty slot).
    using engine::no_cancel;

    auto worker = [&]() -> asio::awaitable<void> {
        asio::steady_timer backoff(ex);
        while (!stopped() && next < count) {
            std::size_t index = next++;
            bulk_op op = make(index);
            for (int attempt = 0;; ++attempt) {
                // Named result, no co_await inside ?: (GCC 12).
                api_result<api_response> r = api_error{};
                if (op.k == bulk_op::kind::remove) {
                    r = co_await client.async_delete(op.path);
                } else {
                    r = co_await client.async_create(op.path, op.body);
                }
                if (on_result) on_result(index, op, r);
                if (r) break;
                auto ec = r.error().ec;
                if (ec == errc::already_exists || ec == errc::not_found) break;
                if (!is_transient(ec) || attempt + 1 >= options.max_attempts || stopped()) break;
                backoff.expires_after(options.backoff * (1 << std::min(attempt, 5)));
                co_await backoff.async_wait(no_cancel());
            }
        }
    };

    std::size_t n = std::min(std::max<std::size_t>(options.parallelism, 1), count);
    std::size_t running = n;
    asio::steady_timer all_done(ex, std::chrono::steady_clock::time_point::max());
    for (std::size_t w = 0; w < n; ++w) {
        asio::co_spawn(ex, worker(), [&](std::exception_ptr e) {
            if (e && !failure) failure = e;
            if (--running == 0) all_done.cancel();
        });
    }
    while (running > 0) co_await all_done.async_wait(no_cancel());
    if (failure) std::rethrow_exception(failure);
}

}  // namespace ghost::kube
