#pragma once
// Runs a write_queue over an http_pool: hands out batches up to max_in_flight concurrent
// requests, sleeps on a steady_timer used as a condition variable (woken by submit(), by a
// completed request, or by the next retry due time), and classifies each response:
//   2xx                                  -> success
//   transport error, timeout, 5xx, 429   -> transient (requeued with backoff / Retry-After)
//   other status (404, 409, 422, ...)    -> permanent
// Every submitted write is reported exactly once through the completion callback: with its
// final response/error (success or final failure), or with no response when a newer write for
// the same key superseded it. Retries are not reported.
// Single-threaded like the pool: call everything from the pool's executor.

#include "engine/error.hpp"
#include "engine/http_pool.hpp"
#include "engine/write_queue.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ghost::engine {

struct write_driver_config {
    std::size_t max_in_flight = 16;
    std::chrono::milliseconds request_timeout{30000};
    write_queue::config queue{};
};

struct write_report {
    std::uint64_t id = 0;   // as returned by submit()
    std::string key;
    write_priority priority = write_priority::other;
    // The final response or transport error; empty when the write was superseded by a newer
    // write for the same key (coalesced while waiting, or dropped after a transient failure).
    std::optional<result<http_response>> response;
    boost::beast::http::verb method = boost::beast::http::verb::unknown;
    // When the final attempt was handed to the pool (for queue-wait and round-trip metrics).
    std::chrono::steady_clock::time_point sent{};
};

class write_driver {
public:
    using completion = std::function<void(const write_report&)>;

    write_driver(http_pool& pool, write_driver_config cfg, completion on_done = {});
    write_driver(const write_driver&) = delete;
    write_driver& operator=(const write_driver&) = delete;

    // Queues (or coalesces) a write and wakes the loop; returns the write's id (from 1).
    // Reports for superseded writes are delivered from run(), never from inside submit().
    std::uint64_t submit(std::string key, write_priority priority, http_request request);

    // The driving loop; returns after stop() once the requests in flight have finished.
    // The driver must outlive it.
    boost::asio::awaitable<void> run();
    void stop();

    const write_queue& queue() const noexcept { return queue_; }
    std::size_t in_flight() const noexcept { return active_; }

    // The classification used for every response (exposed for tests and callers).
    static write_outcome classify(const result<http_response>& r);

private:
    boost::asio::awaitable<void> send(write_ticket ticket);
    void wake();
    void flush_reports();

    http_pool& pool_;
    write_driver_config cfg_;
    completion on_done_;
    write_queue queue_;
    boost::asio::steady_timer wake_;
    std::vector<write_report> superseded_;   // reports waiting for the run loop
    std::uint64_t next_id_ = 0;
    std::size_t active_ = 0;
    bool stopping_ = false;
};

}  // namespace ghost::engine
