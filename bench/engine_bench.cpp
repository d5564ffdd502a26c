// Engine micro-benchmarks: timer wheel with 100k-1M pending timers, timer lateness through the
// asio-driven timer_service, write-queue coalescing.
#include "engine/timer_service.hpp"
#include "engine/timer_wheel.hpp"
#include "engine/write_queue.hpp"

#include <benchmark/benchmark.h>
#include <boost/asio/io_context.hpp>

#include <algorithm>
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

// Lateness on a real clock: 20,000 timers due over two seconds fire through timer_service (one
// asio steady_timer re-armed for the wheel's next due) while range(0) others wait for ten
// minutes to an hour; range(1) is the wheel's tick in microseconds. Lateness = fired - due,
// so it includes the rounding up to a tick. Counters: p50/p99/max in microseconds.
void timer_lateness(benchmark::State& state) {
    const auto tick = std::chrono::microseconds(state.range(1));
    std::vector<double> late_us;
    for (auto _ : state) {
        boost::asio::io_context ioc{1};
        ghost::engine::timer_service timers(ioc.get_executor(), tick);
        std::mt19937_64 rng(3);
        std::uniform_int_distribution<int> far_s(600, 3600);
        for (int i = 0; i < state.range(0); ++i) timers.add_after(std::chrono::seconds(far_s(rng)), [] {});
        late_us.clear();
        late_us.reserve(20'000);
        timers.set_lateness_hook([&](std::chrono::nanoseconds d) {
            late_us.push_back(static_cast<double>(d.count()) / 1e3);
        });
        std::uniform_int_distribution<int> soon_us(10'000, 2'000'000);
        int due = 20'000;
        for (int i = 0; i < 20'000; ++i) {
            timers.add_after(std::chrono::microseconds(soon_us(rng)), [&] {
                if (--due == 0) ioc.stop();
            });
        }
        ioc.run();
        timers.stop();
    }
    std::sort(late_us.begin(), late_us.end());
    auto at = [&](double q) {
        return late_us.empty() ? 0.0 : late_us[std::min(late_us.size() - 1, std::size_t(q * late_us.size()))];
    };
    state.counters["p50_us"] = at(0.5);
    state.counters["p99_us"] = at(0.99);
    state.counters["max_us"] = late_us.empty() ? 0.0 : late_us.back();
}
BENCHMARK(timer_lateness)
    ->Args({1'000'000, 1000})
    ->Args({1'000'000, 100})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

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
