#include "apps/ghostctl/page_writer.hpp"

#include "engine/no_cancel.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <exception>

namespace ghost::ghostctl {

namespace asio = boost::asio;
namespace json = boost::json;

struct page_writer::state {
    state(asio::any_io_executor e, std::function<void(json::object&)> fn)
        : ex(e), wake(e, std::chrono::steady_clock::time_point::max()), on_item(std::move(fn)) {}

    // On `ex` only.
    asio::any_io_executor ex;
    asio::steady_timer wake;  // a condition variable: cancelled when a page was written
    std::size_t pushed = 0, written = 0;
    std::exception_ptr failure;
    // On the writer thread only (tasks run one after another there).
    std::function<void(json::object&)> on_item;
    bool failed = false;
    // Set by the destructor: pages not started are dropped.
    std::atomic<bool> abandoned{false};
};

page_writer::page_writer(asio::any_io_executor ex, std::size_t buffer,
                         std::function<void(json::object&)> on_item)
    : buffer_(buffer), state_(std::make_shared<state>(ex, std::move(on_item))) {}

page_writer::~page_writer() {
    state_->abandoned = true;
    thread_.join();
}

std::size_t page_writer::pushed() const { return state_->pushed; }
std::size_t page_writer::written() const { return state_->written; }

void page_writer::push(json::array items) {
    ++state_->pushed;
    asio::post(thread_, [s = state_, items = std::move(items)]() mutable {
        std::exception_ptr failure;
        if (!s->failed && !s->abandoned) {
            try {
                for (auto& item : items) s->on_item(item.as_object());
            } catch (...) {
                failure = std::current_exception();
                s->failed = true;
            }
        }
        // The page's memory goes here, off the fetcher's thread; the count goes to `ex`.
        items = json::array();
        auto ex = s->ex;
        asio::post(ex, [s = std::move(s), failure] {
            ++s->written;
            if (failure && !s->failure) s->failure = failure;
            s->wake.cancel();
        });
    });
}

asio::awaitable<void> page_writer::async_wait_for_room() {
    auto s = state_;
    // pushed - written pages are unwritten, the first of them being written: with the page
    // about to be fetched, pushed - written would be held beyond it.
    while (!s->failure && s->pushed - s->written > buffer_)
        co_await s->wake.async_wait(engine::no_cancel());
    if (s->failure) std::rethrow_exception(s->failure);
}

asio::awaitable<void> page_writer::async_drain() {
    auto s = state_;
    while (s->written < s->pushed) co_await s->wake.async_wait(engine::no_cancel());
    if (s->failure) std::rethrow_exception(s->failure);
}

}  // namespace ghost::ghostctl
