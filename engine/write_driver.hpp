#pragma once
// Runs a write_queue over an http_pool: hands out batches up to max_in_flight concurrent
// requests (or an adaptive limit below it, engine/concurrency_limit.hpp), sleeps on a steady_timer used as a condition variable (woken by submit(), by a
// completed request, or by the next retry due time), and classifies each response:
//   2xx                                  -> success
//   transport error, timeout, 5xx, 429   -> transient (requeued with backoff / Retry-After)
//   other status (404, 409, 422, ...)    -> permanent
// Every submitted write is reported exactly once through the completion callback: with its
// final response/error (success or final failure), or with no response when a newer write for
// the same key superseded it. Retries are not reported.
// Single-threaded like the pool: call everything from the pool's executor.
//
// Time comes from an injected engine::scheduler (timer_service in production, manual_scheduler
// in tests): its now() stamps batches and commits, and a retry that is due later wakes the
// loop through a scheduler timer. The loop itself parks on a steady_timer used as a condvar.
//
// Shutdown (stop(grace)): nothing new is sent; writes in flight may finish until now + grace
// on the scheduler, then they are cancelled (terminal); writes still waiting in the queue (and
// writes submitted after stop) are dropped. Cancelled and dropped writes are not reported.
// run() returns once nothing is in flight; shutdown_summary() then tells how many writes
// finished, were cancelled or were dropped.

#include "engine/concurrency_limit.hpp"
#include "engine/error.hpp"
#include "engine/http_pool.hpp"
#include "engine/scheduler.hpp"
#include "engine/write_queue.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace ghost::engine {

struct write_driver_config {
    std::size_t max_in_flight = 16;   // the fixed limit, or the adaptive one's ceiling
    // When set, the writes in flight follow an adaptive limit (its max_limit is max_in_flight).
    std::optional<concurrency_limit_config> adaptive;
    std::chrono::milliseconds request_timeout{30000};
    write_queue::config queue{};
};

struct write_shutdown_summary {
    std::uint64_t finished = 0;    // in flight at stop(), ended before the deadline
    std::uint64_t cancelled = 0;   // in flight at the deadline, cancelled
    std::uint64_t dropped = 0;     // waiting in the queue (or submitted after stop), never sent
};

struct write_report {
    std::uint64_t id = 0;   // as returned by submit()
    std::string key;
    write_priority priority = write_priority::other;
    // The final response or transport error; empty when the write was superseded by a newer
    // write for the same key (coalesced while waiting, or dropped after a transient failure).
    std::optional<result<http_response>> response;
    boost::beast::http::verb method = boost::beast::http::verb::unknown;
    // When the final attempt was handed to the pool, on the driver's scheduler clock (for
    // queue-wait and round-trip metrics).
    scheduler::time_point sent{};
};

class write_driver {
public:
    using completion = std::function<void(const write_report&)>;

    write_driver(http_pool& pool, scheduler& timers, write_driver_config cfg,
                 completion on_done = {});
    ~write_driver();
    write_driver(const write_driver&) = delete;
    write_driver& operator=(const write_driver&) = delete;

    // Queues (or coalesces) a write and wakes the loop; returns the write's id (from 1).
    // Reports for superseded writes are delivered from run(), never from inside submit().
    std::uint64_t submit(std::string key, write_priority priority, http_request request);

    // The driving loop; returns after stop() once no request is in flight.
    // The driver (and the pool and scheduler) must outlive it.
    boost::asio::awaitable<void> run();
    // Stops sending; requests in flight get `grace` (scheduler time) to finish, then they are
    // cancelled. Idempotent (a second call does not move the deadline).
    void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(500));
    bool stopping() const noexcept { return stopping_; }
    // Complete once run() has returned after stop().
    const write_shutdown_summary& shutdown_summary() const noexcept { return summary_; }
    // How many times the loop woke up (a bounded number per event: a test can prove it does
    // not spin).
    std::uint64_t wakeups() const noexcept { return wakeups_; }

    const write_queue& queue() const noexcept { return queue_; }
    std::size_t in_flight() const noexcept { return active_; }
    /// Writes allowed in flight now (max_in_flight unless adaptive).
    std::size_t limit() const noexcept { return adaptive_ ? adaptive_->limit() : cfg_.max_in_flight; }

    // The classification used for every response (exposed for tests and callers).
    static write_outcome classify(const result<http_response>& r);

private:
    boost::asio::awaitable<void> send(write_ticket ticket);
    void wake();
    void flush_reports();
    void arm_retry(std::optional<scheduler::time_point> due);
    void cancel_in_flight();

    http_pool& pool_;
    scheduler& timers_;
    write_driver_config cfg_;
    completion on_done_;
    write_queue queue_;
    std::optional<concurrency_limit> adaptive_;
    boost::asio::steady_timer wake_;
    std::vector<write_report> superseded_;   // reports waiting for the run loop
    std::uint64_t next_id_ = 0;
    std::size_t active_ = 0;
    bool stopping_ = false;
    bool deadline_passed_ = false;
    std::optional<scheduler::timer_id> retry_timer_;
    std::optional<scheduler::time_point> retry_armed_;
    std::optional<scheduler::timer_id> deadline_timer_;
    std::uint64_t next_send_ = 0;
    std::unordered_map<std::uint64_t, boost::asio::cancellation_signal> in_flight_signals_;
    std::vector<std::uint64_t> ended_sends_;   // completion handlers ran; signals to erase
    write_shutdown_summary summary_;
    std::uint64_t wakeups_ = 0;
};

}  // namespace ghost::engine
