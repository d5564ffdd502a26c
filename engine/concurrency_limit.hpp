#pragma once
// Sans-io adaptive concurrency limit for the batching writer (no clock: every call takes `now`).
//
// Netflix concurrency-limits' Gradient2 over windows of round trips: each window's mean round
// trip (`short`) is compared with a slow moving average of past windows (`long`, the latency the
// API server has when it keeps up). While short stays within `tolerance` × long the limit grows
// by about sqrt(limit) per window; when it rises the limit shrinks in proportion (never below
// half per window). Throttling answers (429, 5xx, timeouts) cut it by `backoff_ratio` at once.
// A window where the writer did not use half its limit does not grow it (nothing was learned
// about a larger one). Bounded by [min_limit, max_limit]; `max_limit` is --max-in-flight.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace ghost::engine {

struct concurrency_limit_config {
    std::size_t initial_limit = 64;  ///< starts at the ceiling: shrinks only on evidence
    std::size_t min_limit = 16;
    std::size_t max_limit = 64;
    double tolerance = 1.5;         ///< short/long ratio still taken as "flat"
    double smoothing = 0.2;         ///< share of a window's new estimate in the limit
    double backoff_ratio = 0.9;     ///< limit × this on a throttling answer
    std::chrono::milliseconds min_window{100};
    std::size_t min_window_samples = 8;
    std::size_t long_windows = 40;  ///< memory of the long average, in windows (~4 s)
};

class concurrency_limit {
public:
    using time_point = std::chrono::steady_clock::time_point;

    explicit concurrency_limit(concurrency_limit_config cfg = {});

    /// One finished request: its round trip, the writes in flight when it was sent, and
    /// whether the answer was the API server shedding load.
    void on_sample(std::chrono::nanoseconds round_trip, std::size_t in_flight, bool throttled,
                   time_point now);

    std::size_t limit() const noexcept { return static_cast<std::size_t>(limit_); }
    /// The averages in seconds (0 before the first window), for metrics and tests.
    double short_round_trip() const noexcept { return last_short_; }
    double long_round_trip() const noexcept { return long_; }
    std::uint64_t windows() const noexcept { return windows_; }

private:
    void close_window();
    double clamp(double v) const;

    concurrency_limit_config cfg_;
    double limit_;
    double long_ = 0;
    double last_short_ = 0;
    std::uint64_t windows_ = 0;
    // The open window.
    bool open_ = false;
    time_point window_start_{};
    double sum_ = 0;
    std::size_t count_ = 0;
    std::size_t max_in_flight_ = 0;
};

}  // namespace ghost::engine
