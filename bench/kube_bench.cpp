// Watch-event decode: the simdjson envelope decode of kube::watch_decoder, and the Boost.JSON
// parse of the object that follows for the objects the simulation keeps.
#include "bench/fixtures.hpp"
#include "kube/watch_decoder.hpp"

#include <benchmark/benchmark.h>
#include <boost/json/parse.hpp>

namespace {

using namespace ghost;

std::string object_for(int kind) {
    switch (kind) {
    case 0: return bench::pod_json(7);
    case 1: return bench::node_json(7);
    default: return bench::lease_json(7);
    }
}

const char* kind_label(int kind) { return kind == 0 ? "pod" : kind == 1 ? "node" : "lease"; }

void watch_decode(benchmark::State& state) {
    auto line = bench::watch_line("MODIFIED", object_for(static_cast<int>(state.range(0))));
    kube::watch_decoder decoder;
    std::size_t events = 0;
    for (auto _ : state) {
        decoder.feed(line, [&](const kube::watch_event& ev) {
            benchmark::DoNotOptimize(ev.resource_version.data());
            ++events;
        });
    }
    state.SetLabel(kind_label(static_cast<int>(state.range(0))) + std::string(" ") +
                   std::to_string(line.size()) + " B");
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * line.size()));
    state.SetItemsProcessed(static_cast<std::int64_t>(events));
}
BENCHMARK(watch_decode)->Arg(0)->Arg(1)->Arg(2);

void object_parse_boost_json(benchmark::State& state) {
    auto object = object_for(static_cast<int>(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(boost::json::parse(object));
    state.SetLabel(kind_label(static_cast<int>(state.range(0))));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * object.size()));
}
BENCHMARK(object_parse_boost_json)->Arg(0)->Arg(1)->Arg(2);

}  // namespace
