// --api-mode=kubelet against a real control plane: 20 nodes x 3 pods, each node with its own
// list/watches (pods, Node, and the cluster informers per node). The API server's own metrics
// must show it: registered watchers and long-running WATCH requests grow by at least the
// per-node watches x nodes, Lease PUTs and node status PATCHes arrive; every pod Running with
// a distinct IP; after a restart of ghostlet the same pods keep their IPs and new ones run too.
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

constexpr int nodes = 20;
constexpr int pods = 60;
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
                  "--kubelet-connections-per-second=100", "--server-address=127.0.0.1:0",
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

    fs::path log_;
    pid_t pid_ = -1;
};

TEST_F(kubelet_mode_it, per_node_watches_leases_and_status_as_a_kubelet) {
    ASSERT_NO_FATAL_FAILURE(create_cluster("kubelet", {"--disable", "ghostlet"}));
    log_ = work_ / "ghostlet.log";
    auto r = ghostctl({"scale", "node", "--replicas", std::to_string(nodes)});
    ASSERT_EQ(r.exit_code, 0) << r.output;

    auto before = apiserver_metrics();
    double watchers0 = metric_sum(before, "apiserver_registered_watchers");
    double longrunning0 = metric_sum(before, "apiserver_longrunning_requests", {"verb=\"WATCH\""});
    double lease_puts0 = metric_sum(before, "apiserver_request_total",
                                    {"verb=\"PUT\"", "resource=\"leases\""});

    start_ghostlet();
    auto p = port();
    ASSERT_NE(p, 0) << log_tail();
    ASSERT_TRUE(wait_for(120s, [&] { return ready_nodes() == nodes; }))
        << ready_nodes() << " Ready\n" << log_tail();
    ASSERT_TRUE(wait_for(60s, [&] {
        return metric_value(http_get(p, "/metrics"), "ghostlet_kubelet_watches") ==
               nodes * watches_per_node;
    })) << http_get(p, "/metrics") << log_tail();

    r = ghostctl({"scale", "pod", "p", "--replicas", std::to_string(pods)});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::map<std::string, std::string> ips;
    ASSERT_TRUE(wait_for(120s, [&] {
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
    double watchers = metric_sum(after, "apiserver_registered_watchers") - watchers0;
    double longrunning =
        metric_sum(after, "apiserver_longrunning_requests", {"verb=\"WATCH\""}) - longrunning0;
    double status_patches = metric_sum(after, "apiserver_request_total",
                                       {"verb=\"PATCH\"", "resource=\"nodes\"",
                                        "subresource=\"status\""});
    std::cout << "[ kubelet mode ] " << nodes << " nodes: registered watchers +" << watchers
              << ", long-running WATCH requests +" << longrunning << ", node status PATCHes "
              << status_patches << "\n";
    EXPECT_GE(watchers, nodes * watches_per_node);
    EXPECT_GE(longrunning, nodes * watches_per_node);
    EXPECT_GE(status_patches, nodes) << "every node reports its status once at start";
    auto gm = http_get(p, "/metrics");
    EXPECT_GE(metric_value(gm, "ghostlet_node_status_patches_total"), nodes);
    EXPECT_GT(metric_value(gm, "ghostlet_kubelet_paced_connections_total"), 0)
        << "100 watches at 100/s: some had to wait for the pacer";

    // Restart: SIGTERM (exit 0), start again; the pods keep their IPs, new ones run.
    ASSERT_EQ(::kill(pid_, SIGTERM), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid_, &status, 0), pid_);
    pid_ = -1;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << log_tail();
    start_ghostlet();
    r = ghostctl({"scale", "pod", "p", "--replicas", std::to_string(pods + nodes)});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::map<std::string, std::string> again;
    ASSERT_TRUE(wait_for(120s, [&] {
        again = running_ips();
        return again.size() == static_cast<std::size_t>(pods + nodes);
    })) << again.size() << " Running after the restart\n" << log_tail();
    for (const auto& [pod, ip] : ips) EXPECT_EQ(again[pod], ip) << pod << " changed its IP";
    distinct.clear();
    for (const auto& [pod, ip] : again) distinct.insert(ip);
    EXPECT_EQ(distinct.size(), again.size()) << "duplicate pod IPs after the restart";
    EXPECT_EQ(ready_nodes(), nodes);
}

}  // namespace
}  // namespace ghost::testing
