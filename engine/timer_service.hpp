#pragma once
// A timer_wheel driven by one asio steady_timer: the timer is armed for the wheel's earliest
// due time and re-armed when an earlier timer is added. Callbacks run on the executor.
// Not thread-safe: use it from the executor's thread (or strand) only.

#include "engine/timer_wheel.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace ghost::engine {

class timer_service {
public:
    using clock = timer_wheel::clock;
    using time_point = timer_wheel::time_point;
    using callback = timer_wheel::callback;
    using timer_id = timer_wheel::timer_id;
    // Receives now - due for every fired timer (for a lateness histogram).
    using lateness_hook = std::function<void(std::chrono::nanoseconds)>;

    // Starts the driving coroutine on `ex` right away.
    explicit timer_service(boost::asio::any_io_executor ex,
                           std::chrono::microseconds tick = std::chrono::milliseconds(1));
    ~timer_service();   // stops: pending callbacks never run
    timer_service(const timer_service&) = delete;
    timer_service& operator=(const timer_service&) = delete;

    timer_id add(time_point due, callback cb);
    timer_id add_after(std::chrono::nanoseconds delay, callback cb) {
        return add(clock::now() + delay, std::move(cb));
    }
    bool cancel(timer_id id);
    std::size_t size() const;
    void set_lateness_hook(lateness_hook hook);
    void stop();

private:
    struct state;
    std::shared_ptr<state> state_;
};

}  // namespace ghost::engine
