#include "usage/catalog.hpp"

#include "fixtures.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace ghost::usage {
namespace {

using namespace testing;

TEST(catalog, an_invalid_custom_metric_is_reported_and_the_others_stay) {
    manual_clock clock;
    usage_state state{clock.fn()};
    catalog cat{state};
    ASSERT_EQ(cat.add_config(shipped("metrics-resource.yaml"), "metrics-resource.yaml"),
              std::nullopt);
    auto bad = yaml("metadata: {name: broken}\nspec:\n  path: /metrics/b\n  metrics:\n"
                    "  - {name: x, kind: gauge, dimension: rack, value: '1'}\n");
    auto err = cat.upsert_resource("Metric", bad);
    ASSERT_TRUE(err.has_value());
    EXPECT_EQ(*err, "custom resource: Metric \"broken\": spec.metrics[0].dimension: expected node, "
                    "pod or container, got \"rack\"");
    ASSERT_EQ(cat.metrics().size(), 1u);
    auto good = yaml("metadata: {name: extra}\nspec:\n  path: /metrics/extra\n  metrics:\n"
                     "  - {name: x, kind: gauge, value: '1'}\n");
    EXPECT_EQ(cat.upsert_resource("Metric", good), std::nullopt);
    ASSERT_EQ(cat.metrics().size(), 2u);
    EXPECT_EQ(cat.metrics()[1].name, "extra");
    // The good one turning bad removes it; deleting removes it too.
    auto worse = good;
    worse["spec"].as_object()["path"] = "/nope";
    EXPECT_TRUE(cat.upsert_resource("Metric", worse).has_value());
    EXPECT_EQ(cat.metrics().size(), 1u);
    EXPECT_EQ(cat.upsert_resource("Metric", good), std::nullopt);
    cat.erase_resource("Metric", good);
    EXPECT_EQ(cat.metrics().size(), 1u);
}

TEST(catalog, custom_cluster_resource_usage_takes_effect) {
    manual_clock clock;
    usage_state state{clock.fn()};
    catalog cat{state};
    auto pod = make_pod("default", "p", "n", {"app"}, "{}");
    auto pv = lang::cel::value::json(pod);
    auto c = pv.map_find_string("spec")->map_find_string("containers")->list_at(0);
    EXPECT_EQ(state.container_usage(pv, c, "cpu"), 0);
    auto u = yaml("metadata: {name: two}\nspec:\n  usages:\n  - usage: {cpu: {value: '2'}}\n");
    EXPECT_EQ(cat.upsert_resource("ClusterResourceUsage", u), std::nullopt);
    EXPECT_EQ(state.container_usage(pv, c, "cpu"), 2);
    cat.erase_resource("ClusterResourceUsage", u);
    EXPECT_EQ(state.container_usage(pv, c, "cpu"), 0);
}

TEST(catalog, a_custom_cluster_resource_usage_wins_over_the_config_default) {
    manual_clock clock;
    usage_state state{clock.fn()};
    catalog cat{state};
    auto every_pod = yaml("kind: ClusterResourceUsage\nmetadata: {name: default}\nspec:\n"
                          "  usages:\n  - usage: {cpu: {value: 1m}}\n");
    ASSERT_EQ(cat.add_config(every_pod, "defaults.yaml"), std::nullopt);
    auto pod = make_pod("hpa", "p", "n", {"app"}, "{}");
    auto pv = lang::cel::value::json(pod);
    auto c = pv.map_find_string("spec")->map_find_string("containers")->list_at(0);
    EXPECT_DOUBLE_EQ(state.container_usage(pv, c, "cpu"), 0.001);
    auto hpa = yaml("metadata: {name: grows}\nspec:\n  selector: {matchNamespaces: [hpa]}\n"
                    "  usages:\n  - usage: {cpu: {value: 300m}}\n");
    EXPECT_EQ(cat.upsert_resource("ClusterResourceUsage", hpa), std::nullopt);
    EXPECT_DOUBLE_EQ(state.container_usage(pv, c, "cpu"), 0.3);
    auto other = make_pod("default", "q", "n", {"app"}, "{}");
    auto ov = lang::cel::value::json(other);
    auto oc = ov.map_find_string("spec")->map_find_string("containers")->list_at(0);
    EXPECT_DOUBLE_EQ(state.container_usage(ov, oc, "cpu"), 0.001) << "others keep the default";
}

TEST(catalog, prometheus_discovery_lists_one_target_per_path_and_node) {
    manual_clock clock;
    usage_state state{clock.fn()};
    catalog cat{state};
    ASSERT_EQ(cat.add_config(shipped("metrics-resource.yaml"), "m"), std::nullopt);
    ASSERT_EQ(cat.add_config(yaml("kind: Metric\nmetadata: {name: fixed}\nspec:\n  path: "
                                  "/metrics/fixed\n  metrics: []\n"),
                             "f"),
              std::nullopt);
    auto json = prometheus_discovery(cat.metrics(), {"a", "b"}, "127.0.0.1:10250", "http");
    EXPECT_EQ(boost::json::parse(json), boost::json::parse(R"([
      {"targets":["127.0.0.1:10250"],"labels":{"__metrics_path__":"/metrics/nodes/a/metrics/resource",
        "__scheme__":"http","metrics_name":"metrics-resource"}},
      {"targets":["127.0.0.1:10250"],"labels":{"__metrics_path__":"/metrics/nodes/b/metrics/resource",
        "__scheme__":"http","metrics_name":"metrics-resource"}},
      {"targets":["127.0.0.1:10250"],"labels":{"__metrics_path__":"/metrics/fixed",
        "__scheme__":"http","metrics_name":"fixed"}}])"));
}

}  // namespace
}  // namespace ghost::usage
