// --api-mode=kubelet against a real control plane: 200 nodes x 5 pods, each node with its own
// list/watches (pods, Node, and the cluster informers per node). The API server's metrics must
// show it: long-running WATCH requests grow by the per-node watches x nodes (Kubernetes 1.36
// has no apiserver_registered_watchers any more), Lease PUTs and node status PATCHes arrive;
// every pod Running with a distinct IP; a ConfigMap change reaches the watch of each node whose
// pods mount it, an immutable one stops being watched; after kill -9 of kube-apiserver every per-node watch comes back and pods keep
// their IPs; after a restart of ghostlet too.
#include "tests/integration/cluster_fixture.hpp"

#include "engine/subprocess.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace ghost::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int nodes = 200;
constexpr int pods = 1000;  // 5 per node
constexpr int watches_per_node = 5;  // pods, Node, Services, RuntimeClasses, CSIDrivers

std::string read_all(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Sum of every series of `name` whose labels contain each of `labels` (e.g. verb="PUT").
double metric_sum(const std::string& text, const std::string& name,
                  const std::vector<std::string>& labels = {}) {
    double sum = 0;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(name, 0) != 0) continue;
        auto rest = line.substr(name.size());
        if (rest.empty() || (rest[0] != '{' && rest[0] != ' ')) continue;  // a longer name
        bool ok = true;
        for (const auto& l : labels) ok = ok && rest.find(l) != std::string::npos;
        if (!ok) continue;
        auto space = line.rfind(' ');
        sum += std::stod(line.substr(space + 1));
    }
    return sum;
}

class kubelet_mode_it : public cluster_fixture {
protected:
    void TearDown() override {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        cluster_fixture::TearDown();
    }

    void start_ghostlet() {
        auto kubeconfig = work_ / "clusters" / name_ / "kubeconfig.yaml";
        engine::spawn_options o;
        o.argv = {GHOSTLET_BINARY, "--kubeconfig", kubeconfig.string(), "--manage-all-nodes=true",
                  "--node-lease-duration-seconds=40", "--api-mode=kubelet",
                  "--server-address=127.0.0.1:0",
                  "--id=kubelet-it"};
        o.out = engine::spawn_options::output::append_to_file;
        o.output_file = log_;
        pid_ = engine::spawn(o).pid;
    }
    // The ghostlet's /metrics port from its log (the last start's line).
    unsigned short port() {
        unsigned short p = 0;
        wait_for(60s, [&] {
            auto text = read_all(log_);
            std::regex re(R"(serving /healthz .* on \S+ \(port (\d+)\))");
            for (auto it = std::sregex_iterator(text.begin(), text.end(), re);
                 it != std::sregex_iterator(); ++it)
                p = static_cast<unsigned short>(std::stoi((*it)[1]));
            return p != 0;
        });
        return p;
    }
    std::string apiserver_metrics() { return kubectl({"get", "--raw", "/metrics"}).output; }
    std::string log_tail() {
        auto t = read_all(log_);
        return t.size() > 8000 ? t.substr(t.size() - 8000) : t;
    }

    // Running pods with their IPs.
    std::map<std::string, std::string> running_ips() {
        std::map<std::string, std::string> out;
        auto list = kubectl_json({"get", "pods"});
        for (const auto& p : list.at("items").as_array()) {
            auto ip = str(p, {"status", "podIP"});
            if (str(p, {"status", "phase"}) == "Running" && !ip.empty())
                out[str(p, {"metadata", "name"})] = ip;
        }
        return out;
    }
    int ready_nodes() {
        int ready = 0;
        auto list = kubectl_json({"get", "nodes"});
        for (const auto& n : list.at("items").as_array()) {
            const auto* st = n.as_object().if_contains("status");
            const auto* conds = st ? st->as_object().if_contains("conditions") : nullptr;
            if (!conds) continue;
            for (const auto& c : conds->as_array())
                if (c.at("type") == "Ready" && c.at("status") == "True") ++ready;
        }
        return ready;
    }

    // Scales the test's pods to `replicas` (one more per node than `ips` has) and waits for
    // them Running: the pods in `ips` keep their addresses, no address twice; `ips` becomes
    // the new set.
    void grow_pods_keeping_ips(int replicas, std::map<std::string, std::string>& ips,
                               const std::string& after) {
        auto r = ghostctl({"scale", "pod", "p", "--replicas", std::to_string(replicas)});
        ASSERT_EQ(r.exit_code, 0) << r.output;
        std::map<std::string, std::string> now;
        ASSERT_TRUE(wait_for(180s, [&] {
            now = running_ips();
            return now.size() == ips.size() + nodes;
        })) << now.size() << " Running after " << after << "\n" << log_tail();
        for (const auto& [pod, ip] : ips) EXPECT_EQ(now[pod], ip) << pod << " changed its IP";
        std::set<std::string> distinct;
        for (const auto& [pod, ip] : now) distinct.insert(ip);
        EXPECT_EQ(distinct.size(), now.size()) << "duplicate pod IPs after " << after;
        EXPECT_EQ(ready_nodes(), nodes);
        ips = std::move(now);
    }

    fs::path log_;
    pid_t pid_ = -1;
};

// (node, ConfigMap name) of every pod in `pod_list` and ConfigMap it mounts (pods are in one
// namespace). The ServiceAccount admission's projected volume brings kube-root-ca.crt.
std::set<std::pair<std::string, std::string>> config_map_references(const json::value& pod_list) {
    std::set<std::pair<std::string, std::string>> out;
    for (const auto& pod : pod_list.at("items").as_array()) {
        auto node = str(pod, {"spec", "nodeName"});
        const auto* vols = pod.at("spec").as_object().if_contains("volumes");
        for (const auto& v : vols ? vols->as_array() : json::array{}) {
            if (const auto* cm = v.as_object().if_contains("configMap"))
                out.emplace(node, cm->at("name").as_string());
            if (const auto* pr = v.as_object().if_contains("projected"))
                for (const auto& src : pr->at("sources").as_array())
                    if (const auto* cm = src.as_object().if_contains("configMap"))
                        out.emplace(node, cm->at("name").as_string());
        }
    }
    return out;
}

// A ConfigMap `config` (immutable or not) and a Deployment `app` of `replicas` pods mounting it.
std::string mounting_deployment(const std::string& app, const std::string& config, int replicas,
                                bool immutable = false) {
    return R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: )" + config + R"(
  namespace: default
immutable: )" + (immutable ? "true" : "false") + R"(
data:
  version: "1"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: )" + app + R"(
  namespace: default
spec:
  replicas: )" + std::to_string(replicas) + R"(
  selector:
    matchLabels: {app: )" + app + R"(}
  template:
    metadata:
      labels: {app: )" + app + R"(}
    spec:
      tolerations:
      - {key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}
      containers:
      - name: app
        image: fake-image
        volumeMounts: [{name: config, mountPath: /config}]
      volumes:
      - name: config
        configMap: {name: )" + config + R"(}
)";
}

TEST_F(kubelet_mode_it, per_node_watches_leases_status_and_mounts_survive_an_apiserver_kill) {
    ASSERT_NO_FATAL_FAILURE(create_cluster("kubelet", {"--disable", "ghostlet"}));
    log_ = work_ / "ghostlet.log";
    auto r = ghostctl({"scale", "node", "--replicas", std::to_string(nodes)});
    ASSERT_EQ(r.exit_code, 0) << r.output;

    auto before = apiserver_metrics();
    auto watch_requests = [](const std::string& m) {
        return metric_sum(m, "apiserver_longrunning_requests", {"verb=\"WATCH\""});
    };
    double longrunning0 = watch_requests(before);
    double lease_puts0 = metric_sum(before, "apiserver_request_total",
                                    {"verb=\"PUT\"", "resource=\"leases\""});

    start_ghostlet();
    auto p = port();
    ASSERT_NE(p, 0) << log_tail();
    ASSERT_TRUE(wait_for(180s, [&] { return ready_nodes() == nodes; }))
        << ready_nodes() << " Ready\n" << log_tail();
    auto ghost_metric = [&](const char* name) { return metric_value(http_get(p, "/metrics"), name); };
    ASSERT_TRUE(wait_for(60s, [&] {
        return ghost_metric("ghostlet_kubelet_watches") == nodes * watches_per_node;
    })) << http_get(p, "/metrics") << log_tail();

    r = ghostctl({"scale", "pod", "p", "--replicas", std::to_string(pods)});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::map<std::string, std::string> ips;
    ASSERT_TRUE(wait_for(300s, [&] {
        ips = running_ips();
        return ips.size() == static_cast<std::size_t>(pods);
    })) << ips.size() << " of " << pods << " Running\n" << log_tail();
    std::set<std::string> distinct;
    for (const auto& [pod, ip] : ips) distinct.insert(ip);
    EXPECT_EQ(distinct.size(), ips.size()) << "duplicate pod IPs";

    // The API server's view. Lease PUTs: every node renews every 10 s (duration 40 s / 4).
    std::string after;
    ASSERT_TRUE(wait_for(60s, [&] {
        after = apiserver_metrics();
        return metric_sum(after, "apiserver_request_total",
                          {"verb=\"PUT\"", "resource=\"leases\""}) - lease_puts0 >= 2 * nodes;
    })) << "lease PUTs: "
        << metric_sum(after, "apiserver_request_total", {"verb=\"PUT\"", "resource=\"leases\""}) -
               lease_puts0;
    double longrunning = watch_requests(after) - longrunning0;
    double status_patches = metric_sum(after, "apiserver_request_total",
                                       {"verb=\"PATCH\"", "resource=\"nodes\"",
                                        "subresource=\"status\""});
    std::cout << "[ kubelet mode ] " << nodes << " nodes: long-running WATCH requests +"
              << longrunning << ", node status PATCHes " << status_patches << "\n";
    EXPECT_GE(longrunning, nodes * watches_per_node);
    EXPECT_GE(status_patches, nodes) << "every node reports its status once at start";
    auto gm = http_get(p, "/metrics");
    EXPECT_GE(metric_value(gm, "ghostlet_node_status_patches_total"), nodes);
    EXPECT_GT(metric_value(gm, "ghostlet_kubelet_paced_connections_total"), 0)
        << "1000 watches at 200/s: some had to wait for the pacer";
    // A kubelet's first status (containers creating), then the stages' Running: each pod got
    // the first once; the API server saw at least one status PATCH per pod (the two coalesce
    // when the second comes while the first still waits, as in a kubelet's status manager).
    EXPECT_EQ(metric_value(gm, "ghostlet_kubelet_first_pod_statuses_total"), pods);
    double pod_status_patches = metric_sum(after, "apiserver_request_total",
                                           {"verb=\"PATCH\"", "resource=\"pods\"",
                                            "subresource=\"status\""});
    EXPECT_GE(pod_status_patches, pods);
    std::cout << "[ kubelet mode ] " << pods << " pods: pod status PATCHes " << pod_status_patches
              << "\n";

    // Kubelet-like Events: each node started (Starting) and became Ready, each pod's
    // container was Pulled, Created and Started.
    std::map<std::string, int> reasons;
    ASSERT_TRUE(wait_for(60s, [&] {
        reasons.clear();
        auto list = kubectl_json({"get", "events", "-A", "--field-selector",
                                  "source=kubelet"});
        for (const auto& e : list.at("items").as_array()) ++reasons[str(e, {"reason"})];
        return reasons["Started"] >= pods && reasons["NodeReady"] >= nodes;
    })) << "Starting " << reasons["Starting"] << ", NodeReady " << reasons["NodeReady"]
        << ", Started " << reasons["Started"];
    EXPECT_EQ(reasons["Starting"], nodes);
    EXPECT_EQ(reasons["NodeReady"], nodes);
    EXPECT_EQ(reasons["Pulled"], pods);
    EXPECT_EQ(reasons["Created"], pods);
    EXPECT_EQ(reasons["Started"], pods);

    // A ConfigMap mounted by pods on several nodes: one watch per such node, and a change
    // reaches each of them.
    apply(mounting_deployment("mounts", "shared-config", 10));
    std::set<std::string> mount_nodes;
    std::set<std::pair<std::string, std::string>> node_config_maps;  // (node, name) of volumes
    ASSERT_TRUE(wait_for(120s, [&] {
        auto list = kubectl_json({"get", "pods", "-A"});
        mount_nodes.clear();
        node_config_maps.clear();
        std::size_t running = 0;
        node_config_maps = config_map_references(list);
        for (const auto& pod : list.at("items").as_array()) {
            auto node = str(pod, {"spec", "nodeName"});
            if (str(pod, {"metadata", "labels", "app"}) != "mounts") continue;
            mount_nodes.insert(node);
            running += str(pod, {"status", "phase"}) == "Running";
        }
        return running == 10;
    })) << log_tail();
    const auto object_watches = static_cast<double>(node_config_maps.size());
    ASSERT_TRUE(wait_for(60s, [&] {
        return ghost_metric("ghostlet_kubelet_mounted_object_watches") == object_watches;
    })) << ghost_metric("ghostlet_kubelet_mounted_object_watches") << " watches, expected "
        << object_watches << " (node, ConfigMap) pairs; shared-config on " << mount_nodes.size()
        << " nodes";
    double events0 = 0;
    ASSERT_TRUE(wait_for(30s, [&] {
        // Each watch's initial list delivered the ConfigMap once.
        events0 = ghost_metric("ghostlet_kubelet_mounted_object_events_total");
        return events0 >= object_watches;
    }));
    r = kubectl({"patch", "configmap", "shared-config", "--type=merge", "-p",
                 R"({"data":{"version":"2"}})"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    double changes = 0;
    EXPECT_TRUE(wait_for(60s, [&] {
        changes = ghost_metric("ghostlet_kubelet_mounted_object_events_total") - events0;
        return changes >= static_cast<double>(mount_nodes.size());
    })) << changes << " events for " << mount_nodes.size() << " nodes";
    EXPECT_EQ(changes, static_cast<double>(mount_nodes.size())) << "one per node's watch";
    std::cout << "[ kubelet mode ] " << object_watches << " ConfigMap watches; shared-config on "
              << mount_nodes.size() << " nodes: its change reached " << changes << " watches\n";

    // An immutable ConfigMap: each node's watch of it stops once it has seen the object (the
    // kubelet's watch-based manager), while the node's pods still reference it.
    apply(mounting_deployment("frozen", "frozen-config", 3, /*immutable=*/true));
    std::set<std::string> frozen_nodes;
    ASSERT_TRUE(wait_for(120s, [&] {
        frozen_nodes.clear();
        std::size_t running = 0;
        auto list = kubectl_json({"get", "pods", "-l", "app=frozen"});
        for (const auto& pod : list.at("items").as_array()) {
            frozen_nodes.insert(str(pod, {"spec", "nodeName"}));
            running += str(pod, {"status", "phase"}) == "Running";
        }
        return running == 3;
    })) << log_tail();
    const auto frozen_watches = static_cast<double>(frozen_nodes.size());
    EXPECT_TRUE(wait_for(60s, [&] {
        return ghost_metric("ghostlet_kubelet_immutable_watches_stopped_total") >= frozen_watches;
    })) << ghost_metric("ghostlet_kubelet_immutable_watches_stopped_total") << " of "
        << frozen_watches;
    EXPECT_EQ(ghost_metric("ghostlet_kubelet_immutable_watches_stopped_total"), frozen_watches);
    // Still watched: every reference but frozen-config's (the frozen pods may have brought
    // kube-root-ca.crt to a node that had no pod mounting it yet).
    double open_watches = 0;
    for (const auto& [node, name] : config_map_references(kubectl_json({"get", "pods", "-A"})))
        open_watches += name != "frozen-config";
    EXPECT_TRUE(wait_for(30s, [&] {
        return ghost_metric("ghostlet_kubelet_mounted_object_watches") == open_watches;
    })) << ghost_metric("ghostlet_kubelet_mounted_object_watches") << " open watches, expected "
        << open_watches << ": frozen-config is referenced but no longer watched";
    ips = running_ips();

    // kill -9 kube-apiserver, start it again: every per-node watch reopens (or relists).
    double starts0 = ghost_metric("ghostlet_kubelet_watch_starts_total");
    ASSERT_NO_FATAL_FAILURE(kill_component("kube-apiserver"));
    r = ghostctl({"start", "cluster"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const double all_watches = nodes * watches_per_node + open_watches;
    EXPECT_TRUE(wait_for(180s, [&] {
        return ghost_metric("ghostlet_kubelet_watch_starts_total") - starts0 >= all_watches;
    })) << ghost_metric("ghostlet_kubelet_watch_starts_total") - starts0 << " of " << all_watches
        << " watches reopened\n" << log_tail();
    EXPECT_TRUE(wait_for(120s, [&] {
        return watch_requests(apiserver_metrics()) >= nodes * watches_per_node;
    })) << watch_requests(apiserver_metrics()) << " WATCH requests at the new kube-apiserver";
    ASSERT_NO_FATAL_FAILURE(grow_pods_keeping_ips(pods + nodes, ips, "the kube-apiserver restart"));

    // Restart of ghostlet: SIGTERM (exit 0), start again; the pods keep their IPs.
    ASSERT_EQ(::kill(pid_, SIGTERM), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid_, &status, 0), pid_);
    pid_ = -1;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << log_tail();
    start_ghostlet();
    ASSERT_NO_FATAL_FAILURE(grow_pods_keeping_ips(pods + 2 * nodes, ips, "the ghostlet restart"));
}

}  // namespace
}  // namespace ghost::testing
