// Simulated usage served as kubelet metrics, against a real control plane: ghostlet with kwok's
// shipped Metric `metrics-resource` and ClusterResourceUsage `usage-from-annotation` (read in
// place from ../shared/kwok-metrics as its --config), a node and a pod annotated 850m / 256Mi.
// The resource-metrics path shows container, pod and node series with those values, cumulative
// cpu grows across scrapes, /discovery/prometheus lists the node's target, and with
// --enable-crds=Metric an invalid Metric resource gets an Event and a log line while a valid one
// is served live next to the configured one.
#include "tests/integration/cluster_fixture.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace ghost::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

const char* const invalid_metric = R"(apiVersion: kwok.x-k8s.io/v1alpha1
kind: Metric
metadata: {name: broken-metric}
spec:
  path: /metrics/nodes/{nodeName}/broken
  metrics:
  - {name: broken, kind: gauge, dimension: rack, value: '1'}
)";

const char* const custom_metric = R"(apiVersion: kwok.x-k8s.io/v1alpha1
kind: Metric
metadata: {name: custom-metric}
spec:
  path: /metrics/nodes/{nodeName}/custom
  metrics:
  - {name: custom_pods, kind: gauge, dimension: node, value: 'node.Usage("memory") / 1048576.0'}
)";

class usage_it : public cluster_fixture {};

TEST_F(usage_it, shipped_metric_serves_annotated_usage_and_metric_resources_go_live) {
    const std::string shipped = std::string(GHOST_SOURCE_DIR) + "/../shared/kwok-metrics";
    create_cluster("usage", {"--enable-crds", "Metric", "--extra-args",
                             "ghostlet=config=" + shipped});
    ASSERT_EQ(ghostctl({"scale", "node", "--replicas", "1"}).exit_code, 0);
    std::string node = first_node_name();
    ASSERT_FALSE(node.empty()) << "no node appeared";
    apply("apiVersion: v1\nkind: Pod\nmetadata:\n  name: busy\n  namespace: default\n"
          "  annotations: {kwok.x-k8s.io/usage-cpu: 850m, kwok.x-k8s.io/usage-memory: 256Mi}\n"
          "spec:\n  nodeName: " + node + "\n  containers: [{name: app, image: fake}]\n");
    ASSERT_TRUE(wait_for(60s, [&] {
        return str(kubectl_json({"get", "pod", "busy"}), {"status", "phase"}) == "Running";
    }));

    auto port = ghostlet_metrics_port();
    const std::string path = "/metrics/nodes/" + node + "/metrics/resource";
    const std::string container =
        R"(container_memory_working_set_bytes{container="app",namespace="default",pod="busy"})";
    const std::string pod_cpu = R"(pod_cpu_usage_seconds_total{namespace="default",pod="busy"})";
    std::string first;
    ASSERT_TRUE(wait_for(30s, [&] {
        first = http_get(port, path);
        return metric_value(first, container) >= 0;
    })) << first;
    EXPECT_EQ(metric_value(first, container), 268435456) << first;
    EXPECT_EQ(metric_value(first, R"(pod_memory_working_set_bytes{namespace="default",pod="busy"})"),
              268435456);
    EXPECT_EQ(metric_value(first, "node_memory_working_set_bytes"), 268435456);  // its only pod
    EXPECT_EQ(metric_value(first, "scrape_error"), 0);
    EXPECT_NE(first.find("# TYPE container_cpu_usage_seconds_total counter"), std::string::npos);

    // Cumulative cpu: 0.85 core-seconds per second between scrapes, pod = its one container.
    double cpu0 = metric_value(first, pod_cpu);
    std::string later;
    EXPECT_TRUE(wait_for(30s, [&] {
        later = http_get(port, path);
        return metric_value(later, pod_cpu) > cpu0;
    })) << later;
    EXPECT_EQ(metric_value(later, pod_cpu),
              metric_value(later, R"(container_cpu_usage_seconds_total{container="app",)"
                                  R"(namespace="default",pod="busy"})"));
    EXPECT_GE(metric_value(later, "node_cpu_usage_seconds_total"), 0);

    EXPECT_EQ(http_get(port, "/metrics/nodes/not-a-node/metrics/resource"),
              "node not-a-node is not managed here\n");

    auto sd = json::parse(http_get(port, "/discovery/prometheus"));
    bool listed = false;
    for (const auto& g : sd.as_array()) {
        listed |= str(g, {"labels", "__metrics_path__"}) == path &&
                  str(g, {"labels", "metrics_name"}) == "metrics-resource" &&
                  g.at("targets").at(0).as_string() == "127.0.0.1:" + std::to_string(port);
    }
    EXPECT_TRUE(listed) << json::serialize(sd);

    // Metric resources, live: the invalid one is reported, the valid one served, the file's
    // one keeps serving.
    ASSERT_TRUE(wait_for(30s, [&] { return kubectl({"get", "metrics.kwok.x-k8s.io"}).exit_code == 0; }));
    apply(invalid_metric);
    apply(custom_metric);
    std::string custom;
    EXPECT_TRUE(wait_for(30s, [&] {
        custom = http_get(port, "/metrics/nodes/" + node + "/custom");
        return metric_value(custom, "custom_pods") == 256;
    })) << custom;
    json::value events;
    EXPECT_TRUE(wait_for(30s, [&] {
        events = kubectl_json({"get", "events", "-n", "default", "--field-selector",
                               "involvedObject.name=broken-metric,reason=InvalidMetric"});
        return !events.at("items").as_array().empty();
    })) << json::serialize(events);
    if (!events.at("items").as_array().empty()) {
        auto message = str(events.at("items").at(0), {"message"});
        EXPECT_NE(message.find("spec.metrics[0].dimension: expected node, pod or container"),
                  std::string::npos)
            << message;
    }
    std::ifstream log(work_ / "clusters" / name_ / "logs" / "ghostlet.log");
    std::stringstream text;
    text << log.rdbuf();
    EXPECT_NE(text.str().find("Metric \"broken-metric\": spec.metrics[0].dimension"),
              std::string::npos);
    EXPECT_EQ(http_get(port, "/metrics/nodes/" + node + "/broken"), "404 page not found\n");
    EXPECT_EQ(metric_value(http_get(port, path), container), 268435456);
}

}  // namespace
}  // namespace ghost::testing
