// One scrape of kwok's shipped metrics-resource Metric (with usage-from-annotation) for one node
// with 10 pods, as metrics-server asks every 15 s: ns per scrape and allocs/op (global operator
// new is counted in this file).

#include "bench/fixtures.hpp"
#include "ghost_testing/allocation_counter.hpp"
#include "lang/yaml_json.hpp"
#include "usage/catalog.hpp"
#include "usage/object_index.hpp"
#include "usage/render.hpp"

#include <benchmark/benchmark.h>
#include <boost/json/parse.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>


namespace {

namespace usage = ghost::usage;

boost::json::object shipped(const char* file) {
    std::ifstream in(std::string(GHOST_SHARED_DIR) + "/kwok-metrics/" + file);
    std::stringstream ss;
    ss << in.rdbuf();
    return ghost::lang::yaml_to_json(ss.str()).value().as_object();
}

void BM_usage_scrape_node_10_pods(benchmark::State& state) {
    auto now = std::chrono::steady_clock::time_point(std::chrono::seconds(1));
    usage::usage_state st([&now] { return now; });
    usage::catalog cat(st);
    if (cat.add_config(shipped("metrics-resource.yaml"), "m") ||
        cat.add_config(shipped("usage-from-annotation.yaml"), "u")) {
        state.SkipWithError("shipped documents did not load");
        return;
    }
    usage::object_index index;
    auto node = boost::json::parse(ghost::bench::node_json(0)).as_object();
    const std::string node_name = "node-0000";
    index.upsert_node(node, true);
    for (int i = 0; i < 10; ++i) {
        auto pod = boost::json::parse(ghost::bench::pod_json(i, "Running")).as_object();
        pod["spec"].as_object()["nodeName"] = node_name;
        pod["metadata"].as_object()["name"] = "pod-" + std::to_string(i);
        auto& ann = pod["metadata"].as_object()["annotations"].emplace_object();
        ann["kwok.x-k8s.io/usage-cpu"] = "850m";
        ann["kwok.x-k8s.io/usage-memory"] = "256Mi";
        index.upsert_pod(pod);
    }
    const auto& metric = cat.metrics().front();
    usage::scrape_input in{index.node(node_name), index.pods_of(node_name)};
    if (!in.node || in.pods.size() != 10) {
        state.SkipWithError("index does not hold the node and its 10 pods");
        return;
    }
    std::string out;
    const std::size_t before = ghost::testing::allocations_so_far();
    for (auto _ : state) {
        now += std::chrono::seconds(15);
        out.clear();
        usage::render_metric(metric, in, st, out);
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["allocs/op"] = benchmark::Counter(
        static_cast<double>(ghost::testing::allocations_so_far() - before) / static_cast<double>(state.iterations()));
    state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_usage_scrape_node_10_pods);

}  // namespace
