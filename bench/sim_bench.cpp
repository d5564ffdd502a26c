// Stage engine micro-benchmarks: selector evaluation, template rendering of the default
// pod-ready and node-initialize stages (render plan and the YAML path), the no-op patch
// check, and one whole simulated pod transition (event in, status patch out).
#include "bench/fixtures.hpp"
#include "stages/default_stages.hpp"
#include "lang/gotpl.hpp"
#include "stages/selector.hpp"
#include "lang/yaml_json.hpp"
#include "sim/patch_effect.hpp"
#include "sim/simulation.hpp"

#include <benchmark/benchmark.h>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

namespace {

using namespace ghost;

const stages::stage& find_stage(const std::vector<stages::stage>& all, const std::string& name) {
    for (const auto& s : all) {
        if (s.name == name) return s;
    }
    throw std::runtime_error("no stage " + name);
}

const lang::compiled_template& status_template(const stages::stage& s) {
    for (const auto& step : s.steps) {
        if (step.patch) return *step.patch->templ.compiled;
    }
    throw std::runtime_error("stage " + s.name + " has no patch");
}

void selector_pod_ready(benchmark::State& state) {
    auto all = stages::default_stages(true);
    const auto& s = find_stage(all, "pod-ready");
    auto pod = boost::json::parse(bench::pod_json(1));
    for (auto _ : state) benchmark::DoNotOptimize(stages::stage_matches(s, pod));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(selector_pod_ready);

lang::func_map bench_funcs() {
    auto funcs = stages::kwok_default_funcs("v0.1.0", [] { return std::string("2026-11-23T19:00:00Z"); });
    using args_t = std::span<const boost::json::value>;
    auto ips = [](args_t) -> boost::system::result<boost::json::value> {
        return boost::json::array{"10.0.0.1"};
    };
    funcs["NodeIPsWith"] = ips;
    funcs["PodIPsWith"] = ips;
    for (const char* f : {"NodeIP", "NodeName"}) {
        funcs[f] = [](args_t) -> boost::system::result<boost::json::value> { return "x"; };
    }
    funcs["NodePort"] = [](args_t) -> boost::system::result<boost::json::value> { return 0; };
    return funcs;
}

// Renders into a per-render arena as the simulation does; `via_yaml` forces the YAML path
// (text, then YAML -> JSON) the render plan replaced.
void render(benchmark::State& state, const char* stage_name, const boost::json::value& object,
            bool via_yaml = false) {
    auto all = stages::default_stages(true);
    const auto& templ = status_template(find_stage(all, stage_name));
    auto funcs = bench_funcs();
    for (auto _ : state) {
        unsigned char first_block[16 * 1024];
        boost::json::monotonic_resource arena(first_block, sizeof first_block);
        boost::json::storage_ptr sp(&arena);
        if (via_yaml) {
            auto text = templ.render(object, funcs);
            auto out = lang::yaml_to_json(lang::trim_space(*text), sp);
            benchmark::DoNotOptimize(out);
        } else {
            auto out = templ.render_to_json(object, funcs, nullptr, sp);
            benchmark::DoNotOptimize(out);
        }
    }
    state.SetItemsProcessed(state.iterations());
}

void render_pod_ready(benchmark::State& state) {
    render(state, "pod-ready", boost::json::parse(bench::pod_json(1)));
}
BENCHMARK(render_pod_ready);

void render_pod_ready_via_yaml(benchmark::State& state) {
    render(state, "pod-ready", boost::json::parse(bench::pod_json(1)), true);
}
BENCHMARK(render_pod_ready_via_yaml);

void render_node_initialize(benchmark::State& state) {
    render(state, "node-initialize", boost::json::parse(bench::node_json(1)));
}
BENCHMARK(render_node_initialize);

void render_node_initialize_via_yaml(benchmark::State& state) {
    render(state, "node-initialize", boost::json::parse(bench::node_json(1)), true);
}
BENCHMARK(render_node_initialize_via_yaml);

// The no-op check before a stage patch is sent: against an object that already has every
// rendered field (the whole patch walked) and against a pending pod (stops at the phase).
void patch_check(benchmark::State& state, bool unchanged) {
    auto all = stages::default_stages(true);
    const auto& templ = status_template(find_stage(all, "pod-ready"));
    auto funcs = bench_funcs();
    auto pod = boost::json::parse(bench::pod_json(1));
    auto status = templ.render_to_json(pod, funcs);
    boost::json::value patch = {{"status", *status}};
    if (unchanged) pod.as_object()["status"] = *status;
    for (auto _ : state) {
        benchmark::DoNotOptimize(sim::patch_changes(pod, patch, kube::patch_type::strategic,
                                                    sim::pod_merge_keys()));
    }
    state.SetItemsProcessed(state.iterations());
}
void patch_check_unchanged(benchmark::State& state) { patch_check(state, true); }
void patch_check_changed(benchmark::State& state) { patch_check(state, false); }
BENCHMARK(patch_check_unchanged);
BENCHMARK(patch_check_changed);

// One pod from watch text to rendered status patch: JSON parse, match, render, serialize.
void pod_transition(benchmark::State& state) {
    engine::manual_scheduler wheel(std::chrono::steady_clock::now());
    std::size_t writes = 0;
    sim::simulation sim({}, stages::default_stages(false), wheel,
                           [&](sim::write_op) { ++writes; });
    sim.on_node_upsert(boost::json::parse(bench::node_json(1)));
    std::vector<std::string> pods;
    for (int i = 0; i < 1000; ++i) {
        auto text = bench::pod_json(i);
        auto at = text.find("\"nodeName\":\"");
        auto end = text.find('"', at + 12);
        text.replace(at + 12, end - at - 12, "node-0001");  // every pod on the one node
        pods.push_back(std::move(text));
    }
    std::size_t n = 0;
    for (auto _ : state) {
        auto& text = pods[n++ % pods.size()];
        auto pod = boost::json::parse(text);
        sim.on_pod_upsert(std::move(pod));
        state.PauseTiming();
        sim.on_pod_delete(boost::json::parse(text));
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["writes"] = static_cast<double>(writes);
    if (writes < static_cast<std::size_t>(state.iterations())) {
        state.SkipWithError("pods were not played (wrong node?)");
    }
}
BENCHMARK(pod_transition);

}  // namespace
