#include "apps/ghostctl/cluster.hpp"
#include "apps/ghostctl/components.hpp"
#include "tests/ghostctl/component_fixtures.hpp"
#include "apps/ghostctl/pki.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>

namespace ghost::ghostctl {
namespace {

component_inputs inputs(create_options o = {}) {
    component_inputs in;
    in.layout.dir = "/w/clusters/c";
    in.bin_dir = "/bin-dir";
    in.ports = {{"etcd-peer", 100}, {"etcd-client", 101}, {"kube-apiserver", 102},
                {"kube-controller-manager", 103}, {"kube-scheduler", 104}, {"ghostlet", 105}};
    in.options = std::move(o);
    return in;
}

using testing::find;
using testing::has;

TEST(components, default_set_and_flags) {
    auto v = build_components(inputs());
    ASSERT_EQ(v.size(), 4u);  // no ghostlet binary
    EXPECT_EQ(v[0].name, "etcd");
    EXPECT_EQ(v[1].name, "kube-apiserver");
    EXPECT_EQ(v[0].binary, "/bin-dir/etcd");
    EXPECT_TRUE(has(&v[0], "--listen-client-urls=http://127.0.0.1:101"));
    EXPECT_TRUE(has(&v[0], "--data-dir=/w/clusters/c/etcd"));
    auto* api = find(v, "kube-apiserver");
    EXPECT_TRUE(has(api, "--etcd-servers=http://127.0.0.1:101"));
    EXPECT_TRUE(has(api, "--secure-port=102"));
    EXPECT_TRUE(has(api, "--service-account-key-file=/w/clusters/c/pki/sa.pub"));
    EXPECT_FALSE(has(api, "--max-requests-inflight=0"));
    auto* kcm = find(v, "kube-controller-manager");
    EXPECT_TRUE(has(kcm, "--node-monitor-period=25s"));
    // Go duration text, as kwokctl formats it (time.Duration.String).
    EXPECT_TRUE(has(kcm, "--node-monitor-grace-period=3m20s"));
    EXPECT_TRUE(has(kcm, "--leader-elect=false"));
    EXPECT_TRUE(has(find(v, "kube-scheduler"), "--secure-port=104"));
}

TEST(components, disable_qps_limits) {
    create_options o;
    o.disable_qps_limits = true;
    auto v = build_components(inputs(o));
    EXPECT_TRUE(has(find(v, "kube-apiserver"), "--max-requests-inflight=0"));
    EXPECT_TRUE(has(find(v, "kube-apiserver"), "--enable-priority-and-fairness=false"));
    EXPECT_TRUE(has(find(v, "kube-scheduler"), "--kube-api-qps=5000"));
    EXPECT_TRUE(has(find(v, "kube-controller-manager"), "--kube-api-burst=10000"));
}

TEST(components, extra_args_override_and_append) {
    create_options o;
    o.extra_args = {parse_extra_arg("kube-apiserver=secure-port=7"),
                    parse_extra_arg("kube-apiserver=v=4"), parse_extra_arg("etcd=debug")};
    auto v = build_components(inputs(o));
    auto* api = find(v, "kube-apiserver");
    EXPECT_TRUE(has(api, "--secure-port=7"));
    EXPECT_FALSE(has(api, "--secure-port=102"));
    EXPECT_EQ(api->args.back(), "--v=4");
    EXPECT_EQ(find(v, "etcd")->args.back(), "--debug");
}

TEST(components, disabled_and_ghostlet) {
    create_options o;
    o.disabled = {"kube-scheduler"};
    o.heartbeat_factor = 2;
    auto in = inputs(o);
    in.ghostlet_binary = "/build/ghostlet/ghostlet";
    auto v = build_components(in);
    EXPECT_EQ(find(v, "kube-scheduler"), nullptr);
    auto* g = find(v, "ghostlet");
    ASSERT_NE(g, nullptr);
    EXPECT_TRUE(has(g, "--node-lease-duration-seconds=80"));
    EXPECT_TRUE(has(g, "/w/clusters/c/kubeconfig.yaml"));
    EXPECT_TRUE(has(g, "--server-address=127.0.0.1:105")) << "ghostlet serves /metrics";
    EXPECT_EQ(g->ports, std::vector<std::uint16_t>{105});
    EXPECT_EQ(port_names(o).size(), 5u);
    // kubectl logs/exec: the API server reaches ghostlet at Hostname localhost and shows a
    // client certificate of the cluster CA, which ghostlet's debugging endpoints require.
    EXPECT_TRUE(has(g, "--node-name=localhost"));
    EXPECT_TRUE(has(g, "--client-ca-file=/w/clusters/c/pki/ca.crt"));
    auto* api = find(v, "kube-apiserver");
    EXPECT_TRUE(has(api, "--kubelet-client-certificate=/w/clusters/c/pki/admin.crt"));
    EXPECT_TRUE(has(api, "--kubelet-client-key=/w/clusters/c/pki/admin.key"));
    EXPECT_TRUE(std::none_of(api->args.begin(), api->args.end(), [](const std::string& a) {
        return a.rfind("--kubelet-certificate-authority", 0) == 0;
    })) << "as kwokctl: ghostlet's serving certificate is not verified";
}

TEST(components, state_round_trips) {
    cluster_state s;
    s.name = "c";
    s.dir = "/w/clusters/c";
    s.bin_dir = "/bin-dir";
    s.ports = inputs().ports;
    s.options.disable_qps_limits = true;
    s.options.extra_args = {parse_extra_arg("etcd=debug")};
    s.options.disabled = {"ghostlet"};
    s.components = build_components(inputs(s.options));
    auto back = parse_state(serialize_state(s));
    EXPECT_EQ(back.name, "c");
    EXPECT_EQ(back.ports, s.ports);
    EXPECT_EQ(back.options.disabled, s.options.disabled);
    EXPECT_FALSE(back.options.extra_args[0].has_value);
    ASSERT_EQ(back.components.size(), s.components.size());
    for (std::size_t i = 0; i < s.components.size(); ++i) {
        EXPECT_EQ(back.components[i].args, s.components[i].args);
        EXPECT_EQ(back.components[i].ports, s.components[i].ports);
        EXPECT_EQ(back.components[i].ready, s.components[i].ready);
    }
    EXPECT_THROW(parse_state("{}"), ghostctl_error);
}

TEST(components, ports_of_other_clusters_are_reserved) {
    namespace fs = std::filesystem;
    auto root = fs::temp_directory_path() / ("ghostctl-root-" + std::to_string(::getpid()));
    fs::remove_all(root);
    auto write_state = [&](const std::string& name, port_map ports) {
        cluster_state s;
        s.name = name;
        s.dir = root / "clusters" / name;
        s.bin_dir = "/b";
        s.ports = std::move(ports);
        fs::create_directories(s.dir);
        write_file(s.dir / "cluster.json", serialize_state(s));
    };
    write_state("one", {{"etcd-client", 201}, {"kube-apiserver", 202}});
    write_state("two", {{"etcd-client", 301}});
    fs::create_directories(root / "clusters" / "half-created");  // no state: ignored
    EXPECT_EQ(ports_of_other_clusters(root, "two"), (std::set<std::uint16_t>{201, 202}));
    EXPECT_EQ(ports_of_other_clusters(root, "new"), (std::set<std::uint16_t>{201, 202, 301}));
    EXPECT_EQ(list_clusters(root), (std::vector<std::string>{"half-created", "one", "two"}));
    fs::remove_all(root);
}

TEST(components, missing_binaries_point_at_the_script) {
    try {
        check_binaries("/nonexistent-dir", {"etcd", "kubectl"});
        FAIL() << "no throw";
    } catch (const ghostctl_error& e) {
        std::string m = e.what();
        EXPECT_NE(m.find("run tools/get-control-plane.sh"), std::string::npos) << m;
        EXPECT_NE(m.find("etcd, kubectl"), std::string::npos) << m;
    }
}

}  // namespace
}  // namespace ghost::ghostctl
