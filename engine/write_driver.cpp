#include "engine/write_driver.hpp"

#include "engine/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>

namespace ghost::engine {

namespace net = boost::asio;
using clock = std::chrono::steady_clock;

write_driver::write_driver(http_pool& pool, scheduler& timers, write_driver_config cfg,
                           completion on_done)
    : pool_(pool), timers_(timers), cfg_(cfg), on_done_(std::move(on_done)), queue_(cfg.queue),
      wake_(pool.get_executor(), clock::time_point::max()) {
    if (cfg_.max_in_flight == 0)
        cfg_.max_in_flight = 1;
    if (cfg_.adaptive) {
        cfg_.adaptive->max_limit = cfg_.max_in_flight;
        adaptive_.emplace(*cfg_.adaptive);
    }
}

write_driver::~write_driver() {
    if (retry_timer_)
        timers_.cancel(*retry_timer_);
    if (deadline_timer_)
        timers_.cancel(*deadline_timer_);
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
    if (stopping_) {
        ++summary_.dropped;
        return id;
    }
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

void write_driver::stop(std::chrono::milliseconds grace) {
    if (stopping_)
        return;
    stopping_ = true;
    arm_retry(std::nullopt);
    if (active_ > 0)
        deadline_timer_ = timers_.add(timers_.now() + grace, [this] {
            deadline_timer_.reset();
            cancel_in_flight();
        });
    wake();
}

void write_driver::cancel_in_flight() {
    deadline_passed_ = true;
    for (auto id : ended_sends_)   // finished sends: their co_spawn no longer listens
        in_flight_signals_.erase(id);
    ended_sends_.clear();
    for (auto& [id, sig] : in_flight_signals_)
        sig.emit(net::cancellation_type::terminal);
}

// One scheduler timer for the earliest retry; re-added only when that time changes.
void write_driver::arm_retry(std::optional<scheduler::time_point> due) {
    if (due == retry_armed_)
        return;
    if (retry_timer_)
        timers_.cancel(*retry_timer_);
    retry_timer_.reset();
    retry_armed_ = due;
    if (due)
        retry_timer_ = timers_.add(*due, [this] {
            retry_timer_.reset();
            retry_armed_.reset();
            wake();
        });
}

net::awaitable<void> write_driver::run() {
    auto ex = co_await net::this_coro::executor;
    for (;;) {
        ++wakeups_;
        for (auto id : ended_sends_)
            in_flight_signals_.erase(id);
        ended_sends_.clear();
        flush_reports();
        if (stopping_) {
            if (active_ == 0)
                break;
        } else if (active_ < limit()) {
            auto batch = queue_.prepare_batch(limit() - active_, timers_.now());
            for (auto& t : batch) {
                ++active_;
                auto send_id = ++next_send_;
                auto& sig = in_flight_signals_[send_id];
                // The signal is erased by this loop only after the completion handler ran
                // (never from inside the send: co_spawn still uses the slot then).
                net::co_spawn(ex, send(std::move(t)),
                              net::bind_cancellation_slot(sig.slot(), [this, send_id](
                                                                          std::exception_ptr e) {
                                  if (e) {
                                      try {
                                          std::rethrow_exception(e);
                                      } catch (const std::exception& x) {
                                          GHOST_LOG_ERROR("write failed: ", x.what());
                                      }
                                  }
                                  ended_sends_.push_back(send_id);
                                  --active_;
                                  wake();
                              }));
            }
        }
        // Single-threaded: every wake() happens while we are parked here or before the next
        // prepare_batch, so no wake-up can be lost.
        // With every slot busy, a completion wakes us; a due retry could not be sent anyway
        // (waking for it would spin).
        std::optional<scheduler::time_point> due;
        if (!stopping_ && active_ < limit())
            due = queue_.next_retry_due();
        arm_retry(due);
        wake_.expires_at(clock::time_point::max());
        co_await wake_.async_wait(net::as_tuple(net::use_awaitable));
    }
    arm_retry(std::nullopt);
    if (deadline_timer_) {
        timers_.cancel(*deadline_timer_);
        deadline_timer_.reset();
    }
    in_flight_signals_.clear();   // active_ == 0: every completion handler has run
    ended_sends_.clear();
    summary_.dropped += queue_.waiting();
}

net::awaitable<void> write_driver::send(write_ticket ticket) {
    // The deadline's cancellation must come back as errc::cancelled from the pool: asio's
    // default would throw from the next co_await inside it instead (seen under load: the write
    // was then neither finished nor cancelled in the shutdown summary).
    co_await net::this_coro::throw_if_cancelled(false);
    auto sent = timers_.now();
    auto method = ticket.request.method;
    const std::size_t in_flight_at_send = active_;
    auto r = co_await pool_.async_request(ticket.request, cfg_.request_timeout);
    if (stopping_ && deadline_passed_ && !r && r.error() == errc::cancelled) {
        ++summary_.cancelled;   // not reported: shutdown
        co_return;
    }
    auto outcome = classify(r);
    if (adaptive_) {
        adaptive_->on_sample(timers_.now() - sent, in_flight_at_send,
                             outcome.k == write_outcome::kind::transient, timers_.now());
    }
    if (outcome.k != write_outcome::kind::success) {
        GHOST_LOG_DEBUG("write ", ticket.key, " attempt ", ticket.attempt, ": ",
                        r ? "HTTP " + std::to_string(r->status) : r.error().message());
    }
    write_report report{ticket.id, ticket.key, ticket.priority, std::nullopt, method, sent};
    auto res = queue_.commit(std::move(ticket), outcome, timers_.now());
    if (stopping_ && res != write_queue::commit_result::requeued)
        ++summary_.finished;   // (a requeued one is counted as dropped when run() ends)
    if (res == write_queue::commit_result::done)
        report.response = std::move(r);
    if (res != write_queue::commit_result::requeued && on_done_)
        on_done_(report);
}

}  // namespace ghost::engine
