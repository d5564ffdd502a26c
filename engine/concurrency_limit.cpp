#include "engine/concurrency_limit.hpp"

#include <algorithm>
#include <cmath>

namespace ghost::engine {

concurrency_limit::concurrency_limit(concurrency_limit_config cfg) : cfg_(cfg) {
    // The ceiling is --max-in-flight: a floor above it is lowered, never the ceiling raised.
    cfg_.max_limit = std::max<std::size_t>(cfg_.max_limit, 1);
    cfg_.min_limit = std::clamp<std::size_t>(cfg_.min_limit, 1, cfg_.max_limit);
    limit_ = clamp(static_cast<double>(cfg_.initial_limit));
}

double concurrency_limit::clamp(double v) const {
    return std::clamp(v, static_cast<double>(cfg_.min_limit), static_cast<double>(cfg_.max_limit));
}

void concurrency_limit::on_sample(std::chrono::nanoseconds round_trip, std::size_t in_flight,
                                  bool throttled, time_point now) {
    if (throttled) {
        limit_ = clamp(limit_ * cfg_.backoff_ratio);
        return;  // a shed request's round trip says nothing about the server's latency
    }
    if (!open_) {
        open_ = true;
        window_start_ = now;
    }
    sum_ += std::chrono::duration<double>(round_trip).count();
    ++count_;
    max_in_flight_ = std::max(max_in_flight_, in_flight);
    if (count_ >= cfg_.min_window_samples && now - window_start_ >= cfg_.min_window) close_window();
}

void concurrency_limit::close_window() {
    const double short_rtt = sum_ / static_cast<double>(count_);
    const bool app_limited = static_cast<double>(max_in_flight_) < limit_ / 2;
    open_ = false;
    sum_ = 0;
    count_ = 0;
    max_in_flight_ = 0;
    last_short_ = short_rtt;
    ++windows_;
    if (long_ == 0) {
        long_ = short_rtt;
        return;
    }
    // The long average follows slowly, so a lasting change becomes the new normal; when the
    // server got much faster (short < long / 2) it catches up sooner.
    const double n = static_cast<double>(std::max<std::size_t>(cfg_.long_windows, 1));
    long_ += (short_rtt - long_) / n;
    if (long_ > 2 * short_rtt) long_ *= 0.95;
    if (app_limited) return;
    const double gradient = std::clamp(cfg_.tolerance * long_ / short_rtt, 0.5, 1.0);
    const double estimate = limit_ * gradient + std::sqrt(limit_);
    limit_ = clamp(limit_ * (1 - cfg_.smoothing) + estimate * cfg_.smoothing);
}

}  // namespace ghost::engine
