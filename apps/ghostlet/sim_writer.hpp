#pragma once
// Connects the simulation's writes to the engine's batching writer: coalescing by key, lease
// renewals first, bounded requests in flight, retries with backoff on transient failures; each
// write's completion callback runs once with its final outcome (or never, when a newer write for
// the same object replaced it before it was sent). Observes queue wait, round trip by verb and
// the latency the simulator added.

#include "engine/metrics.hpp"
#include "engine/write_driver.hpp"
#include "sim/simulation.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>
#include <unordered_map>

namespace ghost::ghostlet {

struct writer_metrics {
    engine::histogram* queue_wait = nullptr;     ///< submitted -> handed to the pool
    engine::histogram* added_latency = nullptr;  ///< stage due -> API acknowledged
    /// Stage due -> request on its way to the API server: the simulator's own share (event
    /// handling, rendering and waiting for a free connection), without the round trip.
    engine::histogram* own_latency = nullptr;
    /// Round trip of the final attempt, by verb (GET, POST, PUT, PATCH, DELETE).
    std::function<engine::histogram*(boost::beast::http::verb)> round_trip;
};

class sim_writer {
public:
    sim_writer(engine::http_pool& pool, engine::scheduler& timers, std::string base_path,
               engine::write_driver_config config, writer_metrics metrics,
               std::function<void()> after_completion = {});

    void submit(sim::write_op op);
    boost::asio::awaitable<void> async_run();
    /// Stops sending; writes in flight get `grace` to finish (engine::write_driver::stop).
    void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(500)) {
        driver_.stop(grace);
    }
    const engine::write_shutdown_summary& shutdown_summary() const noexcept {
        return driver_.shutdown_summary();
    }

    /// Writes allowed in flight now (--max-in-flight, or below it with --write-concurrency=adaptive).
    std::size_t limit() const noexcept { return driver_.limit(); }
    std::size_t queued() const noexcept {
        return driver_.queue().waiting() + driver_.in_flight();
    }
    const engine::write_queue::counters& counters() const noexcept {
        return driver_.queue().stats();
    }

private:
    struct pending {
        std::function<void(const engine::result<engine::http_response>&)> on_done;
        engine::scheduler::time_point submitted;
        std::optional<engine::scheduler::time_point> origin;
    };
    void completed(const engine::write_report& report);

    engine::scheduler& timers_;
    std::string base_path_;
    writer_metrics metrics_;
    std::function<void()> after_completion_;
    std::unordered_map<std::uint64_t, pending> pending_;
    engine::write_driver driver_;
};

}  // namespace ghost::ghostlet
