// ghostlet's Metric routes on kwok's shipped documents (read in place), fed like the simulation,
// answered through engine::http_server::dispatch (no sockets); and the custom-resource watch's
// report of an invalid object.

#include "apps/ghostlet/metric_routes.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <future>
#include <fstream>

namespace {

using ghost::ghostlet::metric_routes;
using ghost::kube::event_kind;

boost::json::object pod(const std::string& name, const std::string& node) {
    return boost::json::parse(R"({"metadata":{"name":")" + name + R"(","namespace":"default",)"
                              R"("annotations":{"kwok.x-k8s.io/usage-cpu":"850m",)"
                              R"("kwok.x-k8s.io/usage-memory":"256Mi"}},)"
                              R"("spec":{"nodeName":")" + node +
                              R"(","containers":[{"name":"app"}]},"status":{"phase":"Running"}})")
        .as_object();
}

boost::json::object node(const std::string& name) {
    return boost::json::parse(R"({"metadata":{"name":")" + name + R"("}})").as_object();
}

struct metric_routes_test : ::testing::Test {
    boost::asio::io_context ioc;
    ghost::engine::http_pool pool{ioc.get_executor(), {"127.0.0.1", "1", false}, {}, {}};
    ghost::kube::api_client client{pool, {}};
    std::vector<ghost::sim::write_op> writes;
    ghost::sim::simulation::write_sink sink = [this](ghost::sim::write_op op) {
        writes.push_back(std::move(op));
    };
    std::filesystem::path bad = std::filesystem::temp_directory_path() / "ghost-bad-metric.yaml";

    // What a session answers for a GET of `target` (the async routes included).
    std::optional<ghost::engine::http_reply> get(const ghost::engine::http_server& server,
                                                 std::string target) {
        ghost::engine::request_head head;
        head.target = std::move(target);
        auto reply = boost::asio::co_spawn(ioc, server.async_dispatch(std::move(head)),
                                           boost::asio::use_future);
        ioc.restart();
        ioc.run();
        return reply.get();
    }

    ghost::ghostlet::options opts() {
        std::ofstream(bad) << "kind: Metric\nmetadata: {name: broken}\nspec:\n  path: /metrics/b\n"
                              "  metrics:\n  - {name: x, kind: gauge, value: 'node.'}\n";
        return ghost::ghostlet::parse_options(
            {"--manage-all-nodes", "-c", std::string(GHOST_SHARED_DIR) + "/kwok-metrics", "-c",
             bad.string()});
    }
};

TEST_F(metric_routes_test, serves_the_shipped_metric_per_managed_node_and_discovery) {
    metric_routes routes(opts(), client, sink);
    ASSERT_TRUE(routes.enabled());
    ASSERT_EQ(routes.config().metrics().size(), 1u);  // the broken one is left out
    ghost::engine::http_server server(ioc.get_executor(), "127.0.0.1", "0");
    routes.install(server, "0.0.0.0:10250");
    routes.on_node(event_kind::added, node("n1"), true);
    routes.on_node(event_kind::added, node("theirs"), false);
    routes.on_pod(event_kind::added, pod("p1", "n1"));
    routes.on_pod(event_kind::added, pod("p2", "theirs"));

    auto r = get(server, "/metrics/nodes/n1/metrics/resource");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200u);
    EXPECT_NE(r->body.find("pod_memory_working_set_bytes{namespace=\"default\",pod=\"p1\"} "
                           "2.68435456e+08\n"),
              std::string::npos)
        << r->body;
    EXPECT_NE(r->body.find("node_memory_working_set_bytes 2.68435456e+08\n"), std::string::npos);
    EXPECT_EQ(get(server, "/metrics/nodes/theirs/metrics/resource")->status, 404u);
    EXPECT_EQ(get(server, "/metrics/nodes/none/metrics/resource")->status, 404u);
    EXPECT_EQ(get(server, "/metrics/unknown")->status, 404u);

    auto d = server.dispatch("/discovery/prometheus");
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(boost::json::parse(d->body), boost::json::parse(R"([{"targets":["127.0.0.1:10250"],
        "labels":{"__metrics_path__":"/metrics/nodes/n1/metrics/resource","__scheme__":"http",
        "metrics_name":"metrics-resource"}}])"));

    routes.on_pod(event_kind::deleted, pod("p1", "n1"));
    auto after = get(server, "/metrics/nodes/n1/metrics/resource");
    EXPECT_EQ(after->body.find("pod=\"p1\""), std::string::npos) << after->body;
    routes.on_node(event_kind::deleted, node("n1"), false);
    EXPECT_EQ(get(server, "/metrics/nodes/n1/metrics/resource")->status, 404u);
}

TEST_F(metric_routes_test, discovery_targets_the_host_the_scraper_reached_with_its_scheme) {
    metric_routes routes(opts(), client, sink);
    ghost::engine::http_server server(ioc.get_executor(), "127.0.0.1", "0");
    routes.install(server, "0.0.0.0:10250");
    routes.on_node(event_kind::added, node("n1"), true);
    routes.on_node(event_kind::added, node("n2"), true);

    ghost::engine::request_head head;
    head.target = "/discovery/prometheus";
    head.headers.emplace_back("Host", "192.0.2.7:10250");
    head.tls = true;
    auto tls = server.dispatch(head);
    ASSERT_TRUE(tls.has_value());
    EXPECT_EQ(tls->content_type, "application/json");
    EXPECT_EQ(boost::json::parse(tls->body), boost::json::parse(R"([
        {"targets":["192.0.2.7:10250"],"labels":{"__metrics_path__":
         "/metrics/nodes/n1/metrics/resource","__scheme__":"https","metrics_name":"metrics-resource"}},
        {"targets":["192.0.2.7:10250"],"labels":{"__metrics_path__":
         "/metrics/nodes/n2/metrics/resource","__scheme__":"https","metrics_name":"metrics-resource"}}
        ])"));

    head.headers = {{"host", "localhost:4000"}};
    head.tls = false;
    auto plain = boost::json::parse(server.dispatch(head)->body);
    for (const auto& group : plain.as_array()) {
        EXPECT_EQ(group.at("targets"), boost::json::parse(R"(["localhost:4000"])"));
        EXPECT_EQ(group.at("labels").at("__scheme__"), "http");
    }
}

TEST_F(metric_routes_test, a_big_scrape_gives_the_executor_back_between_steps_one_scrape_at_a_time) {
    metric_routes routes(opts(), client, sink);
    ghost::engine::http_server server(ioc.get_executor(), "127.0.0.1", "0");
    routes.install(server, "127.0.0.1:10250");
    routes.on_node(event_kind::added, node("big"), true);
    routes.on_node(event_kind::added, node("small"), true);
    const int pods = 300;  // x (pod + container series): several steps of scrape_step
    for (int i = 0; i < pods; ++i) routes.on_pod(event_kind::added, pod("p" + std::to_string(i), "big"));
    routes.on_pod(event_kind::added, pod("q", "small"));
    auto whole = routes.serve("/metrics/nodes/big/metrics/resource").body;

    // Two scrapes at once and other work queued behind them on the same executor.
    ghost::engine::request_head big, small;
    big.target = "/metrics/nodes/big/metrics/resource";
    small.target = "/metrics/nodes/small/metrics/resource";
    auto a = boost::asio::co_spawn(ioc, server.async_dispatch(std::move(big)), boost::asio::use_future);
    auto b = boost::asio::co_spawn(ioc, server.async_dispatch(std::move(small)), boost::asio::use_future);
    std::size_t handlers_before_reply = 0;
    bool big_done = false;
    std::function<void()> other_work = [&] {
        if (big_done) return;
        ++handlers_before_reply;
        boost::asio::post(ioc, other_work);
    };
    boost::asio::post(ioc, other_work);
    // A pod of the big node goes away mid-scrape: the scrape keeps its own handles.
    boost::asio::post(ioc, [&] { routes.on_pod(event_kind::deleted, pod("p0", "big")); });
    while (a.wait_for(std::chrono::seconds(0)) != std::future_status::ready) ioc.run_one();
    big_done = true;
    ioc.run();
    auto ra = a.get(), rb = b.get();
    ASSERT_TRUE(ra && rb);
    EXPECT_EQ(ra->status, 200u);
    EXPECT_GT(routes.scrape_steps(), 2u);
    EXPECT_GT(handlers_before_reply, 2u);  // the executor ran other handlers meanwhile
    // Same series as in one go (p0 included: deleted after the scrape began), cpu aside.
    EXPECT_NE(ra->body.find("pod_memory_working_set_bytes{namespace=\"default\",pod=\"p0\"}"),
              std::string::npos);
    EXPECT_EQ(std::count(ra->body.begin(), ra->body.end(), '\n'),
              std::count(whole.begin(), whole.end(), '\n'));
    EXPECT_EQ(rb->status, 200u);
    EXPECT_NE(rb->body.find("pod=\"q\""), std::string::npos);
    EXPECT_EQ(rb->body.find("pod=\"p1\""), std::string::npos);  // its own node only
    auto after = get(server, "/metrics/nodes/big/metrics/resource");
    EXPECT_EQ(after->body.find("pod=\"p0\""), std::string::npos);
}

TEST_F(metric_routes_test, nothing_is_indexed_without_a_metric) {
    metric_routes routes(ghost::ghostlet::parse_options({"--manage-all-nodes"}), client, sink);
    EXPECT_FALSE(routes.enabled());
    metric_routes crd(ghost::ghostlet::parse_options({"--manage-all-nodes", "--enable-crds=Metric"}),
                      client, sink);
    EXPECT_TRUE(crd.enabled());
    EXPECT_EQ(crd.watches().size(), 1u);
}

TEST_F(metric_routes_test, an_invalid_resource_gets_one_event_per_version) {
    std::optional<std::string> verdict = "spec.path: expected /metrics";
    ghost::ghostlet::kwok_resource_watch watch(
        client, sink, *ghost::stages::find_kwok_kind("Metric"), "InvalidMetric",
        {[&](const boost::json::object&) { return verdict; }, [](const boost::json::object&) {}});
    auto obj = boost::json::parse(R"({"metadata":{"name":"m","uid":"u1","resourceVersion":"5"}})")
                   .as_object();
    watch.on_upsert(obj);
    watch.on_upsert(obj);  // same version: reported once
    ASSERT_EQ(writes.size(), 1u);
    EXPECT_NE(writes[0].request.body.find("\"reason\":\"InvalidMetric\""), std::string::npos)
        << writes[0].request.body;
    EXPECT_NE(writes[0].request.body.find("\"kind\":\"Metric\""), std::string::npos);
    EXPECT_EQ(watch.invalid(), 1u);
    obj["metadata"].as_object()["resourceVersion"] = "6";
    watch.on_upsert(obj);
    EXPECT_EQ(writes.size(), 2u);
    verdict.reset();
    watch.on_upsert(obj);
    EXPECT_EQ(watch.invalid(), 0u);
    EXPECT_EQ(writes.size(), 2u);
}

}  // namespace
