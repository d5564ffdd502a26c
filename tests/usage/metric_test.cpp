#include "usage/metric.hpp"

#include "fixtures.hpp"

#include <gtest/gtest.h>

namespace ghost::usage {
namespace {

using namespace testing;

struct metric_test : ::testing::Test {
    manual_clock clock;
    usage_state state{clock.fn()};
    std::string error_of(const std::string& text) {
        try {
            parse_metric(yaml(text), "m.yaml", state.environment());
        } catch (const usage_error& e) {
            return e.what();
        }
        return "no error";
    }
};

TEST_F(metric_test, shipped_metrics_resource_parses_with_its_dimensions_and_kinds) {
    auto m = parse_metric(shipped("metrics-resource.yaml"), "metrics-resource.yaml",
                          state.environment());
    EXPECT_EQ(m.name, "metrics-resource");
    EXPECT_EQ(m.path, "/metrics/nodes/{nodeName}/metrics/resource");
    ASSERT_EQ(m.metrics.size(), 8u);
    EXPECT_EQ(m.metrics[0].name, "scrape_error");
    EXPECT_EQ(m.metrics[0].dimension, metric_dimension::node);
    EXPECT_EQ(m.metrics[2].name, "container_cpu_usage_seconds_total");
    EXPECT_EQ(m.metrics[2].kind, metric_kind::counter);
    EXPECT_EQ(m.metrics[2].dimension, metric_dimension::container);
    EXPECT_EQ(m.metrics[2].labels.size(), 3u);
    EXPECT_EQ(m.metrics[4].dimension, metric_dimension::pod);
    EXPECT_TRUE(m.per_node());
}

TEST_F(metric_test, path_matching_resolves_node_name) {
    auto m = parse_metric(shipped("metrics-resource.yaml"), "x", state.environment());
    EXPECT_EQ(m.match("/metrics/nodes/n-1/metrics/resource"), "n-1");
    EXPECT_EQ(m.match("/metrics/nodes//metrics/resource"), std::nullopt);
    EXPECT_EQ(m.match("/metrics/nodes/a/b/metrics/resource"), std::nullopt);
    EXPECT_EQ(m.match("/metrics/nodes/n-1/metrics/cadvisor"), std::nullopt);
    EXPECT_EQ(m.path_for("n-2"), "/metrics/nodes/n-2/metrics/resource");
    metric fixed{"f", "/metrics/custom", {}};
    EXPECT_EQ(fixed.match("/metrics/custom"), "");
    EXPECT_EQ(fixed.match("/metrics/custom/x"), std::nullopt);
}

TEST_F(metric_test, histogram_buckets_are_sorted_and_keep_hidden) {
    auto m = parse_metric(yaml(R"(
kind: Metric
metadata: {name: h}
spec:
  path: /metrics/h
  metrics:
  - name: lat
    kind: histogram
    buckets:
    - {le: 5, value: '1'}
    - {le: 1, value: '2', hidden: true}
    - {le: 2, value: '3'}
)"),
                          "h.yaml", state.environment());
    ASSERT_EQ(m.metrics[0].buckets.size(), 3u);
    EXPECT_EQ(m.metrics[0].buckets[0].le, 1);
    EXPECT_TRUE(m.metrics[0].buckets[0].hidden);
    EXPECT_EQ(m.metrics[0].buckets[2].le, 5);
}

TEST_F(metric_test, bad_metrics_name_the_metric_the_field_and_what_was_expected) {
    const std::string head = "kind: Metric\nmetadata: {name: bad}\nspec:\n  path: /metrics/x\n"
                             "  metrics:\n  - {name: ok, kind: gauge, value: '1'}\n"
                             "  - {name: ok2, kind: gauge, value: '2'}\n";
    auto cel = error_of(head + "  - {name: third, kind: gauge, value: 'pod.metadata.'}\n");
    EXPECT_EQ(cel.rfind("m.yaml: Metric \"bad\": spec.metrics[2].value: CEL column ", 0), 0u) << cel;
    EXPECT_EQ(error_of(head + "  - {name: d, kind: gauge, dimension: cluster, value: '1'}\n"),
              "m.yaml: Metric \"bad\": spec.metrics[2].dimension: expected node, pod or container, "
              "got \"cluster\"");
    EXPECT_EQ(error_of(head + "  - {name: k, kind: summary, value: '1'}\n"),
              "m.yaml: Metric \"bad\": spec.metrics[2].kind: expected counter, gauge or histogram, "
              "got \"summary\"");
    EXPECT_EQ(error_of(head + "  - {name: 'a-b', kind: gauge, value: '1'}\n"),
              "m.yaml: Metric \"bad\": spec.metrics[2].name: expected a Prometheus metric name "
              "([a-zA-Z_:][a-zA-Z0-9_:]*), got \"a-b\"");
    EXPECT_EQ(error_of(head + "  - {name: ok, kind: gauge, value: '1'}\n"),
              "m.yaml: Metric \"bad\": spec.metrics[2].name: metric \"ok\" given twice in this "
              "Metric");
    EXPECT_EQ(error_of("kind: Metric\nmetadata: {name: p}\nspec: {path: /stats, metrics: []}\n"),
              "m.yaml: Metric \"p\": spec.path: expected a path starting with /metrics, got "
              "\"/stats\"");
    EXPECT_EQ(error_of(head + "  - {name: l, kind: gauge, value: '1', labels: [{name: x}]}\n"),
              "m.yaml: Metric \"bad\": spec.metrics[2].labels[0].value: expected a string, got "
              "nothing");
    EXPECT_EQ(error_of(head + "  - {name: h, kind: histogram, buckets: [{le: x, value: '1'}]}\n"),
              "m.yaml: Metric \"bad\": spec.metrics[2].buckets[0].le: expected a number");
    auto unknown = error_of(head + "  - {name: u, kind: gauge, value: 'Nope(pod)'}\n");
    EXPECT_NE(unknown.find("spec.metrics[2].value: CEL column"), std::string::npos) << unknown;
}

}  // namespace
}  // namespace ghost::usage
