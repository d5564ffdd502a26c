#pragma once
// A token bucket that paces new work (ghostlet's kubelet mode: new API connections per
// second), sans-io: time is passed in, so it runs on the scheduler seam's clock and on a
// manual clock in tests. Reservation style, as Go's rate.Limiter.Reserve: `reserve(now)` takes
// a token and says when the caller may go; callers wait that long themselves. No herd: however
// many callers ask at once, they go at `rate` per second after the first `burst`.

#include <algorithm>
#include <chrono>
#include <cstddef>

namespace ghost::engine {

class pacer {
public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;

    /// rate <= 0: unlimited (every reservation is `now`). burst >= 1 tokens at start.
    pacer(double rate_per_second, std::size_t burst, time_point start)
        : rate_(rate_per_second), burst_(static_cast<double>(std::max<std::size_t>(burst, 1))),
          tokens_(burst_), last_(start) {}

    /// Takes one token; returns when the caller may go (now, or later when the bucket ran dry).
    /// Tokens may go negative: the n-th waiting caller goes n/rate after the bucket emptied.
    time_point reserve(time_point now) {
        ++reserved_;
        if (rate_ <= 0) return now;
        refill(now);
        tokens_ -= 1.0;
        if (tokens_ >= 0) return now;
        auto wait = std::chrono::duration<double>(-tokens_ / rate_);
        ++delayed_;
        return now + std::chrono::duration_cast<clock::duration>(wait);
    }
    /// The delay reserve(now) would return, as a duration (for a driver's timer).
    clock::duration reserve_delay(time_point now) { return reserve(now) - now; }

    double rate() const noexcept { return rate_; }
    std::size_t reserved() const noexcept { return reserved_; }
    std::size_t delayed() const noexcept { return delayed_; }  ///< reservations that had to wait

private:
    void refill(time_point now) {
        if (now <= last_) return;
        tokens_ = std::min(burst_, tokens_ + std::chrono::duration<double>(now - last_).count() * rate_);
        last_ = now;
    }

    double rate_;
    double burst_;
    double tokens_;
    time_point last_;
    std::size_t reserved_ = 0;
    std::size_t delayed_ = 0;
};

}  // namespace ghost::engine
