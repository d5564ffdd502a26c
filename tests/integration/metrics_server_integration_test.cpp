// ghostctl create cluster --enable metrics-server against the real control plane: the
// aggregation layer reaches metrics-server, nodes point at ghostlet's HTTPS server, and (once
// ghostlet serves the resource Metric) kubectl top and an HPA see the simulated usage.
#include "cluster_fixture.hpp"

#include "engine/http_pool.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace std::chrono_literals;
namespace json = boost::json;

namespace ghost::testing {
namespace {

// GET https://127.0.0.1:<port><path> without certificate verification; the body, or the error.
std::string https_get_insecure(unsigned short port, const std::string& path) {
    boost::asio::io_context io;
    engine::tls_options tls;
    tls.insecure_skip_verify = true;
    engine::http_pool pool(io.get_executor(), {"127.0.0.1", std::to_string(port), true}, tls, {});
    std::string out = "no reply";
    boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
        engine::http_request req;
        req.target = path;
        auto r = co_await pool.async_request(req, std::chrono::seconds(10));
        out = r ? r->body : "error: " + r.error().message();
        pool.close();
    }, boost::asio::detached);
    io.run();
    return out;
}

class metrics_server_it : public cluster_fixture {
protected:
    bool api_service_available() {
        auto r = kubectl({"get", "apiservice", "v1beta1.metrics.k8s.io", "-o",
                          "jsonpath={.status.conditions[?(@.type==\"Available\")].status}"});
        return r.exit_code == 0 && r.output == "True";
    }
    std::string component_line(const std::string& name) {
        auto r = ghostctl({"get", "components"});
        std::istringstream in(r.output);
        for (std::string line; std::getline(in, line);) {
            if (line.rfind(name + " ", 0) == 0) return line;
        }
        return "";
    }
    // ghostlet answers the resource Metric path (issue 10, part 2; served by usage/).
    bool resource_metrics_served(const std::string& node) {
        auto body = http_get(ghostlet_metrics_port(), "/metrics/nodes/" + node + "/metrics/resource");
        return body.find("node_cpu_usage_seconds_total") != std::string::npos;
    }
    // "<name> <cpu> <memory>" columns of kubectl top; empty until metrics-server has them.
    std::vector<std::string> top(std::vector<std::string> args) {
        args.insert(args.begin(), "top");
        args.push_back("--no-headers");
        auto r = kubectl(args);
        if (r.exit_code != 0) return {};
        std::istringstream in(r.output);
        std::vector<std::string> cols;
        for (std::string w; in >> w;) cols.push_back(w);
        return cols;
    }
    static long number_before(const std::string& s, const std::string& unit) {
        if (s.size() <= unit.size() || s.compare(s.size() - unit.size(), unit.size(), unit) != 0)
            return -1;
        return std::stol(s.substr(0, s.size() - unit.size()));
    }
};

const char* const usage_pods = R"(
apiVersion: v1
kind: Pod
metadata:
  name: busy
  annotations: {kwok.x-k8s.io/usage-cpu: 850m, kwok.x-k8s.io/usage-memory: 256Mi}
spec:
  nodeName: node-000000
  tolerations: [{key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}]
  containers: [{name: app, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata:
  name: idle
  annotations: {kwok.x-k8s.io/usage-cpu: 150m, kwok.x-k8s.io/usage-memory: 128Mi}
spec:
  nodeName: node-000000
  tolerations: [{key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}]
  containers: [{name: app, image: busybox}]
)";

TEST_F(metrics_server_it, aggregation_layer_reaches_metrics_server_and_nodes_reach_ghostlet) {
    create_cluster("ms", {"--enable", "metrics-server"});
    EXPECT_NE(component_line("metrics-server").find("running"), std::string::npos)
        << ghostctl({"get", "components"}).output;
    ASSERT_TRUE(wait_for(180s, [&] { return api_service_available(); }))
        << kubectl({"get", "apiservice", "v1beta1.metrics.k8s.io", "-o", "yaml"}).output
        << ghostctl({"logs", "metrics-server"}).output.substr(0, 3000);

    // A scaled node carries kwok's annotation and advertises ghostlet's port; a bare node gets
    // InternalIP 127.0.0.1; both get Hostname localhost.
    ASSERT_EQ(ghostctl({"scale", "node", "--replicas", "1"}).exit_code, 0);
    apply("apiVersion: v1\nkind: Node\nmetadata:\n  name: bare\n");
    const auto port = ghostlet_metrics_port();
    json::value scaled, bare;
    ASSERT_TRUE(wait_for(60s, [&] {
        scaled = kubectl_json({"get", "node", "node-000000"});
        bare = kubectl_json({"get", "node", "bare"});
        auto* p = bare.as_object().if_contains("status");
        return p && p->as_object().if_contains("daemonEndpoints") &&
               scaled.at("status").as_object().if_contains("daemonEndpoints");
    })) << bare;
    for (const auto* n : {&scaled, &bare}) {
        EXPECT_EQ(n->at("status").at("daemonEndpoints").at("kubeletEndpoint").at("Port").to_number<int>(),
                  port);
        bool hostname = false;
        for (const auto& a : n->at("status").at("addresses").as_array()) {
            hostname = hostname || (str(a, {"type"}) == "Hostname" && str(a, {"address"}) == "localhost");
        }
        EXPECT_TRUE(hostname) << *n;
    }
    EXPECT_EQ(str(scaled, {"metadata", "annotations", "metrics.k8s.io/resource-metrics-path"}),
              "/metrics/nodes/node-000000/metrics/resource");
    EXPECT_EQ(str(bare.at("status").at("addresses").at(0), {"type"}), "InternalIP");
    EXPECT_EQ(str(bare.at("status").at("addresses").at(0), {"address"}), "127.0.0.1");
    // The advertised address and port answer HTTPS (as metrics-server dials them, without
    // verifying the self-signed certificate) and plain HTTP alike.
    EXPECT_EQ(https_get_insecure(port, "/healthz"), "ok");
    EXPECT_EQ(http_get(port, "/healthz"), "ok");

    // stop takes metrics-server down with the rest; start brings the APIService back.
    ASSERT_EQ(ghostctl({"stop", "cluster"}).exit_code, 0);
    EXPECT_NE(component_line("metrics-server").find("stopped"), std::string::npos);
    auto started = ghostctl({"start", "cluster"});
    ASSERT_EQ(started.exit_code, 0) << started.output;
    EXPECT_NE(component_line("metrics-server").find("running"), std::string::npos);
    EXPECT_TRUE(wait_for(180s, [&] { return api_service_available(); }));
}

TEST_F(metrics_server_it, kubectl_top_shows_annotated_usage_and_node_sums) {
    create_cluster("top", {"--enable", "metrics-server", "--extra-args",
                           "metrics-server=metric-resolution=10s", "--extra-args",
                           "metrics-server=kubelet-request-timeout=5s"});
    ASSERT_EQ(ghostctl({"scale", "node", "--replicas", "1"}).exit_code, 0);
    ASSERT_TRUE(wait_for(60s, [&] { return resource_metrics_served("node-000000"); }))
        << "ghostlet does not serve /metrics/nodes/{nodeName}/metrics/resource yet";
    apply(usage_pods);
    std::vector<std::string> busy, node;
    // metrics-server needs two scrapes for a CPU rate.
    ASSERT_TRUE(wait_for(180s, [&] {
        busy = top({"pod", "busy"});
        node = top({"node", "node-000000"});
        return busy.size() == 3 && node.size() >= 5 && number_before(node[1], "m") >= 990;
    })) << kubectl({"top", "pod"}).output << kubectl({"top", "node"}).output;
    EXPECT_NEAR(number_before(busy[1], "m"), 850, 10) << busy[1];
    EXPECT_EQ(busy[2], "256Mi");
    auto idle = top({"pod", "idle"});
    ASSERT_EQ(idle.size(), 3u);
    EXPECT_NEAR(number_before(idle[1], "m"), 150, 10) << idle[1];
    EXPECT_EQ(idle[2], "128Mi");
    // Node = sum of its pods: NAME CPU CPU% MEMORY MEMORY%.
    EXPECT_NEAR(number_before(node[1], "m"), 1000, 20) << node[1];
    EXPECT_EQ(node[3], "384Mi");
}

const char* const hpa_manifests = R"(
apiVersion: v1
kind: Namespace
metadata: {name: hpa}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterResourceUsage
metadata: {name: grows-with-age}
spec:
  selector: {matchNamespaces: [hpa]}
  usages:
  - usage:
      cpu:
        expression: Quantity(string(int(pod.SinceSecond()) * 10) + "m")
      memory:
        value: 64Mi
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: hpa}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms: [{matchExpressions: [{key: type, operator: In, values: [kwok]}]}]
      tolerations: [{key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}]
      containers:
      - {name: app, image: busybox, resources: {requests: {cpu: 100m}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: hpa}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
)";

TEST_F(metrics_server_it, hpa_scales_a_deployment_whose_usage_grows_with_pod_age) {
    create_cluster("hpa", {"--enable", "metrics-server", "--enable-crds",
                           "ClusterResourceUsage,ResourceUsage,Metric", "--extra-args",
                           "metrics-server=metric-resolution=10s", "--extra-args",
                           "metrics-server=kubelet-request-timeout=5s", "--extra-args",
                           "kube-controller-manager=horizontal-pod-autoscaler-sync-period=5s"});
    ASSERT_EQ(ghostctl({"scale", "node", "--replicas", "2"}).exit_code, 0);
    ASSERT_TRUE(wait_for(60s, [&] { return resource_metrics_served("node-000000"); }))
        << "ghostlet does not serve /metrics/nodes/{nodeName}/metrics/resource yet";
    ASSERT_TRUE(wait_for(60s, [&] { return kubectl({"get", "clusterresourceusages"}).exit_code == 0; }));
    apply(hpa_manifests);
    int replicas = 0;
    ASSERT_TRUE(wait_for(300s, [&] {
        auto d = kubectl_json({"get", "deployment", "web", "-n", "hpa"});
        replicas = d.at("spec").at("replicas").to_number<int>();
        return replicas >= 3;
    })) << "replicas " << replicas << "\n"
        << kubectl({"describe", "hpa", "web", "-n", "hpa"}).output;
    // The new pods get usage too.
    EXPECT_TRUE(wait_for(120s, [&] {
        auto r = kubectl({"top", "pod", "-n", "hpa", "--no-headers"});
        std::istringstream in(r.output);
        int lines = 0;
        for (std::string l; std::getline(in, l);) lines += l.empty() ? 0 : 1;
        return r.exit_code == 0 && lines >= 3;
    })) << kubectl({"top", "pod", "-n", "hpa"}).output;
}

}  // namespace
}  // namespace ghost::testing
