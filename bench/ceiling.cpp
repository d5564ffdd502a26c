// Engine ceiling: how many nodes and stage transitions per second ghostlet's simulation, writer
// and HTTP pool sustain on one core when the API server is not the bottleneck. The "API server"
// is an in-memory stand-in on a second thread that answers every request at once (leases echo
// back with a resourceVersion, patches answer {}). NOT a Kubernetes measurement: real-cluster
// figures come from tools/bench.sh.
//
//   ghost_ceiling [--nodes N] [--pods-per-node P] [--connections C] [--in-flight F]
//                 [--scrapers S --scrape-rate R]
//
// With --scrapers, ghostlet's kubelet-like server (engine::http_server + the metric_routes
// ghostlet installs, serving ghostctl's default metrics-resource Metric) runs on the simulation's
// thread, and the pods phase runs twice, P pods per node each: without, then with S clients on
// a third thread scraping the nodes' /metrics/nodes/{node}/metrics/resource at R requests/s.
#include "engine/flags.hpp"
#include "engine/http_pool.hpp"
#include "engine/memory.hpp"
#include "ghost_testing/loopback_http_server.hpp"
#include "stages/default_stages.hpp"
#include "sim/simulation.hpp"
#include "apps/ghostlet/metric_routes.hpp"
#include "apps/ghostlet/options.hpp"
#include "apps/ghostlet/sim_writer.hpp"
#include "bench/scrape_load.hpp"
#include "engine/http_server.hpp"
#include "kube/api_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <future>
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

// Resident bytes once the allocator has given its free pages back (on both threads: mimalloc's
// heaps are per thread): what the objects held cost.
double resident_bytes(boost::asio::io_context& server_ctx) {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));  // past mimalloc's decommit delays
    std::promise<void> collected;
    boost::asio::post(server_ctx, [&] {
        ghost::engine::release_free_memory();
        collected.set_value();
    });
    collected.get_future().wait();
    ghost::engine::release_free_memory();
    std::ifstream statm("/proc/self/statm");
    double size = 0, resident = 0;
    statm >> size >> resident;
    return resident * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// The pod as the metrics index sees it once started (the stand-in API server sends no watch).
boost::json::object running_pod(int node, int j) {
    auto pod = make_pod(node, j).as_object();
    pod["status"] = boost::json::object{{"phase", "Running"}};
    pod["metadata"].as_object()["creationTimestamp"] = "2026-01-01T00:00:00Z";  // start time
    return pod;
}

// The longest single reactor turn (one handler run plus the due timers after it).
struct turn_meter {
    std::chrono::nanoseconds longest{0};
    void note(std::chrono::nanoseconds d) { longest = std::max(longest, d); }
    double longest_ms() const { return std::chrono::duration<double, std::milli>(longest).count(); }
};

}  // namespace

int main(int argc, char** argv) {
    int nodes = 100'000, pods_per_node = 1, connections = 16, in_flight = 64, scrapers = 0;
    int scrape_rate = 100;
    bool help = false;
    engine::flag_set flags("ghost_ceiling");
    flags.integer("nodes", &nodes, 1, 10'000'000, "simulated nodes")
        .integer("pods-per-node", &pods_per_node, 0, 10'000, "pods on each node")
        .integer("connections", &connections, 1, 1024, "keep-alive connections")
        .integer("in-flight", &in_flight, 1, 4096, "concurrent writes")
        .integer("scrapers", &scrapers, 0, 1024,
                 "concurrent clients scraping the node metrics path (0: no scrape rounds)")
        .integer("scrape-rate", &scrape_rate, 1, 1'000'000,
                  "scrape requests per second, all scrapers together")
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
    writer = std::make_unique<ghostlet::sim_writer>(
        pool, wheel, "", engine::write_driver_config{.max_in_flight = static_cast<std::size_t>(in_flight)},
        ghostlet::writer_metrics{}, [] {});
    sim::simulation_config cfg;
    cfg.lease_duration_seconds = 40;
    cfg.identity = "ceiling";
    cfg.steady_now = [] { return clock_type::now(); };
    sim::simulation sim(cfg, stages::default_stages(true), wheel,
                           [&](sim::write_op op) { writer->submit(std::move(op)); });
    boost::asio::co_spawn(ctx, writer->async_run(), boost::asio::detached);

    // ghostlet's kubelet-like server with the Metric ghostctl loads for metrics-server.
    std::unique_ptr<kube::api_client> client;
    std::unique_ptr<ghostlet::metric_routes> usage;
    std::unique_ptr<engine::http_server> metrics_server;
    if (scrapers > 0) {
        auto opts = ghostlet::parse_options(std::vector<std::string>{"--manage-all-nodes",
            "--config=" GHOST_DEFAULTS_DIR "/usage-from-annotation.yaml",
            "--config=" GHOST_DEFAULTS_DIR "/metrics-resource.yaml"});
        client = std::make_unique<kube::api_client>(pool, kube::client_options{});
        usage = std::make_unique<ghostlet::metric_routes>(
            opts, *client, [&](sim::write_op op) { writer->submit(std::move(op)); });
        metrics_server = std::make_unique<engine::http_server>(ctx.get_executor(), "127.0.0.1", "0");
        usage->install(*metrics_server, "127.0.0.1:" + std::to_string(metrics_server->port()));
        boost::asio::co_spawn(ctx, metrics_server->async_run(), boost::asio::detached);
    }
    turn_meter turns;
    auto turn = [&] {
        auto start = clock_type::now();
        ctx.run_one();
        wheel.advance_to(clock_type::now());
        turns.note(clock_type::now() - start);
    };

    // Phase 1: every node appears; done when each lease is held and node-initialize acked.
    const double resident0 = resident_bytes(server_ctx);
    auto cpu0 = thread_cpu_seconds();
    auto t0 = clock_type::now();
    for (int i = 0; i < nodes; ++i) {
        auto node = make_node(i);
        if (usage) usage->on_node(kube::event_kind::added, node.as_object(), true);
        sim.on_node_upsert(std::move(node));
    }
    while (sim.stats().stages_played < static_cast<std::uint64_t>(nodes) || writer->queued() > 0)
        turn();
    auto t1 = clock_type::now();
    auto cpu1 = thread_cpu_seconds();
    const double resident1 = resident_bytes(server_ctx);
    auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
    const double node_s = secs(t1 - t0);
    std::printf("engine ceiling (in-memory stand-in API server, NOT a real cluster)\n");
    std::printf("  nodes: %d leased + initialized in %.2fs = %.0f nodes/s, ghostlet CPU %.2fs\n",
                nodes, node_s, nodes / node_s, cpu1 - cpu0);

    // Phase 2: pods on every node; done when every pod-ready patch is acked. With scrapers, a
    // second round of as many pods under the scrape load.
    const auto pods = static_cast<std::uint64_t>(nodes) * static_cast<std::uint64_t>(pods_per_node);
    struct round_figures {
        double seconds = 0, cpu = 0, longest_turn_ms = 0;
    };
    // The pods arrive in one go (as one big list would), so the scrape load starts after that
    // one long turn: it measures the reactor while the transitions are played.
    auto pod_round = [&](int first_pod, const std::function<void()>& injected) {
        turns = {};
        auto played_before = sim.stats().stages_played;
        auto c0 = thread_cpu_seconds();
        auto r0 = clock_type::now();
        for (int i = 0; i < nodes; ++i) {
            for (int j = first_pod; j < first_pod + pods_per_node; ++j) sim.on_pod_upsert(make_pod(i, j));
        }
        if (injected) injected();
        while (sim.stats().stages_played - played_before < pods || writer->queued() > 0) turn();
        return round_figures{secs(clock_type::now() - r0), thread_cpu_seconds() - c0,
                             turns.longest_ms()};
    };
    auto print_round = [&](const char* what, const round_figures& r) {
        std::printf("  pods%s %llu started in %.2fs = %.0f transitions/s, ghostlet CPU %.2fs "
                    "(%.0f transitions per CPU-second), longest reactor turn %.1f ms\n",
                    what, static_cast<unsigned long long>(pods), r.seconds,
                    static_cast<double>(pods) / r.seconds, r.cpu, static_cast<double>(pods) / r.cpu,
                    r.longest_turn_ms);
    };
    if (usage) {
        // Every pod of both rounds is on its node from the start, so each scrape renders the same
        // 2P pods whichever round it falls in.
        for (int i = 0; i < nodes; ++i)
            for (int j = 0; j < 2 * pods_per_node; ++j)
                usage->on_pod(kube::event_kind::added, running_pod(i, j));
    }
    auto quiet = pod_round(0, {});
    auto cpu2 = thread_cpu_seconds();
    print_round(":", quiet);
    // Steady state: every node leased, every pod Running, nothing queued (no watch cache: the
    // stand-in sends no events, as ghostlet keeps none of its own).
    const double resident2 = resident_bytes(server_ctx);
    const double per_node = (resident1 - resident0) / nodes;
    const double per_pod = pods ? (resident2 - resident1) / static_cast<double>(pods) : 0;
    std::printf("  memory held: %.0f B per node, %.0f B per pod (resident after freeing; %.1f MB "
                "for %d nodes and %llu pods)\n",
                per_node, per_pod, (resident2 - resident0) / 1e6, nodes,
                static_cast<unsigned long long>(pods));
    if (!usage) {
        const double pod_s = quiet.seconds;
        std::printf("  per ghostlet CPU-second: %.0f nodes, %.0f transitions\n",
                    nodes / (cpu1 - cpu0), static_cast<double>(pods) / (cpu2 - cpu1));
        std::printf("  requests: %llu over %zu connections (%llu opened)\n",
                    static_cast<unsigned long long>(sim.stats().writes),
                    static_cast<std::size_t>(connections),
                    static_cast<unsigned long long>(pool.stats().connections_opened));
        std::printf("{\"nodes\":%d,\"node_seconds\":%.3f,\"nodes_per_s\":%.0f,\"pods\":%llu,"
                    "\"pod_seconds\":%.3f,\"transitions_per_s\":%.0f,\"cpu_seconds\":%.3f,"
                    "\"bytes_per_node\":%.0f,\"bytes_per_pod\":%.0f}\n",
                    nodes, node_s, nodes / node_s, static_cast<unsigned long long>(pods), pod_s,
                    static_cast<double>(pods) / pod_s, cpu2 - cpu0, per_node, per_pod);
    } else {
        // What one scrape costs the reactor: the biggest node's render, timed on this thread.
        const std::string one = "/metrics/nodes/node-0/metrics/resource";
        constexpr int samples = 20;
        auto s0 = clock_type::now();
        std::size_t body = 0;
        for (int k = 0; k < samples; ++k) body = usage->serve(one).body.size();
        const double render_ms =
            std::chrono::duration<double, std::milli>(clock_type::now() - s0).count() / samples;

        std::vector<std::string> names;
        for (int i = 0; i < nodes; ++i) names.push_back("node-" + std::to_string(i));
        bench::scrape_load_config load_cfg;
        load_cfg.port = std::to_string(metrics_server->port());
        load_cfg.scrapers = scrapers;
        load_cfg.rate = scrape_rate;
        load_cfg.nodes = std::move(names);
        bench::scrape_load load(std::move(load_cfg));
        auto loaded = pod_round(pods_per_node, [&] { load.start(); });
        // A short round may end before the first reply: serve until one came (not timed).
        while (load.finished() == 0) turn();
        load.request_stop();
        while (!load.done()) turn();  // the scrapes in flight are answered here
        auto scraped = load.stop();
        print_round(" under scrape load:", loaded);
        std::printf("  scrapes: %d clients, %.0f/s asked, %llu answered (%.0f/s), %llu failed, "
                    "latency p50 %.2f ms p99 %.2f ms max %.2f ms\n",
                    scrapers, static_cast<double>(scrape_rate), static_cast<unsigned long long>(scraped.requests),
                    static_cast<double>(scraped.requests) / scraped.seconds,
                    static_cast<unsigned long long>(scraped.failures), scraped.p50_ms,
                    scraped.p99_ms, scraped.max_ms);
        std::printf("  one scrape of a node with %d pods: %.3f ms of reactor time, %zu bytes\n",
                    2 * pods_per_node, render_ms, body);
        std::printf("{\"nodes\":%d,\"pods\":%llu,\"transitions_per_s\":%.0f,\"cpu_seconds\":%.3f,"
                    "\"loaded_transitions_per_s\":%.0f,\"loaded_cpu_seconds\":%.3f,"
                    "\"scrapes\":%llu,\"scrape_failures\":%llu,\"scrape_p50_ms\":%.3f,"
                    "\"scrape_p99_ms\":%.3f,\"render_ms\":%.3f,\"longest_turn_ms\":%.3f,"
                    "\"loaded_longest_turn_ms\":%.3f}\n",
                    nodes, static_cast<unsigned long long>(pods),
                    static_cast<double>(pods) / quiet.seconds, quiet.cpu,
                    static_cast<double>(pods) / loaded.seconds, loaded.cpu,
                    static_cast<unsigned long long>(scraped.requests),
                    static_cast<unsigned long long>(scraped.failures), scraped.p50_ms,
                    scraped.p99_ms, render_ms, quiet.longest_turn_ms, loaded.longest_turn_ms);
        metrics_server->close();
    }
    // The stand-in belongs to its thread: stop it there.
    boost::asio::post(server_ctx, [&] {
        server.stop();
        server_ctx.stop();
    });
    server_thread.join();
    return 0;
}
