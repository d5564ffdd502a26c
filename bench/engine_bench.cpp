// Engine micro-benchmarks: timer wheel with 100k-1M pending timers, write-queue coalescing.
#include "engine/timer_wheel.hpp"
#include "engine/write_queue.hpp"

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

namespace {

using namespace std::chrono_literals;
using ghost::engine::timer_wheel;

// add + cancel of one timer while `range(0)` others are pending over ten minutes: the cost of a
// rescheduled stage delay (kwok restarts a pending delay on every new resourceVersion).
void wheel_add_cancel(benchmark::State& state) {
    timer_wheel::time_point t0{};
    timer_wheel wheel(t0);
    std::mt19937_64 rng(1);
    std::uniform_int_distribution<int> ms(1, 600'000);
    for (int i = 0; i < state.range(0); ++i) wheel.add(t0 + std::chrono::milliseconds(ms(rng)), [] {});
    for (auto _ : state) {
        auto id = wheel.add(t0 + std::chrono::milliseconds(ms(rng)), [] {});
        benchmark::DoNotOptimize(wheel.cancel(id));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(wheel_add_cancel)->Arg(100'000)->Arg(1'000'000);

// Firing: `range(0)` timers due within one minute, advanced in 1 ms steps; reports timers/s and
// the worst lateness seen (always under one tick by construction: ticks are 1 ms).
void wheel_fire(benchmark::State& state) {
    for (auto _ : state) {
        state.PauseTiming();
        timer_wheel::time_point t0{};
        timer_wheel wheel(t0);
        std::mt19937_64 rng(2);
        std::uniform_int_distribution<int> us(1, 60'000'000);
        std::int64_t fired = 0;
        for (int i = 0; i < state.range(0); ++i) {
            wheel.add(t0 + std::chrono::microseconds(us(rng)), [&fired] { ++fired; });
        }
        state.ResumeTiming();
        for (auto t = t0; !wheel.empty(); t += 1ms) wheel.advance(t);
        benchmark::DoNotOptimize(fired);
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(wheel_fire)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

// A status write for one of `range(0)` objects; every object is written ten times before the
// writer drains, so nine of ten writes coalesce.
void write_queue_coalesce(benchmark::State& state) {
    ghost::engine::write_queue q;
    std::vector<std::string> keys;
    for (int i = 0; i < state.range(0); ++i) keys.push_back("/api/v1/nodes/node-" + std::to_string(i) + "/status");
    ghost::engine::http_request req;
    req.body = std::string(600, 'x');
    std::size_t n = 0;
    auto now = std::chrono::steady_clock::now();
    for (auto _ : state) {
        q.push(keys[n % keys.size()], ghost::engine::write_priority::status, req);
        if (++n % (keys.size() * 10) == 0) {
            for (auto batch = q.prepare_batch(1024, now); !batch.empty();
                 batch = q.prepare_batch(1024, now)) {
                for (auto& t : batch) q.commit(std::move(t), ghost::engine::write_outcome::success(), now);
            }
        }
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["coalesced"] = static_cast<double>(q.stats().coalesced);
}
BENCHMARK(write_queue_coalesce)->Arg(10'000);

}  // namespace
