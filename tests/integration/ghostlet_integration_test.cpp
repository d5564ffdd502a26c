// ghostlet against a real control plane started by ghostctl: nodes turn Ready with Leases,
// workloads run with kwok's IP invariants, Jobs complete, deletions finish, only selected nodes
// are touched, and everything converges again after kube-apiserver or ghostlet restarts.
#include "tests/integration/cluster_fixture.hpp"

#include "engine/ip_address.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <map>
#include <set>

namespace ghost::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

bool node_ready(const json::value& node) {
    const auto* status = node.as_object().if_contains("status");
    const auto* conds = status ? status->as_object().if_contains("conditions") : nullptr;
    if (!conds) return false;
    for (const auto& c : conds->as_array()) {
        if (c.at("type") == "Ready" && c.at("status") == "True") return true;
    }
    return false;
}

bool ipv4_in_cidr(const std::string& ip, const std::string& cidr) {
    auto a = ghost::engine::parse_ip(ip);
    auto p = ghost::engine::parse_cidr(cidr);
    return a && p && !a->v6 && ghost::engine::contains(*p, *a);
}

std::size_t count_running(const json::value& pods) {
    std::size_t n = 0;
    for (const auto& p : pods.at("items").as_array()) {
        if (str(p, {"status", "phase"}) == "Running" && !str(p, {"status", "podIP"}).empty()) ++n;
    }
    return n;
}

// Every pod Running has a unique podIP (hostNetwork pods share their node's IP and are skipped).
void expect_unique_pod_ips(const json::value& pods) {
    std::map<std::string, std::string> owner;
    for (const auto& p : pods.at("items").as_array()) {
        if (p.at("spec").as_object().contains("hostNetwork")) continue;
        auto ip = str(p, {"status", "podIP"});
        if (ip.empty()) continue;
        auto name = str(p, {"metadata", "name"});
        auto [it, inserted] = owner.emplace(ip, name);
        EXPECT_TRUE(inserted) << "pod IP " << ip << " given to both " << it->second << " and "
                              << name;
    }
}

const char* const fake_node = R"(apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations:
    node.alpha.kubernetes.io/ttl: "0"
    kwok.x-k8s.io/node: fake
  labels:
    beta.kubernetes.io/arch: amd64
    beta.kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: kwok-node-0
    kubernetes.io/os: linux
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    type: kwok
spec:
  podCIDR: 10.244.7.0/24
  taints:
  - effect: NoSchedule
    key: kwok.x-k8s.io/node
    value: fake
status:
  allocatable:
    cpu: "32"
    memory: 256Gi
    pods: "110"
  capacity:
    cpu: "32"
    memory: 256Gi
    pods: "110"
  addresses:
  - address: 192.0.2.77
    type: InternalIP
)";

std::string deployment(const std::string& name, int replicas) {
    return R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: )" + name + R"(
  namespace: default
spec:
  replicas: )" + std::to_string(replicas) + R"(
  selector:
    matchLabels:
      app: )" + name + R"(
  template:
    metadata:
      labels:
        app: )" + name + R"(
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - key: type
                operator: In
                values: [kwok]
      tolerations:
      - key: kwok.x-k8s.io/node
        operator: Exists
        effect: NoSchedule
      containers:
      - name: app
        image: fake-image
)";
}

const char* const job = R"(apiVersion: batch/v1
kind: Job
metadata:
  name: fake-job
  namespace: default
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      tolerations:
      - key: kwok.x-k8s.io/node
        operator: Exists
        effect: NoSchedule
      nodeSelector:
        type: kwok
      containers:
      - name: job
        image: fake-image
)";

const char* const host_network_pod = R"(apiVersion: v1
kind: Pod
metadata:
  name: host-net
  namespace: default
spec:
  hostNetwork: true
  tolerations:
  - key: kwok.x-k8s.io/node
    operator: Exists
    effect: NoSchedule
  nodeSelector:
    type: kwok
  containers:
  - name: c
    image: fake-image
)";

class ghostlet_it : public cluster_fixture {};

TEST_F(ghostlet_it, thousand_nodes_turn_ready_with_renewed_leases) {
    // kwok's 40 s lease without the heartbeat factor: renewed every 10 s, so the test sees one.
    create_cluster("nodes", {"--heartbeat-factor", "1", "--node-lease-duration-seconds", "40"});
    auto scaled = ghostctl({"scale", "node", "--replicas", "1000"});
    ASSERT_EQ(scaled.exit_code, 0) << scaled.output;
    std::size_t ready = 0;
    bool all_ready = wait_for(180s, [&] {
        auto nodes = kubectl_json({"get", "nodes"});
        ready = 0;
        for (const auto& n : nodes.at("items").as_array()) ready += node_ready(n) ? 1 : 0;
        return ready == 1000;
    });
    ASSERT_TRUE(all_ready) << ready << " of 1000 nodes Ready";

    auto nodes = kubectl_json({"get", "nodes"});
    const auto& first = nodes.at("items").at(0);
    EXPECT_EQ(first.at("status").at("conditions").as_array().size(), 5u);
    EXPECT_EQ(str(first, {"status", "allocatable", "cpu"}), "32");
    EXPECT_EQ(str(first, {"status", "nodeInfo", "kubeletVersion"}).rfind("kwok-", 0), 0u);
    auto table = kubectl({"get", "nodes", "node-000999", "--no-headers"});
    EXPECT_NE(table.output.find(" Ready "), std::string::npos) << table.output;

    auto leases = kubectl_json({"get", "leases", "-n", "kube-node-lease"});
    std::map<std::string, std::string> renew;
    std::set<std::string> holders;
    for (const auto& l : leases.at("items").as_array()) {
        auto name = str(l, {"metadata", "name"});
        if (name.rfind("node-", 0) != 0) continue;
        renew[name] = str(l, {"spec", "renewTime"});
        holders.insert(str(l, {"spec", "holderIdentity"}));
        EXPECT_EQ(str(l.at("metadata").at("ownerReferences").at(0), {"kind"}), "Node");
    }
    EXPECT_EQ(renew.size(), 1000u);
    ASSERT_EQ(holders.size(), 1u);
    EXPECT_NE(holders.begin()->find("ghostlet"), std::string::npos) << *holders.begin();

    bool advanced = wait_for(30s, [&] {
        auto again = kubectl_json({"get", "lease", "-n", "kube-node-lease", "node-000000"});
        return str(again, {"spec", "renewTime"}) > renew["node-000000"];
    });
    EXPECT_TRUE(advanced) << "renewTime of node-000000 did not advance";
}

TEST_F(ghostlet_it, kwok_quick_start_workloads_run_with_kwok_ip_invariants) {
    create_cluster("quick");
    apply(fake_node);
    ASSERT_TRUE(wait_for(60s, [&] { return node_ready(kubectl_json({"get", "node", "kwok-node-0"})); }));
    apply(deployment("fake-pod", 10));
    apply(job);
    apply(host_network_pod);

    json::value pods;
    ASSERT_TRUE(wait_for(120s, [&] {
        pods = kubectl_json({"get", "pods", "-l", "app=fake-pod"});
        return count_running(pods) == 10;
    })) << count_running(pods) << " of 10 replicas Running";
    for (const auto& p : pods.at("items").as_array()) {
        auto ip = str(p, {"status", "podIP"});
        EXPECT_TRUE(ipv4_in_cidr(ip, "10.244.7.0/24")) << ip;
        EXPECT_EQ(str(p, {"status", "hostIP"}), "192.0.2.77");
        EXPECT_NE(ip, str(p, {"status", "hostIP"}));
        bool scheduled = false;
        for (const auto& c : p.at("status").at("conditions").as_array()) {
            if (c.at("type") == "PodScheduled" && c.at("status") == "True") scheduled = true;
        }
        EXPECT_TRUE(scheduled) << "PodScheduled condition lost on " << str(p, {"metadata", "name"});
    }
    expect_unique_pod_ips(pods);

    EXPECT_TRUE(wait_for(120s, [&] {
        auto j = kubectl_json({"get", "job", "fake-job"});
        const auto* status = j.as_object().if_contains("status");
        const auto* succeeded = status ? status->as_object().if_contains("succeeded") : nullptr;
        return succeeded && succeeded->to_number<int>() == 1;
    })) << "the Job did not complete";

    json::value hn;
    EXPECT_TRUE(wait_for(60s, [&] {
        hn = kubectl_json({"get", "pod", "host-net"});
        return str(hn, {"status", "phase"}) == "Running";
    }));
    EXPECT_EQ(str(hn, {"status", "podIP"}), "192.0.2.77");
    EXPECT_EQ(str(hn, {"status", "podIP"}), str(hn, {"status", "hostIP"}));

    auto del = kubectl({"delete", "deployment", "fake-pod", "--wait=false"});
    ASSERT_EQ(del.exit_code, 0) << del.output;
    EXPECT_TRUE(wait_for(90s, [&] {
        return kubectl_json({"get", "pods", "-l", "app=fake-pod"}).at("items").as_array().empty();
    })) << "pods of the deleted Deployment remain";
}

TEST_F(ghostlet_it, annotation_selector_leaves_other_nodes_alone) {
    create_cluster("select", {"--extra-args", "ghostlet=manage-all-nodes=false", "--extra-args",
                              "ghostlet=manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake"});
    std::string plain = fake_node;
    plain.replace(plain.find("    kwok.x-k8s.io/node: fake\n"),
                  std::string("    kwok.x-k8s.io/node: fake\n").size(), "");
    for (std::string::size_type at; (at = plain.find("kwok-node-0")) != std::string::npos;) {
        plain.replace(at, std::string("kwok-node-0").size(), "real-node-0");
    }
    apply(plain);
    apply(fake_node);
    ASSERT_TRUE(wait_for(60s, [&] { return node_ready(kubectl_json({"get", "node", "kwok-node-0"})); }));
    // Wait until ghostlet has seen both nodes and has nothing left to write: whatever it
    // would do to real-node-0 is done by then.
    auto port = ghostlet_metrics_port();
    ASSERT_TRUE(wait_for(60s, [&] {
        auto m = http_get(port, "/metrics");
        return metric_value(m, R"(ghostlet_watch_events_total{kind="node"})") >= 2 &&
               metric_value(m, "ghostlet_writer_queue_depth") == 0;
    }));
    auto real = kubectl_json({"get", "node", "real-node-0"});
    EXPECT_FALSE(node_ready(real));
    EXPECT_EQ(str(real, {"status", "phase"}), "");
    auto lease = kubectl({"get", "lease", "-n", "kube-node-lease", "real-node-0"});
    EXPECT_NE(lease.exit_code, 0) << "no lease must be taken for an unmanaged node";
}

TEST_F(ghostlet_it, converges_after_apiserver_and_ghostlet_restarts) {
    create_cluster("restart");
    ASSERT_EQ(ghostctl({"scale", "node", "--replicas", "20"}).exit_code, 0);
    apply(deployment("web", 100));
    json::value pods;
    ASSERT_TRUE(wait_for(120s, [&] {
        pods = kubectl_json({"get", "pods", "-l", "app=web"});
        return count_running(pods) == 100;
    })) << count_running(pods) << " of 100 Running before the restarts";

    // kube-apiserver dies and comes back; ghostlet's watches must resume or relist.
    kill_component("kube-apiserver");
    auto started = ghostctl({"start", "cluster"});
    ASSERT_EQ(started.exit_code, 0) << started.output;
    ASSERT_EQ(kubectl({"scale", "deployment", "web", "--replicas", "150"}).exit_code, 0);
    EXPECT_TRUE(wait_for(180s, [&] {
        pods = kubectl_json({"get", "pods", "-l", "app=web"});
        return count_running(pods) == 150;
    })) << count_running(pods) << " of 150 Running after the kube-apiserver restart";

    // ghostlet dies; pods created meanwhile stay Pending until it is back.
    kill_component("ghostlet");
    ASSERT_EQ(kubectl({"scale", "deployment", "web", "--replicas", "200"}).exit_code, 0);
    started = ghostctl({"start", "cluster"});
    ASSERT_EQ(started.exit_code, 0) << started.output;
    EXPECT_TRUE(wait_for(180s, [&] {
        pods = kubectl_json({"get", "pods", "-l", "app=web"});
        return count_running(pods) == 200;
    })) << count_running(pods) << " of 200 Running after the ghostlet restart";
    expect_unique_pod_ips(pods);
    for (const auto& p : pods.at("items").as_array()) {
        EXPECT_NE(str(p, {"status", "phase"}), "Pending") << str(p, {"metadata", "name"});
    }
}

}  // namespace
}  // namespace ghost::testing
