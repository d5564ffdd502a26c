// Engine ceiling: how many nodes and stage transitions per second ghostlet's simulation, writer
// and HTTP pool sustain on one core when the API server is not the bottleneck. The "API server"
// is an in-memory stand-in on a second thread that answers every request at once (leases echo
// back with a resourceVersion, patches answer {}). NOT a Kubernetes measurement: real-cluster
// figures come from tools/bench.sh.
//
//   ghost_ceiling [--nodes N] [--pods-per-node P] [--connections C] [--in-flight F]
#include "engine/flags.hpp"
#include "engine/http_pool.hpp"
#include "ghost_testing/loopback_http_server.hpp"
#include "stages/default_stages.hpp"
#include "sim/simulation.hpp"
#include "apps/ghostlet/sim_writer.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

namespace {

using namespace ghost;
using clock_type = std::chrono::steady_clock;

double thread_cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_THREAD, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

boost::json::value make_node(int i) {
    auto name = "node-" + std::to_string(i);
    return boost::json::value{
        {"apiVersion", "v1"},
        {"kind", "Node"},
        {"metadata", {{"name", name}, {"uid", "uid-" + name}, {"resourceVersion", "1"}}},
        {"spec", {{"podCIDR", "10." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) + ".0/24"}}},
        {"status",
         {{"addresses", boost::json::array{{{"type", "InternalIP"}, {"address", "192.0.2.1"}}}},
          {"allocatable", {{"cpu", "32"}, {"memory", "256Gi"}, {"pods", "110"}}}}}};
}

boost::json::value make_pod(int node, int j) {
    auto name = "pod-" + std::to_string(node) + "-" + std::to_string(j);
    return boost::json::value{
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata", {{"name", name}, {"namespace", "default"}, {"uid", "u-" + name},
                      {"resourceVersion", "1"}}},
        {"spec", {{"nodeName", "node-" + std::to_string(node)},
                  {"containers", boost::json::array{{{"name", "c"}, {"image", "i"}}}}}},
        {"status", {{"phase", "Pending"}}}};
}

}  // namespace

int main(int argc, char** argv) {
    int nodes = 100'000, pods_per_node = 1, connections = 16, in_flight = 64;
    bool help = false;
    engine::flag_set flags("ghost_ceiling");
    flags.integer("nodes", &nodes, 1, 10'000'000, "simulated nodes")
        .integer("pods-per-node", &pods_per_node, 0, 10'000, "pods on each node")
        .integer("connections", &connections, 1, 1024, "keep-alive connections")
        .integer("in-flight", &in_flight, 1, 4096, "concurrent writes")
        .boolean("help", &help, "print this help", 'h');
    try {
        auto parsed = flags.parse(std::vector<std::string>(argv + 1, argv + argc));
        if (!parsed.positionals.empty()) {
            throw engine::flag_error("unexpected argument \"" + parsed.positionals.front() + "\"");
        }
    } catch (const engine::flag_error& e) {
        std::cerr << "ghost_ceiling: " << e.what() << " (see --help)\n";
        return 2;
    }
    if (help) {
        std::cout << "Usage: ghost_ceiling [flags]\n\nFlags:\n" << flags.usage();
        return 0;
    }

    // The stand-in API server, on its own thread (the other core).
    boost::asio::io_context server_ctx{1};
    testing::loopback_http_server server(
        server_ctx.get_executor(), [](const testing::http_message& req, std::size_t) {
            testing::reply r;
            if (req.method() == boost::beast::http::verb::post ||
                req.method() == boost::beast::http::verb::put) {
                boost::system::error_code ec;
                auto lease = boost::json::parse(req.body(), ec);
                if (!ec && lease.is_object()) {
                    lease.at("metadata").as_object()["resourceVersion"] = "7";
                    r.body = boost::json::serialize(lease);
                }
                r.status = req.method() == boost::beast::http::verb::post ? 201 : 200;
            } else {
                r.body = "{}";
            }
            return r;
        });
    auto work = boost::asio::make_work_guard(server_ctx);
    std::thread server_thread([&] { server_ctx.run(); });

    boost::asio::io_context ctx{1};
    engine::pool_config pool_cfg;
    pool_cfg.max_connections = static_cast<std::size_t>(connections);
    engine::http_pool pool(ctx.get_executor(), {"127.0.0.1", server.port(), false}, {}, pool_cfg);
    engine::manual_scheduler wheel(clock_type::now());
    std::unique_ptr<ghostlet::sim_writer> writer;
    writer = std::make_unique<ghostlet::sim_writer>(pool, wheel, "", in_flight, ghostlet::writer_metrics{},
                                                    [] {});
    sim::simulation_config cfg;
    cfg.lease_duration_seconds = 40;
    cfg.identity = "ceiling";
    cfg.steady_now = [] { return clock_type::now(); };
    sim::simulation sim(cfg, stages::default_stages(true), wheel,
                           [&](sim::write_op op) { writer->submit(std::move(op)); });
    boost::asio::co_spawn(ctx, writer->async_run(), boost::asio::detached);

    // Phase 1: every node appears; done when each lease is held and node-initialize acked.
    auto cpu0 = thread_cpu_seconds();
    auto t0 = clock_type::now();
    for (int i = 0; i < nodes; ++i) sim.on_node_upsert(make_node(i));
    while (sim.stats().stages_played < static_cast<std::uint64_t>(nodes) || writer->queued() > 0) {
        ctx.run_one();
        wheel.advance_to(clock_type::now());
    }
    auto t1 = clock_type::now();
    auto cpu1 = thread_cpu_seconds();
    // Phase 2: pods on every node; done when every pod-ready patch is acked.
    const auto pods = static_cast<std::uint64_t>(nodes) * static_cast<std::uint64_t>(pods_per_node);
    auto played_before = sim.stats().stages_played;
    for (int i = 0; i < nodes; ++i) {
        for (int j = 0; j < pods_per_node; ++j) sim.on_pod_upsert(make_pod(i, j));
    }
    while (sim.stats().stages_played - played_before < pods || writer->queued() > 0) {
        ctx.run_one();
        wheel.advance_to(clock_type::now());
    }
    auto t2 = clock_type::now();
    auto cpu2 = thread_cpu_seconds();

    auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
    const double node_s = secs(t1 - t0), pod_s = secs(t2 - t1);
    const auto requests = sim.stats().writes;
    std::printf("engine ceiling (in-memory stand-in API server, NOT a real cluster)\n");
    std::printf("  nodes: %d leased + initialized in %.2fs = %.0f nodes/s, ghostlet CPU %.2fs\n",
                nodes, node_s, nodes / node_s, cpu1 - cpu0);
    std::printf("  pods:  %llu started in %.2fs = %.0f transitions/s, ghostlet CPU %.2fs\n",
                static_cast<unsigned long long>(pods), pod_s, static_cast<double>(pods) / pod_s,
                cpu2 - cpu1);
    std::printf("  per ghostlet CPU-second: %.0f nodes, %.0f transitions\n",
                nodes / (cpu1 - cpu0), static_cast<double>(pods) / (cpu2 - cpu1));
    std::printf("  requests: %llu over %zu connections (%llu opened)\n",
                static_cast<unsigned long long>(requests), static_cast<std::size_t>(connections),
                static_cast<unsigned long long>(pool.stats().connections_opened));
    std::printf("{\"nodes\":%d,\"node_seconds\":%.3f,\"nodes_per_s\":%.0f,\"pods\":%llu,"
                "\"pod_seconds\":%.3f,\"transitions_per_s\":%.0f,\"cpu_seconds\":%.3f}\n",
                nodes, node_s, nodes / node_s, static_cast<unsigned long long>(pods), pod_s,
                static_cast<double>(pods) / pod_s, cpu2 - cpu0);
    // The stand-in belongs to its thread: stop it there.
    boost::asio::post(server_ctx, [&] {
        server.stop();
        server_ctx.stop();
    });
    server_thread.join();
    return 0;
}
