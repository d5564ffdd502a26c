// ghostctl's metrics-server wiring: flags, the component's command line, ghostlet's flags, the
// aggregation objects and the default documents (compared in place with kwok's shipped ones).
#include "apps/ghostctl/components.hpp"
#include "tests/ghostctl/component_fixtures.hpp"
#include "apps/ghostctl/metrics_server.hpp"
#include "apps/ghostctl/options.hpp"
#include "apps/ghostctl/pki.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <map>

namespace ghost::ghostctl {
namespace {

component_inputs inputs(create_options o) {
    component_inputs in;
    in.layout.dir = "/w/clusters/c";
    in.bin_dir = "/bin-dir";
    in.ghostlet_binary = "/build/ghostlet/ghostlet";
    in.ports = {{"etcd-peer", 100},     {"etcd-client", 101},  {"kube-apiserver", 102},
                {"kube-controller-manager", 103}, {"kube-scheduler", 104}, {"ghostlet", 105},
                {"metrics-server", 106}};
    in.options = std::move(o);
    return in;
}

using testing::find;
using testing::has;

create_options with_metrics_server() {
    return parse_command_line({"create", "cluster", "--enable", "metrics-server"}).create;
}

std::string without_space(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (!std::isspace(static_cast<unsigned char>(c))) out += c;
    }
    return out;
}

std::string document(std::string_view file) {
    for (const auto& [name, text] : metrics_default_documents()) {
        if (name == file) return std::string(text);
    }
    ADD_FAILURE() << "no default document " << file;
    return {};
}

TEST(metrics_server, both_spellings_enable_it_and_unknown_components_are_named) {
    EXPECT_EQ(with_metrics_server().enabled, std::set<std::string>{"metrics-server"});
    auto old = parse_command_line({"create", "cluster", "--enable-metrics-server"});
    EXPECT_EQ(old.create.enabled, std::set<std::string>{"metrics-server"});
    auto off = parse_command_line({"create", "cluster", "--enable-metrics-server=false"});
    EXPECT_TRUE(off.create.enabled.empty());
    EXPECT_TRUE(parse_command_line({"create", "cluster"}).create.enabled.empty());
    try {
        parse_command_line({"create", "cluster", "--enable", "prometheus"});
        ADD_FAILURE() << "prometheus accepted";
    } catch (const usage_error& e) {
        EXPECT_NE(std::string(e.what()).find("--enable: unknown component \"prometheus\""),
                  std::string::npos)
            << e.what();
    }
    EXPECT_THROW(parse_command_line({"get", "clusters", "--enable-metrics-server"}), usage_error);
}

TEST(metrics_server, component_port_binary_and_flags) {
    auto o = with_metrics_server();
    auto names = port_names(o);
    EXPECT_EQ(names.back(), "metrics-server");
    auto bins = required_binaries(o);
    EXPECT_NE(std::find(bins.begin(), bins.end(), "metrics-server"), bins.end());
    auto v = build_components(inputs(o));
    ASSERT_EQ(v.back().name, "metrics-server") << "started after ghostlet";
    const auto* ms = &v.back();
    EXPECT_EQ(ms->binary, "/bin-dir/metrics-server");
    EXPECT_EQ(ms->ports, std::vector<std::uint16_t>{106});
    EXPECT_EQ(ms->ready, readiness::tcp_listen);
    for (const char* a : {"--secure-port=106", "--bind-address=127.0.0.1",
                          "--kubeconfig=/w/clusters/c/kubeconfig.yaml",
                          "--authentication-kubeconfig=/w/clusters/c/kubeconfig.yaml",
                          "--authorization-kubeconfig=/w/clusters/c/kubeconfig.yaml",
                          "--tls-cert-file=/w/clusters/c/pki/apiserver.crt",
                          "--kubelet-use-node-status-port", "--kubelet-insecure-tls",
                          "--kubelet-preferred-address-types=Hostname,InternalIP,ExternalIP",
                          "--metric-resolution=15s"}) {
        EXPECT_TRUE(has(ms, a)) << a;
    }
    const auto* g = find(v, "ghostlet");
    for (const char* a : {"--node-port=105", "--node-ip=127.0.0.1", "--node-name=localhost",
                          "--config=/w/clusters/c/ghostlet.yaml"}) {
        EXPECT_TRUE(has(g, a)) << a;
    }
    const auto* api = find(v, "kube-apiserver");
    for (const char* a : {"--proxy-client-cert-file=/w/clusters/c/pki/front-proxy-client.crt",
                          "--requestheader-client-ca-file=/w/clusters/c/pki/ca.crt",
                          "--requestheader-allowed-names=front-proxy-client"}) {
        EXPECT_TRUE(has(api, a)) << a;
    }
    // --extra-args reaches it (tests lower the resolution this way).
    o.extra_args.push_back(parse_extra_arg("metrics-server=metric-resolution=10s"));
    EXPECT_TRUE(has(find(build_components(inputs(o)), "metrics-server"), "--metric-resolution=10s"));
}

TEST(metrics_server, off_by_default_and_disable_wins) {
    auto plain = build_components(inputs({}));
    EXPECT_EQ(find(plain, "metrics-server"), nullptr);
    const auto* g = find(plain, "ghostlet");
    EXPECT_TRUE(has(g, "--node-port=105")) << "nodes advertise ghostlet's port";
    EXPECT_FALSE(has(g, "--node-ip=127.0.0.1")) << "kwokctl's empty --node-ip stays the default";
    // The file holds the stages create writes (metrics defaults only with metrics-server).
    EXPECT_TRUE(has(g, "--config=/w/clusters/c/ghostlet.yaml"));
    auto o = with_metrics_server();
    o.disabled.insert("metrics-server");
    EXPECT_FALSE(runs_metrics_server(o));
    EXPECT_EQ(find(build_components(inputs(o)), "metrics-server"), nullptr);
}

TEST(metrics_server, aggregation_objects_point_at_the_local_port) {
    auto svc = metrics_server_service();
    EXPECT_EQ(svc.at("metadata").at("namespace"), "kube-system");
    EXPECT_EQ(svc.at("spec").at("type"), "ExternalName");
    EXPECT_EQ(svc.at("spec").at("externalName"), "127.0.0.1");
    auto api = metrics_apiservice(4443);
    EXPECT_EQ(api.at("metadata").at("name"), "v1beta1.metrics.k8s.io");
    const auto& spec = api.at("spec").as_object();
    EXPECT_EQ(spec.at("group"), "metrics.k8s.io");
    EXPECT_EQ(spec.at("version"), "v1beta1");
    EXPECT_EQ(spec.at("service").at("name"), "metrics-server");
    EXPECT_EQ(spec.at("service").at("namespace"), "kube-system");
    EXPECT_EQ(spec.at("service").at("port").to_number<int>(), 4443);
}

// The project's own documents say what kwok's shipped ones say (read in place).
TEST(metrics_server, default_metric_matches_kwoks_metrics_resource) {
    auto ours = YAML::Load(document("metrics-resource.yaml"));
    auto kwok = YAML::LoadFile(GHOST_SHARED_DIR "/kwok-metrics/metrics-resource.yaml");
    EXPECT_EQ(ours["kind"].as<std::string>(), "Metric");
    EXPECT_EQ(ours["metadata"]["name"].as<std::string>(), kwok["metadata"]["name"].as<std::string>());
    EXPECT_EQ(ours["spec"]["path"].as<std::string>(), kwok["spec"]["path"].as<std::string>());
    auto by_name = [](const YAML::Node& doc) {
        std::map<std::string, std::string> m;
        for (const auto& x : doc["spec"]["metrics"]) {
            std::string labels;
            for (const auto& l : x["labels"]) {
                labels += l["name"].as<std::string>() + "=" + l["value"].as<std::string>() + ";";
            }
            m[x["name"].as<std::string>()] =
                x["kind"].as<std::string>() + "|" + x["dimension"].as<std::string>() + "|" +
                without_space(x["value"].as<std::string>()) + "|" + labels;
        }
        return m;
    };
    auto a = by_name(ours);
    auto b = by_name(kwok);
    EXPECT_EQ(a.size(), 8u);
    EXPECT_EQ(a, b);
}

TEST(metrics_server, default_usage_matches_kwoks_usage_from_annotation) {
    auto ours = YAML::Load(document("usage-from-annotation.yaml"));
    auto kwok = YAML::LoadFile(GHOST_SHARED_DIR "/kwok-metrics/usage-from-annotation.yaml");
    EXPECT_EQ(ours["kind"].as<std::string>(), "ClusterResourceUsage");
    EXPECT_EQ(ours["metadata"]["name"].as<std::string>(), kwok["metadata"]["name"].as<std::string>());
    ASSERT_EQ(ours["spec"]["usages"].size(), 1u);
    for (const char* res : {"cpu", "memory"}) {
        auto mine = ours["spec"]["usages"][0]["usage"][res]["expression"].as<std::string>();
        auto theirs = kwok["spec"]["usages"][0]["usage"][res]["expression"].as<std::string>();
        EXPECT_EQ(without_space(mine), without_space(theirs)) << res;
    }
    auto config = ghostlet_metrics_config();
    auto docs = YAML::LoadAll(config);
    ASSERT_EQ(docs.size(), 2u) << config;
    EXPECT_EQ(docs[0]["kind"].as<std::string>(), "ClusterResourceUsage");
    EXPECT_EQ(docs[1]["kind"].as<std::string>(), "Metric");
}

}  // namespace
}  // namespace ghost::ghostctl
