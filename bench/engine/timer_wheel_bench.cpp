#include "engine/timer_wheel.hpp"

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

namespace {

using ghost::engine::timer_wheel;
using namespace std::chrono_literals;

// Add then cancel with n timers already pending (the rescheduled-jitter pattern).
void bm_add_cancel(benchmark::State& state) {
    auto t0 = timer_wheel::time_point{};
    timer_wheel wheel(t0);
    std::mt19937 rng(1);
    std::uniform_int_distribution<int> dist(0, 3'600'000);
    for (std::int64_t i = 0; i < state.range(0); ++i)
        wheel.add(t0 + std::chrono::milliseconds(dist(rng)), [] {});
    for (auto _ : state) {
        auto id = wheel.add(t0 + std::chrono::milliseconds(dist(rng)), [] {});
        benchmark::DoNotOptimize(wheel.cancel(id));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_add_cancel)->Arg(0)->Arg(100'000)->Arg(1'000'000);

// Fire n timers spread over ten minutes, advancing 1 ms at a time.
void bm_advance_fire(benchmark::State& state) {
    const auto n = state.range(0);
    std::mt19937 rng(2);
    std::uniform_int_distribution<int> dist(0, 600'000);
    std::size_t fired = 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto t0 = timer_wheel::time_point{};
        timer_wheel wheel(t0);
        for (std::int64_t i = 0; i < n; ++i)
            wheel.add(t0 + std::chrono::milliseconds(dist(rng)), [&fired] { ++fired; });
        state.ResumeTiming();
        for (auto now = t0; !wheel.empty(); now += 1ms)
            wheel.advance(now);
    }
    benchmark::DoNotOptimize(fired);
    state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(bm_advance_fire)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
