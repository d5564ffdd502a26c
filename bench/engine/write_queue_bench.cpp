#include "engine/write_queue.hpp"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace {

namespace eng = ghost::engine;

// Push `keys` status writes three times each (two coalesce), then drain in batches of 64.
void bm_push_drain(benchmark::State& state) {
    const auto keys = state.range(0);
    std::vector<std::string> names;
    for (std::int64_t i = 0; i < keys; ++i)
        names.push_back("pods/default/pod-" + std::to_string(i) + "/status");
    eng::http_request req;
    req.target = "/api/v1/namespaces/default/pods/x/status";
    req.body = std::string(300, 'x');
    auto now = eng::write_queue::time_point{};
    for (auto _ : state) {
        eng::write_queue q;
        for (int round = 0; round < 3; ++round)
            for (auto& k : names)
                q.push(k, eng::write_priority::status, req);
        while (!q.empty()) {
            auto batch = q.prepare_batch(64, now);
            for (auto& t : batch)
                q.commit(std::move(t), eng::write_outcome::success(), now);
        }
    }
    state.SetItemsProcessed(state.iterations() * keys * 3);
}
BENCHMARK(bm_push_drain)->Arg(10'000)->Unit(benchmark::kMillisecond);

}  // namespace
