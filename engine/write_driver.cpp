#include "engine/write_driver.hpp"

#include "engine/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>

namespace ghost::engine {

namespace net = boost::asio;
using clock = std::chrono::steady_clock;

write_driver::write_driver(http_pool& pool, write_driver_config cfg, completion on_done)
    : pool_(pool), cfg_(cfg), on_done_(std::move(on_done)), queue_(cfg.queue),
      wake_(pool.get_executor(), clock::time_point::max()) {
    if (cfg_.max_in_flight == 0)
        cfg_.max_in_flight = 1;
}

write_outcome write_driver::classify(const result<http_response>& r) {
    if (!r)
        return write_outcome::transient();
    unsigned s = r->status;
    if (s >= 200 && s < 300)
        return write_outcome::success();
    if (s == 429 || s >= 500) {
        std::optional<std::chrono::milliseconds> after;
        if (r->retry_after)
            after = std::chrono::duration_cast<std::chrono::milliseconds>(*r->retry_after);
        return write_outcome::transient(after);
    }
    return write_outcome::permanent();
}

void write_driver::wake() { wake_.cancel(); }

std::uint64_t write_driver::submit(std::string key, write_priority priority,
                                   http_request request) {
    std::uint64_t id = ++next_id_;
    std::string report_key = on_done_ ? key : std::string();
    if (auto replaced = queue_.push(std::move(key), priority, std::move(request), id))
        superseded_.push_back({*replaced, std::move(report_key), priority, std::nullopt});
    wake();
    return id;
}

void write_driver::flush_reports() {
    if (superseded_.empty())
        return;
    auto reports = std::move(superseded_);
    superseded_.clear();
    if (on_done_)
        for (auto& r : reports)
            on_done_(r);
}

void write_driver::stop() {
    stopping_ = true;
    wake();
}

net::awaitable<void> write_driver::run() {
    auto ex = co_await net::this_coro::executor;
    for (;;) {
        flush_reports();
        if (stopping_) {
            if (active_ == 0)
                co_return;
        } else if (active_ < cfg_.max_in_flight) {
            auto batch = queue_.prepare_batch(cfg_.max_in_flight - active_, clock::now());
            for (auto& t : batch) {
                ++active_;
                net::co_spawn(ex, send(std::move(t)), net::detached);
            }
        }
        // Single-threaded: every wake() happens while we are parked here or before the next
        // prepare_batch, so no wake-up can be lost.
        // With every slot busy, a completion wakes us; a due retry could not be sent anyway
        // (waiting for it would spin).
        std::optional<clock::time_point> due;
        if (!stopping_ && active_ < cfg_.max_in_flight)
            due = queue_.next_retry_due();
        wake_.expires_at(due ? *due : clock::time_point::max());
        co_await wake_.async_wait(net::as_tuple(net::use_awaitable));
    }
}

net::awaitable<void> write_driver::send(write_ticket ticket) {
    auto sent = clock::now();
    auto method = ticket.request.method;
    auto r = co_await pool_.async_request(ticket.request, cfg_.request_timeout);
    auto outcome = classify(r);
    if (outcome.k != write_outcome::kind::success) {
        GHOST_LOG_DEBUG("write ", ticket.key, " attempt ", ticket.attempt, ": ",
                        r ? "HTTP " + std::to_string(r->status) : r.error().message());
    }
    write_report report{ticket.id, ticket.key, ticket.priority, std::nullopt, method, sent};
    auto res = queue_.commit(std::move(ticket), outcome, clock::now());
    --active_;
    if (res == write_queue::commit_result::done)
        report.response = std::move(r);
    if (res != write_queue::commit_result::requeued && on_done_)
        on_done_(report);
    wake();
}

}  // namespace ghost::engine
