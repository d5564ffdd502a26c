// deploy/: the in-cluster manifests against a real control plane. The kustomization (and the
// Helm chart, when helm is in the control-plane cache) pass the API server's own validation
// (apply --dry-run=server), and ghostlet run the way the Deployment runs it — in-cluster
// configuration from KUBERNETES_SERVICE_HOST/PORT and a service-account token, the
// Deployment's arguments and ConfigMap, nothing but the manifests' RBAC — simulates nodes and
// pods without a single request refused.
#include "tests/integration/cluster_fixture.hpp"

#include "engine/subprocess.hpp"
#include "kube/kubeconfig.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <sstream>

namespace ghost::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path deploy_dir = fs::path(GHOST_SOURCE_DIR) / "deploy";

std::string read_text(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_text(const fs::path& p, const std::string& text) {
    std::ofstream(p) << text;
}

// The object of `kind` in a kubectl "-o json" List.
const json::object* find_kind(const json::value& list, std::string_view kind) {
    const auto* items = list.is_object() ? list.as_object().if_contains("items") : nullptr;
    if (!items || !items->is_array()) return nullptr;
    for (const auto& it : items->as_array())
        if (str(it, {"kind"}) == kind) return &it.as_object();
    return nullptr;
}

std::optional<fs::path> helm_binary() {
    auto helm = control_plane_bin_dir() / "helm";
    std::error_code ec;
    if (fs::exists(helm, ec)) return helm;
    return std::nullopt;
}

class deploy_it : public cluster_fixture {};

TEST_F(deploy_it, manifests_pass_server_side_validation) {
    create_cluster("deploy", {"--disable", "ghostlet", "--enable-crds", "Stage"});
    auto r = kubectl({"apply", "--dry-run=server", "-k", (deploy_dir / "kustomize").string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::cout << "[ deploy ] kustomize: " << r.output;
    auto kustomized = kubectl_json(
        {"apply", "--dry-run=client", "-k", (deploy_dir / "kustomize").string(), "-o", "json"});
    const auto* role = find_kind(kustomized, "ClusterRole");
    ASSERT_NE(role, nullptr) << json::serialize(kustomized);

    auto helm = helm_binary();
    if (!helm) {
        std::cout << "[ deploy ] helm is not in the control-plane cache: the chart is not rendered "
                     "(tools/get-control-plane.sh builds it)\n";
        return;
    }
    auto rendered = run_process({helm->string(), "template", "ghostlet",
                                 (deploy_dir / "helm" / "ghostlet").string(), "--namespace",
                                 "kube-system"});
    ASSERT_EQ(rendered.exit_code, 0) << rendered.output;
    auto chart_file = work_ / "chart.yaml";
    write_text(chart_file, rendered.output);
    r = kubectl({"apply", "--dry-run=server", "-f", chart_file.string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::cout << "[ deploy ] helm chart: " << r.output;
    auto chart = kubectl_json({"apply", "--dry-run=client", "-f", chart_file.string(), "-o", "json"});
    const auto* chart_role = find_kind(chart, "ClusterRole");
    ASSERT_NE(chart_role, nullptr);
    EXPECT_EQ(json::serialize(chart_role->at("rules")), json::serialize(role->at("rules")))
        << "the chart and the kustomization must grant the same permissions";
}

TEST_F(deploy_it, in_cluster_with_the_manifests_rbac_runs_nodes_and_pods_unrefused) {
    create_cluster("incluster", {"--disable", "ghostlet", "--enable-crds", "Stage"});
    auto k = (deploy_dir / "kustomize").string();
    for (const char* f : {"service_account.yaml", "cluster_role.yaml", "cluster_role_binding.yaml",
                          "flow_schema.yaml"}) {
        auto r = kubectl({"apply", "-f", k + "/" + f});
        ASSERT_EQ(r.exit_code, 0) << f << ": " << r.output;
    }
    // The service account's credentials, laid out as a pod's mount would be.
    auto sa_dir = work_ / "serviceaccount";
    fs::create_directories(sa_dir);
    auto token = kubectl({"create", "token", "ghostlet", "-n", "kube-system", "--duration", "1h"});
    ASSERT_EQ(token.exit_code, 0) << token.output;
    write_text(sa_dir / "token", token.output);
    auto cluster_dir = work_ / "clusters" / name_;
    fs::copy_file(cluster_dir / "pki" / "ca.crt", sa_dir / "ca.crt");
    auto access = kube::load_kubeconfig(cluster_dir / "kubeconfig.yaml");

    // The Deployment's arguments and ConfigMap, as the kustomization renders them.
    auto objects = kubectl_json({"apply", "--dry-run=client", "-k", k, "-o", "json"});
    const auto* deployment = find_kind(objects, "Deployment");
    const auto* config = find_kind(objects, "ConfigMap");
    ASSERT_TRUE(deployment && config);
    auto config_file = work_ / "ghostlet.yaml";
    write_text(config_file, str(config->at("data"), {"ghostlet.yaml"}));
    const auto& container =
        deployment->at("spec").at("template").at("spec").at("containers").at(0).as_object();
    std::vector<std::string> argv{GHOSTLET_BINARY};
    for (const auto& a : container.at("args").as_array()) {
        std::string arg(a.as_string());
        if (arg.starts_with("--config=")) arg = "--config=" + config_file.string();
        if (arg == "--node-ip=$(POD_IP)") arg = "--node-ip=127.0.0.1";
        argv.push_back(arg);
    }
    argv.push_back("--server-address=127.0.0.1:0");  // the manifest's 10247 may be taken here

    auto home = work_ / "home";  // no ~/.kube/config: ghostlet must take the in-cluster path
    fs::create_directories(home);
    auto log = work_ / "ghostlet-incluster.log";
    engine::spawn_options o;
    o.argv = argv;
    o.env = {{"HOME", home.string()},
             {"KUBERNETES_SERVICE_HOST", access.ep.host},
             {"KUBERNETES_SERVICE_PORT", access.ep.port},
             {"GHOSTLET_SERVICE_ACCOUNT_DIR", sa_dir.string()}};
    o.out = engine::spawn_options::output::append_to_file;
    o.output_file = log;
    o.die_with_parent = true;
    auto child = engine::spawn(o);
    struct stop_guard {
        pid_t pid;
        ~stop_guard() { engine::terminate(pid, 5s); }
    } guard{child.pid};

    ASSERT_EQ(ghostctl({"scale", "node", "--replicas", "3"}).exit_code, 0);
    auto pods = ghostctl({"scale", "pod", "--replicas", "6"});
    ASSERT_EQ(pods.exit_code, 0) << pods.output;
    bool converged = wait_for(120s, [&] {
        auto nodes = kubectl_json({"get", "nodes", "-o", "json"});
        auto pod_list = kubectl_json({"get", "pods", "-o", "json"});
        int ready = 0, running = 0;
        for (const auto& n : nodes.at("items").as_array())
            for (const auto& c : n.at("status").at("conditions").as_array())
                if (str(c, {"type"}) == "Ready" && str(c, {"status"}) == "True") ++ready;
        for (const auto& p : pod_list.at("items").as_array())
            if (str(p, {"status", "phase"}) == "Running" && !str(p, {"status", "podIP"}).empty())
                ++running;
        return ready == 3 && running == 6;
    });
    ASSERT_TRUE(converged) << "nodes Ready and pods Running through the in-cluster path\n"
                           << read_text(log);
    // Graceful deletes: ghostlet finishes them (its own DELETE with grace 0).
    auto down = ghostctl({"scale", "pod", "--replicas", "2"});
    ASSERT_EQ(down.exit_code, 0) << down.output;
    bool deleted = wait_for(60s, [&] {
        return kubectl_json({"get", "pods", "-o", "json"}).at("items").as_array().size() == 2;
    });
    auto text = read_text(log);
    ASSERT_TRUE(deleted) << "pod deletions finished through the in-cluster path\n" << text;
    EXPECT_NE(text.find("in-cluster"), std::string::npos) << "no in-cluster start-up line\n" << text;
    // The leases are held by ghostlet's identity: the manifest's RBAC covers them.
    auto leases = kubectl_json({"get", "leases", "-n", "kube-node-lease", "-o", "json"});
    EXPECT_EQ(leases.at("items").as_array().size(), 3u);
    for (const char* refused : {"forbidden", "Forbidden", " 403", "Unauthorized", " 401"})
        EXPECT_EQ(text.find(refused), std::string::npos)
            << "a request was refused (\"" << refused << "\"): the RBAC misses it\n" << text;
    std::cout << "[ deploy ] in-cluster ghostlet with the manifests' RBAC: 3 nodes Ready, 6 pods "
                 "Running, 4 deleted, no request refused\n";
}

}  // namespace
}  // namespace ghost::testing
