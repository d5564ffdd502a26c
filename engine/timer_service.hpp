#pragma once
// A timer_wheel driven by one asio steady_timer: the timer is armed for the wheel's earliest
// due time and re-armed by add() itself when an earlier timer is added (callers never poke).
// Callbacks run on the executor. The production engine::scheduler (tests use manual_scheduler).
// Not thread-safe: use it from the executor's thread (or strand) only.
//
// Lifetime: the driving coroutine shares the service's state, so it may end after the service
// is destroyed; it touches nothing else. stop() (or the destructor) ends it without running
// pending callbacks, after which the executor has no work left from the service.

#include "engine/scheduler.hpp"
#include "engine/timer_wheel.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace ghost::engine {

class timer_service final : public scheduler {
public:
    // Receives now - due for every fired timer (for a lateness histogram).
    using lateness_hook = std::function<void(std::chrono::nanoseconds)>;

    // Starts the driving coroutine on `ex` right away.
    explicit timer_service(boost::asio::any_io_executor ex,
                           std::chrono::microseconds tick = std::chrono::milliseconds(1));
    ~timer_service();   // stops: pending callbacks never run
    timer_service(const timer_service&) = delete;
    timer_service& operator=(const timer_service&) = delete;

    timer_id add(time_point due, callback cb) override;
    timer_id add_after(std::chrono::nanoseconds delay, callback cb) {
        return add(clock::now() + delay, std::move(cb));
    }
    bool cancel(timer_id id) override;
    time_point now() const override { return clock::now(); }
    std::size_t size() const;
    void set_lateness_hook(lateness_hook hook);
    void stop();

private:
    struct state;
    std::shared_ptr<state> state_;
};

}  // namespace ghost::engine
