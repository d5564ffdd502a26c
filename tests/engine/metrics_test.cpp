#include "engine/http_pool.hpp"
#include "engine/http_server.hpp"
#include "engine/metrics.hpp"

#include "ghost_testing/async_test.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <gtest/gtest.h>

using namespace ghost::engine;

TEST(metrics, histogram_counts_and_interpolates_quantiles) {
    histogram h({0.001, 0.01, 0.1, 1});
    for (int i = 0; i < 90; ++i) h.observe(0.005);  // (0.001, 0.01]
    for (int i = 0; i < 10; ++i) h.observe(0.5);    // (0.1, 1]
    EXPECT_EQ(h.count(), 100u);
    EXPECT_NEAR(h.sum(), 90 * 0.005 + 10 * 0.5, 1e-9);
    EXPECT_GT(h.quantile(0.5), 0.001);
    EXPECT_LE(h.quantile(0.5), 0.01);
    EXPECT_GT(h.quantile(0.99), 0.1);
    EXPECT_LE(h.quantile(0.99), 1.0);
    h.observe(5);  // above every bound: +Inf bucket
    EXPECT_EQ(h.buckets().back(), 1u);
}

TEST(metrics, renders_prometheus_text) {
    metrics_registry r;
    r.add_counter("ghost_events_total", "Events", R"(kind="pod")").inc(3);
    auto& h = r.add_histogram("ghost_latency_seconds", "Latency", {0.1, 1});
    h.observe(0.05);
    h.observe(0.5);
    r.add_gauge("ghost_depth", "Depth", [] { return 7.0; });
    auto text = r.render();
    EXPECT_NE(text.find("# TYPE ghost_events_total counter"), std::string::npos) << text;
    EXPECT_NE(text.find(R"(ghost_events_total{kind="pod"} 3)"), std::string::npos) << text;
    EXPECT_NE(text.find(R"(ghost_latency_seconds_bucket{le="0.1"} 1)"), std::string::npos) << text;
    EXPECT_NE(text.find(R"(ghost_latency_seconds_bucket{le="1"} 2)"), std::string::npos) << text;
    EXPECT_NE(text.find(R"(ghost_latency_seconds_bucket{le="+Inf"} 2)"), std::string::npos);
    EXPECT_NE(text.find("ghost_latency_seconds_count 2"), std::string::npos) << text;
    EXPECT_NE(text.find("ghost_depth 7"), std::string::npos) << text;
}

TEST(http_server, serves_routes_and_404) {
    ghost::testing::run_async([](auto ex) -> boost::asio::awaitable<void> {
        http_server server(ex, "127.0.0.1", "0");
        server.route("/healthz", [] { return http_reply{200, "text/plain", "ok"}; });
        boost::asio::co_spawn(ex, server.async_run(), boost::asio::detached);
        http_pool pool(ex, {"127.0.0.1", std::to_string(server.port()), false}, {}, {});
        http_request ok;
        ok.target = "/healthz";
        auto r = co_await pool.async_request(ok);
        CO_ASSERT_TRUE(r.has_value());
        EXPECT_EQ(r->status, 200u);
        EXPECT_EQ(r->body, "ok");
        http_request missing;
        missing.target = "/nope";
        auto r2 = co_await pool.async_request(missing);
        CO_ASSERT_TRUE(r2.has_value());
        EXPECT_EQ(r2->status, 404u);
        EXPECT_EQ(pool.stats().connections_opened, 1u) << "keep-alive across requests";
        pool.close();
        server.close();
    });
}

TEST(http_server, exact_routes_win_then_the_longest_prefix_with_its_query) {
    boost::asio::io_context io;
    http_server server(io.get_executor(), "127.0.0.1", "0");
    server.route("/metrics", [] { return http_reply{200, "text/plain", "own"}; });
    server.route_prefix("/metrics/", [](std::string_view path, std::string_view query) {
        return http_reply{200, "text/plain", "short " + std::string(path) + " " + std::string(query)};
    });
    server.route_prefix("/metrics/nodes/", [](std::string_view path, std::string_view) {
        return http_reply{200, "text/plain", "long " + std::string(path)};
    });
    EXPECT_EQ(server.dispatch("/metrics")->body, "own");
    EXPECT_EQ(server.dispatch("/metrics/x?a=1")->body, "short /metrics/x a=1");
    EXPECT_EQ(server.dispatch("/metrics/nodes/n1/metrics/resource")->body,
              "long /metrics/nodes/n1/metrics/resource");
    EXPECT_EQ(server.dispatch("/metricsx"), std::nullopt);
    EXPECT_EQ(server.dispatch("/other"), std::nullopt);
}
