#pragma once
// The seam between timing logic and the clock: code that schedules callbacks (the simulation,
// the object pipeline) takes a scheduler&. Production passes engine::timer_service (a wheel
// driven by an asio timer on the real clock); tests pass a manual_scheduler and step it.
// Single-threaded: use a scheduler from one thread (its executor's) only.

#include "engine/timer_wheel.hpp"

#include <chrono>
#include <cstddef>
#include <optional>

namespace ghost::engine {

class scheduler {
public:
    using clock = timer_wheel::clock;
    using time_point = timer_wheel::time_point;
    using callback = timer_wheel::callback;
    using timer_id = timer_wheel::timer_id;

    virtual ~scheduler() = default;

    /// Runs `cb` at `due` (never early; rounded up to the scheduler's tick). Adding from inside
    /// a callback is allowed; a timer already due then fires in the same round.
    virtual timer_id add(time_point due, callback cb) = 0;
    /// Cancels a pending timer; false when it already fired or was cancelled (stale ids are safe).
    virtual bool cancel(timer_id id) = 0;
    /// The scheduler's current time.
    virtual time_point now() const = 0;
};

/// A scheduler on a manual clock: time moves only through advance_to()/advance(), which run
/// the callbacks that became due, in (due, insertion) order.
class manual_scheduler final : public scheduler {
public:
    explicit manual_scheduler(time_point start = {},
                              std::chrono::microseconds tick = std::chrono::milliseconds(1))
        : wheel_(start, tick), now_(start) {}

    timer_id add(time_point due, callback cb) override { return wheel_.add(due, std::move(cb)); }
    bool cancel(timer_id id) override { return wheel_.cancel(id); }
    time_point now() const override { return now_; }

    /// Moves the clock to `t` (never backwards) and fires what is due; returns how many fired.
    std::size_t advance_to(time_point t) {
        if (t > now_)
            now_ = t;
        return wheel_.advance(now_);
    }
    std::size_t advance(std::chrono::nanoseconds d) {
        return advance_to(now_ + std::chrono::duration_cast<clock::duration>(d));
    }

    std::optional<time_point> next_due() const { return wheel_.next_due(); }
    std::size_t size() const { return wheel_.size(); }

private:
    timer_wheel wheel_;
    time_point now_;
};

}  // namespace ghost::engine
