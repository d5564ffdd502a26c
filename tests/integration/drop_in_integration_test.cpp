// ghostlet as a drop-in for kwok: kwok's quick start (a Node made with kubectl, without
// addresses) gives pods a hostIP, and kwokctl v0.8.0 itself can run ghostlet as its
// kwok-controller (binary runtime, the pinned local control plane, nothing downloaded).
#include "tests/integration/cluster_fixture.hpp"

#include "apps/ghostctl/process.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ghost::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

std::string condition(const json::value& obj, const std::string& type) {
    const auto* status = obj.as_object().if_contains("status");
    const auto* conds = status ? status->as_object().if_contains("conditions") : nullptr;
    if (!conds) return {};
    for (const auto& c : conds->as_array()) {
        if (c.at("type") == type.c_str()) return str(c, {"status"});
    }
    return {};
}

std::string internal_ip(const json::value& node) {
    const auto* status = node.as_object().if_contains("status");
    const auto* addrs = status ? status->as_object().if_contains("addresses") : nullptr;
    if (!addrs) return {};
    for (const auto& a : addrs->as_array()) {
        if (a.at("type") == "InternalIP") return str(a, {"address"});
    }
    return {};
}

bool in_fallback_range(const std::string& ip) {
    in_addr a{};
    return inet_pton(AF_INET, ip.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 16) == ((10u << 8) | 255u);
}

// kwok's quick start node: no addresses, no podCIDR.
const char* const bare_node = R"(apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations:
    node.alpha.kubernetes.io/ttl: "0"
    kwok.x-k8s.io/node: fake
  labels:
    kubernetes.io/hostname: kwok-node-0
    kubernetes.io/os: linux
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    type: kwok
spec:
  taints:
  - effect: NoSchedule
    key: kwok.x-k8s.io/node
    value: fake
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
)";

const char* const quick_start_deployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: fake-pod
  namespace: default
spec:
  replicas: 3
  selector:
    matchLabels: {app: fake-pod}
  template:
    metadata:
      labels: {app: fake-pod}
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - {key: type, operator: In, values: [kwok]}
      tolerations:
      - {key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}
      containers:
      - {name: fake-container, image: fake-image}
)";

// The test's own Stage: marks Ready nodes with a condition. Weight 1 so it wins over kwok's
// weight-0 heartbeat, which matches the same nodes (kwok §2.3).
const char* const marking_stage = R"(apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ghostlet-test-mark
spec:
  resourceRef: {apiGroup: v1, kind: Node}
  weight: 1
  selector:
    matchExpressions:
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: In
      values: ['True']
    - key: '.status.conditions.[] | select( .type == "GhostletTestStage" ) | .status'
      operator: NotIn
      values: ['True']
  next:
    statusTemplate: |
      conditions:
      - type: GhostletTestStage
        status: "True"
        reason: Played
        message: played by the test's own Stage
)";

// Pods on managed nodes: Running, a podIP, and hostIP = the node's InternalIP.
void expect_quick_start_pods(const json::value& pods, const std::string& node_ip) {
    for (const auto& p : pods.at("items").as_array()) {
        auto name = str(p, {"metadata", "name"});
        EXPECT_EQ(str(p, {"status", "phase"}), "Running") << name;
        EXPECT_FALSE(str(p, {"status", "podIP"}).empty()) << name;
        EXPECT_EQ(str(p, {"status", "hostIP"}), node_ip) << name;
    }
}

std::size_t running(const json::value& pods) {
    std::size_t n = 0;
    for (const auto& p : pods.at("items").as_array()) {
        if (str(p, {"status", "phase"}) == "Running" && !str(p, {"status", "podIP"}).empty() &&
            !str(p, {"status", "hostIP"}).empty()) {
            ++n;
        }
    }
    return n;
}

class drop_in_it : public cluster_fixture {};

TEST_F(drop_in_it, a_node_made_without_addresses_gets_an_internal_ip_its_pods_use) {
    create_cluster("bare");  // ghostctl starts ghostlet without --node-ip, as kwokctl does
    apply(bare_node);
    json::value node;
    ASSERT_TRUE(wait_for(60s, [&] {
        node = kubectl_json({"get", "node", "kwok-node-0"});
        return condition(node, "Ready") == "True" && !internal_ip(node).empty();
    })) << json::serialize(node);
    auto ip = internal_ip(node);
    EXPECT_TRUE(in_fallback_range(ip)) << ip << " is not in 10.255.0.0/16";
    apply(quick_start_deployment);
    json::value pods;
    ASSERT_TRUE(wait_for(120s, [&] {
        pods = kubectl_json({"get", "pods", "-l", "app=fake-pod"});
        return running(pods) == 3;
    })) << running(pods) << " of 3 pods Running with a hostIP";
    expect_quick_start_pods(pods, ip);
    // The address is the node's for good: it is still the same after the pods ran.
    EXPECT_EQ(internal_ip(kubectl_json({"get", "node", "kwok-node-0"})), ip);
}

// kwokctl v0.8.0 with ghostlet as --kwok-controller-binary.
class kwokctl_it : public ::testing::Test {
protected:
    void SetUp() override {
        auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        work_ = fs::path(GHOST_INTEGRATION_WORKDIR) /
                (std::string(info->test_suite_name()) + "." + info->name());
        fs::remove_all(work_);
        fs::create_directories(work_);
        // kwokctl keeps clusters, its cache and its config under KWOK_WORKDIR (never ~/.kwok).
        ::setenv("KWOK_WORKDIR", (work_ / "kwok").c_str(), 1);
        bin_ = control_plane_bin_dir();
        name_ = "gk" + std::to_string(::getpid() % 100000);
    }
    void TearDown() override {
        if (created_ && !deleted_) delete_cluster();
        ::unsetenv("KWOK_WORKDIR");
    }

    fs::path cluster_dir() const { return work_ / "kwok" / "clusters" / name_; }

    run_result kwokctl(std::vector<std::string> args) {
        args.insert(args.begin(), {(bin_ / "kwokctl").string(), "--name", name_});
        return run_process(args);
    }
    run_result kubectl(std::vector<std::string> args) {
        args.insert(args.begin(), {(bin_ / "kubectl").string(),
                                   "--kubeconfig=" + (cluster_dir() / "kubeconfig.yaml").string()});
        return run_process(args);
    }
    json::value kubectl_json(std::vector<std::string> args) {
        args.insert(args.end(), {"-o", "json"});
        auto r = kubectl(args);
        boost::system::error_code ec;
        auto v = json::parse(r.output, ec);
        if (r.exit_code != 0 || ec || !v.is_object()) {
            ADD_FAILURE() << "kubectl failed (" << r.exit_code << "): " << r.output.substr(0, 2000);
            return json::parse(R"({"items":[]})");
        }
        return v;
    }
    void apply(const std::string& manifest) {
        static int counter = 0;
        auto file = work_ / ("manifest-" + std::to_string(++counter) + ".yaml");
        std::ofstream(file) << manifest;
        auto r = kubectl({"apply", "-f", file.string()});
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    std::vector<pid_t> component_pids() const {
        std::vector<pid_t> out;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(cluster_dir() / "pids", ec)) {
            std::ifstream in(e.path());
            pid_t pid = 0;
            if (in >> pid && pid > 0) out.push_back(pid);
        }
        return out;
    }
    void delete_cluster() {
        auto r = kwokctl({"delete", "cluster", "--kubeconfig=" + (work_ / "kubeconfig").string()});
        deleted_ = true;
        EXPECT_EQ(r.exit_code, 0) << r.output;
    }

    fs::path work_, bin_;
    std::string name_;
    bool created_ = false, deleted_ = false;
};

TEST_F(kwokctl_it, kwokctl_runs_ghostlet_as_its_kwok_controller) {
    for (const char* tool : {"kwokctl", "kubectl", "kube-apiserver", "etcd"}) {
        ASSERT_TRUE(fs::exists(bin_ / tool))
            << bin_ / tool << " missing: run tools/get-control-plane.sh";
    }
    // The stages kwokctl saves into the cluster's kwok.yaml (it adds its defaults only when no
    // Stage is given): kwok's own fast node/pod stages as written, plus the test's.
    fs::path stages = KWOK_STAGES_DIR;
    auto own = work_ / "own-stage.yaml";
    std::ofstream(own) << marking_stage;
    std::vector<std::string> args;
    for (const auto& f : {own, stages / "node/fast/node-initialize.yaml",
                          stages / "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
                          stages / "pod/fast/pod-ready.yaml", stages / "pod/fast/pod-complete.yaml",
                          stages / "pod/fast/pod-delete.yaml"}) {
        ASSERT_TRUE(fs::exists(f)) << f;
        args.push_back("--config=" + f.string());
    }
    // Every component binary is local, so kwokctl copies instead of downloading.
    for (std::string a : {"create", "cluster", "--runtime=binary"}) args.push_back(a);
    for (const char* c : {"kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"}) {
        args.push_back(std::string("--") + c + "-binary=" + (bin_ / c).string());
    }
    args.push_back(std::string("--kwok-controller-binary=") + GHOSTLET_BINARY);
    args.push_back("--kubeconfig=" + (work_ / "kubeconfig").string());
    args.push_back("--wait=2m");
    auto created = kwokctl(args);
    created_ = true;
    ASSERT_EQ(created.exit_code, 0) << created.output;
    auto log_file = cluster_dir() / "logs" / "kwok-controller.log";

    // kwok's quick start.
    apply(bare_node);
    json::value node;
    ASSERT_TRUE(wait_for(60s, [&] {
        node = kubectl_json({"get", "node", "kwok-node-0"});
        return condition(node, "Ready") == "True" && condition(node, "GhostletTestStage") == "True";
    })) << "node not Ready or the test's Stage not played: " << json::serialize(node);
    auto ip = internal_ip(node);
    EXPECT_TRUE(in_fallback_range(ip)) << "kwokctl passes --node-ip=; got InternalIP " << ip;
    apply(quick_start_deployment);
    json::value pods;
    ASSERT_TRUE(wait_for(120s, [&] {
        pods = kubectl_json({"get", "pods", "-l", "app=fake-pod"});
        return running(pods) == 3;
    })) << running(pods) << " of 3 pods Running with podIP and hostIP";
    expect_quick_start_pods(pods, ip);
    // The node lease kwokctl asked for (--node-lease-duration-seconds=200).
    auto lease = kubectl_json({"get", "lease", "-n", "kube-node-lease", "kwok-node-0"});
    EXPECT_EQ(lease.at("spec").at("leaseDurationSeconds").to_number<int>(), 200);

    // ghostlet took kwokctl's command line and config: nothing unknown, nothing it should have
    // honoured ignored (its TLS flags included: the server serves HTTPS with kwokctl's cert).
    std::ifstream in(log_file);
    std::stringstream log;
    log << in.rdbuf();
    auto text = log.str();
    EXPECT_FALSE(text.empty()) << log_file;
    EXPECT_EQ(text.find("unknown flag"), std::string::npos) << text;
    EXPECT_EQ(text.find("ignored"), std::string::npos) << text;
    EXPECT_EQ(text.find("not supported"), std::string::npos) << text;
    EXPECT_EQ(text.find("--tls-cert-file"), std::string::npos) << text;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        EXPECT_EQ(line.find("Z E "), std::string::npos) << line;
    }

    auto pids = component_pids();
    EXPECT_EQ(pids.size(), 5u) << "etcd, kube-apiserver, kube-controller-manager, "
                                  "kube-scheduler, kwok-controller";
    delete_cluster();
    for (pid_t pid : pids) {
        EXPECT_TRUE(wait_for(60s, [&] { return !ghostctl::pid_alive(pid); }))
            << "process " << pid << " still running after kwokctl delete cluster";
    }
    EXPECT_FALSE(fs::exists(cluster_dir())) << cluster_dir();
}

}  // namespace
}  // namespace ghost::testing
