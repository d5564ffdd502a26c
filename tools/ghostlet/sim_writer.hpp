#pragma once
// Connects the simulation's writes to the engine's batching writer: coalescing by key, lease
// renewals first, bounded requests in flight, retries with backoff on transient failures; each
// write's completion callback runs once with its final outcome (or never, when a newer write for
// the same object replaced it before it was sent).

#include "engine/write_driver.hpp"
#include "stages/simulation.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>
#include <unordered_map>

namespace ghost::ghostlet {

class sim_writer {
public:
    sim_writer(boost::asio::any_io_executor ex, engine::http_pool& pool, std::string base_path,
               int max_in_flight, std::function<void()> after_completion);

    void submit(stages::write_op op);
    boost::asio::awaitable<void> async_run();
    void stop() { driver_.stop(); }

    std::size_t queued() const noexcept {
        return driver_.queue().waiting() + driver_.in_flight();
    }
    const engine::write_queue::counters& counters() const noexcept {
        return driver_.queue().stats();
    }

private:
    using callback = std::function<void(const engine::result<engine::http_response>&)>;

    std::string base_path_;
    std::function<void()> after_completion_;
    std::unordered_map<std::uint64_t, callback> callbacks_;
    engine::write_driver driver_;
};

}  // namespace ghost::ghostlet
