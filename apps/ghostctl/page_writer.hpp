#pragma once
// The writing half of a paged list, kwokctl's --page-buffer-size (client-go's pager
// PageBufferSize): each page's objects are handed to a thread of their own, so the next page's
// request, the API server's work on it and its parsing overlap the writing of the earlier
// ones, while at most `buffer` pages wait beyond the one being written (bounded memory).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstddef>
#include <functional>
#include <memory>

namespace ghost::ghostctl {

/// One writer thread fed from one coroutine on `ex` (the fetcher); the awaitables complete on
/// `ex` and are not cancellable (they complete as soon as the writer made room or failed).
class page_writer {
public:
    /// `buffer` >= 1. `on_item` runs on the writer thread, one object at a time, pages in the
    /// order pushed; it must not touch what runs on `ex` meanwhile. What it did is visible on
    /// `ex` once async_drain completed.
    page_writer(boost::asio::any_io_executor ex, std::size_t buffer,
                std::function<void(boost::json::object&)> on_item);
    /// Pages not started yet are dropped; waits for the one being written.
    ~page_writer();
    page_writer(const page_writer&) = delete;
    page_writer& operator=(const page_writer&) = delete;

    /// Completes once one more page may be fetched: at most `buffer` pages would then be held
    /// (fetched or being fetched) beyond the one being written. Rethrows on_item's exception.
    boost::asio::awaitable<void> async_wait_for_room();
    /// Hands one page's objects to the writer thread.
    void push(boost::json::array items);
    /// Completes once every pushed page was written; rethrows on_item's first exception (the
    /// pages after it are not written).
    boost::asio::awaitable<void> async_drain();

    /// Pages pushed and pages written, as known on `ex`.
    std::size_t pushed() const;
    std::size_t written() const;

private:
    struct state;
    std::size_t buffer_;
    std::shared_ptr<state> state_;  // shared with the writer's tasks and their completions
    boost::asio::thread_pool thread_{1};
};

}  // namespace ghost::ghostctl
