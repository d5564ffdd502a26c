#include "engine/timer_service.hpp"

#include "engine/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ghost::engine {

namespace net = boost::asio;

struct timer_service::state {
    timer_wheel wheel;
    net::steady_timer timer;
    time_point armed = time_point::max();
    time_point firing_now{};
    lateness_hook hook;
    bool stopped = false;

    state(net::any_io_executor ex, std::chrono::microseconds tick)
        : wheel(clock::now(), tick), timer(ex) {}

    // `self` is a parameter, so the frame owns the state from the moment co_spawn creates it
    // (even when the service is destroyed before the loop first runs).
    static net::awaitable<void> loop(std::shared_ptr<state> self) {
        co_await self->run();
    }

    net::awaitable<void> run() {
        while (!stopped) {
            auto next = wheel.next_due();
            armed = next ? *next : time_point::max();
            timer.expires_at(armed);
            co_await timer.async_wait(net::as_tuple(net::use_awaitable));
            if (stopped)
                break;
            armed = time_point::max();
            firing_now = clock::now();
            wheel.advance(firing_now);
        }
    }
};

timer_service::timer_service(net::any_io_executor ex, std::chrono::microseconds tick)
    : state_(std::make_shared<state>(ex, tick)) {
    net::co_spawn(ex, state::loop(state_), [](std::exception_ptr e) {
        if (!e)
            return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            GHOST_LOG_ERROR("timer service stopped: ", ex.what());
        }
    });
}

timer_service::~timer_service() { stop(); }

timer_service::timer_id timer_service::add(time_point due, callback cb) {
    state* s = state_.get();
    auto id = s->wheel.add(due, [s, due, cb = std::move(cb)] {
        if (s->hook)
            s->hook(s->firing_now - due);
        cb();
    });
    // An earlier deadline than the one the asio timer waits for: wake the loop to re-arm.
    if (due < s->armed) {
        s->armed = due;
        s->timer.cancel();
    }
    return id;
}

bool timer_service::cancel(timer_id id) { return state_->wheel.cancel(id); }

std::size_t timer_service::size() const { return state_->wheel.size(); }

void timer_service::set_lateness_hook(lateness_hook hook) { state_->hook = std::move(hook); }

void timer_service::stop() {
    if (state_->stopped)
        return;
    state_->stopped = true;
    state_->timer.cancel();
}

}  // namespace ghost::engine
