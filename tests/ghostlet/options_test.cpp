#include "apps/ghostlet/options.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <stdlib.h>

using ghost::ghostlet::options_error;
using ghost::ghostlet::parse_options;
using ghost::ghostlet::cluster_informers;

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
    auto path = std::filesystem::temp_directory_path() / ("ghostlet-options-" + name);
    std::ofstream(path) << text;
    return path.string();
}

std::string error_of(const std::vector<std::string>& args) {
    try {
        parse_options(args);
    } catch (const options_error& e) {
        return e.what();
    }
    return "";
}

// kwok reads $KWOK_WORKDIR/kwok.yaml (default ~/.kwok/kwok.yaml) first when it exists; point
// it at an empty directory so the machine's own file cannot change these tests.
const bool hermetic_workdir = [] {
    auto dir = std::filesystem::temp_directory_path() / "ghostlet-options-workdir";
    std::filesystem::create_directories(dir);
    std::filesystem::remove(dir / "kwok.yaml");
    ::setenv("KWOK_WORKDIR", dir.c_str(), 1);
    return true;
}();

}  // namespace

TEST(options, kwok_flags_in_both_spellings) {
    auto o = parse_options({"--manage-all-nodes", "--cidr=10.1.0.0/16", "--node-ip", "192.0.2.9",
                            "--node-port=10247", "--node-lease-duration-seconds", "40", "-v=4"});
    EXPECT_TRUE(o.manage_all_nodes);
    EXPECT_EQ(o.cidr, "10.1.0.0/16");
    EXPECT_EQ(o.node_ip, "192.0.2.9");
    EXPECT_EQ(o.node_port, 10247);
    EXPECT_EQ(o.node_lease_duration_seconds, 40);
    EXPECT_EQ(o.verbosity, 4);
    EXPECT_FALSE(o.identity.empty());
}

TEST(options, boolean_flag_accepts_explicit_false) {
    auto err = error_of({"--manage-all-nodes=false"});
    EXPECT_NE(err.find("no nodes are managed"), std::string::npos) << err;
}

TEST(options, a_manage_mode_is_required_and_modes_exclude_each_other) {
    EXPECT_NE(error_of({}).find("no nodes are managed"), std::string::npos);
    EXPECT_NE(error_of({"--manage-all-nodes", "--manage-single-node=n"}).find("exclude"),
              std::string::npos);
    auto o = parse_options({"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                            "--manage-nodes-with-label-selector=type=kwok"});
    EXPECT_EQ(o.manage_nodes_with_label_selector, "type=kwok");
}

TEST(options, bad_values_name_the_flag_and_the_expectation) {
    auto err = error_of({"--manage-all-nodes", "--node-port=abc"});
    EXPECT_NE(err.find("--node-port"), std::string::npos) << err;
    EXPECT_NE(err.find("integer"), std::string::npos) << err;
    err = error_of({"--manage-all-nodes", "--cidr=10.0.0.0/40"});
    EXPECT_NE(err.find("--cidr"), std::string::npos) << err;
    err = error_of({"--manage-all-nodes", "--node-ip=300.1.1.1"});
    EXPECT_NE(err.find("--node-ip"), std::string::npos) << err;
    err = error_of({"--manage-nodes-with-label-selector=a in b"});
    EXPECT_NE(err.find("--manage-nodes-with-label-selector"), std::string::npos) << err;
    err = error_of({"--manage-all-nodes", "--no-such-flag=1"});
    EXPECT_NE(err.find("unknown flag: --no-such-flag"), std::string::npos) << err;
    err = error_of({"--manage-all-nodes", "--cidr"});
    EXPECT_NE(err.find("needs an argument"), std::string::npos) << err;
}

TEST(options, kwok_configuration_supplies_defaults_and_flags_win) {
    auto file = write_temp("config.yaml", R"(apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  manageAllNodes: true
  cidr: 10.9.0.0/16
  nodeLeaseDurationSeconds: 40
  podPlayStageParallelism: 8
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: s
spec:
  resourceRef: {kind: Pod}
)");
    auto o = parse_options({"-c", file, "--cidr=10.7.0.0/16"});
    EXPECT_TRUE(o.manage_all_nodes);
    EXPECT_EQ(o.cidr, "10.7.0.0/16");
    EXPECT_EQ(o.node_lease_duration_seconds, 40);
    ASSERT_EQ(o.stage_documents.size(), 1u);
    EXPECT_EQ(o.stage_documents[0].file, file);
    EXPECT_EQ(o.stage_documents[0].index, 1);
    ASSERT_FALSE(o.warnings.empty());
    EXPECT_NE(o.warnings[0].find("podPlayStageParallelism"), std::string::npos);
}

TEST(options, bad_config_documents_name_the_file_and_field) {
    auto bad_value = write_temp("bad-value.yaml", R"(kind: KwokConfiguration
options:
  nodePort: high
)");
    auto err = error_of({"-c", bad_value});
    EXPECT_NE(err.find(bad_value), std::string::npos) << err;
    EXPECT_NE(err.find("options.nodePort"), std::string::npos) << err;

    auto bad_yaml = write_temp("bad-yaml.yaml", "kind: Stage\n  spec: [\n");
    err = error_of({"--manage-all-nodes", "-c", bad_yaml});
    EXPECT_NE(err.find("invalid YAML"), std::string::npos) << err;
    auto complex_key = write_temp("complex-key.yaml", "kind: KwokConfiguration\noptions:\n  ? [a]\n  : 1\n");
    err = error_of({"--manage-all-nodes", "-c", complex_key});
    EXPECT_NE(err.find("options: expected string keys"), std::string::npos) << err;
    auto stray_comma = write_temp("stray-comma.yaml", "kind: Stage\n---\n, x\n");
    err = error_of({"--manage-all-nodes", "-c", stray_comma});
    EXPECT_NE(err.find(stray_comma + ":3:1: invalid YAML: ',' outside a flow collection"),
              std::string::npos)
        << err;

    // Other kinds are skipped with a warning naming them, as kwok does ("Unsupported type").
    auto other_kind = write_temp("other-kind.yaml", "apiVersion: v1\nkind: ConfigMap\n");
    auto skipped = parse_options({"--manage-all-nodes", "-c", other_kind});
    ASSERT_EQ(skipped.warnings.size(), 1u);
    EXPECT_NE(skipped.warnings[0].find("kind ConfigMap is not a kwok configuration kind"),
              std::string::npos)
        << skipped.warnings[0];

    err = error_of({"--manage-all-nodes", "-c", "/nonexistent/ghost.yaml"});
    EXPECT_NE(err.find("cannot open"), std::string::npos) << err;
}

TEST(options, every_flag_kwokctl_passes_is_accepted) {
    auto dir = std::filesystem::temp_directory_path() / "ghostlet-options-kwokctl";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "admin.crt") << "cert";
    std::ofstream(dir / "admin.key") << "key";
    auto config = write_temp("kwokctl.yaml", R"(apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options: {runtime: binary}
---
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  enableCRDs: [Metric]
  podPlayStageParallelism: 4
  enableDebuggingHandlers: true
)");
    auto o = parse_options({"--manage-all-nodes=true", "--kubeconfig=/k/kubeconfig.yaml",
                            "--config=" + config, "--tls-cert-file=" + (dir / "admin.crt").string(),
                            "--tls-private-key-file=" + (dir / "admin.key").string(),
                            "--node-ip=", "--node-name=localhost", "--node-port=32763",
                            "--server-address=0.0.0.0:32763", "--node-lease-duration-seconds=200",
                            "--tracing-endpoint=127.0.0.1:4317",
                            "--tracing-sampling-rate-per-million=1000000", "-v", "DEBUG"});
    EXPECT_TRUE(o.manage_all_nodes);
    EXPECT_EQ(o.node_name, "localhost");
    EXPECT_EQ(o.node_port, 32763);
    EXPECT_EQ(o.tls_cert_file, (dir / "admin.crt").string());
    EXPECT_EQ(o.node_lease_duration_seconds, 200);
    EXPECT_EQ(o.tracing_endpoint, "127.0.0.1:4317");
    EXPECT_EQ(o.tracing_sampling_rate_per_million, 1000000);
    EXPECT_EQ(o.verbosity, -4);
    EXPECT_EQ(o.enable_crds, std::vector<std::string>{"Metric"});
    auto has = [&](const std::string& text) {
        return std::count_if(o.warnings.begin(), o.warnings.end(), [&](const std::string& w) {
            return w.find(text) != std::string::npos;
        });
    };
    EXPECT_EQ(has("--tls-cert-file"), 0) << "served since HTTPS is implemented: "
                                         << ::testing::PrintToString(o.warnings);
    EXPECT_EQ(has("tracing export is not implemented"), 1);
    EXPECT_EQ(has("--enable-crds"), 0);  // Metric is served
    EXPECT_EQ(has("enableDebuggingHandlers"), 0);  // served since the debugging endpoints are
    EXPECT_EQ(has("podPlayStageParallelism"), 0);  // kwok's default: nothing to warn about
    EXPECT_EQ(has("KwokctlConfiguration"), 0);
}

TEST(options, every_kwok_configuration_option_is_read) {
    auto file = write_temp("all-options.yaml", R"(apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  cidr: 10.5.0.0/16
  nodeIP: 192.0.2.7
  nodeName: n1
  nodePort: 10250
  manageNodesWithAnnotationSelector: kwok.x-k8s.io/node=fake
  manageNodesWithLabelSelector: type=kwok
  disregardStatusWithAnnotationSelector: a=b
  disregardStatusWithLabelSelector: c=d
  serverAddress: 127.0.0.1:10247
  enableCRDs: [Stage, Logs]
  nodeLeaseDurationSeconds: 40
  nodeLeaseParallelism: 8
  podPlayStageParallelism: 2
  nodePlayStageParallelism: 3
  podsOnNodeSyncParallelism: 5
  enablePodsOnNodeSyncListPager: false
  enablePodsOnNodeSyncStreamWatch: true
  enableDebuggingHandlers: false
  enableProfilingHandler: true
  enableContentionProfiling: true
tracing:
  endpoint: otel:4317
  samplingRatePerMillion: 10
)");
    auto o = parse_options({"-c", file});
    EXPECT_EQ(o.cidr, "10.5.0.0/16");
    EXPECT_EQ(o.node_ip, "192.0.2.7");
    EXPECT_EQ(o.node_name, "n1");
    EXPECT_EQ(o.node_port, 10250);
    EXPECT_EQ(o.manage_nodes_with_label_selector, "type=kwok");
    EXPECT_EQ(o.disregard_status_with_label_selector, "c=d");
    EXPECT_EQ(o.server_address, "127.0.0.1:10247");
    EXPECT_EQ(o.enable_crds, (std::vector<std::string>{"Stage", "Logs"}));
    EXPECT_EQ(o.node_lease_duration_seconds, 40);
    EXPECT_EQ(o.node_lease_parallelism, 8u);
    EXPECT_EQ(o.pod_play_stage_parallelism, 2u);
    EXPECT_EQ(o.node_play_stage_parallelism, 3u);
    EXPECT_EQ(o.pods_on_node_sync_parallelism, 5u);
    EXPECT_FALSE(o.enable_pods_on_node_sync_list_pager);
    EXPECT_TRUE(o.enable_pods_on_node_sync_stream_watch);
    EXPECT_FALSE(o.enable_debugging_handlers);
    EXPECT_TRUE(o.enable_profiling_handler);
    EXPECT_TRUE(o.enable_contention_profiling);
    EXPECT_EQ(o.tracing_endpoint, "otel:4317");
    EXPECT_EQ(o.tracing_sampling_rate_per_million, 10);
    std::string all;
    for (const auto& w : o.warnings) all += w + "\n";
    for (const char* key : {"nodeLeaseParallelism", "podPlayStageParallelism",
                            "nodePlayStageParallelism", "podsOnNodeSyncParallelism",
                            "enablePodsOnNodeSyncListPager", "enablePodsOnNodeSyncStreamWatch",
                            "enableProfilingHandler", "enableContentionProfiling",
                            "tracing export"}) {
        EXPECT_NE(all.find(key), std::string::npos) << key << "\n" << all;
    }
    EXPECT_EQ(all.find("enableDebuggingHandlers"), std::string::npos) << all;
    EXPECT_EQ(all.find("--enable-crds"), std::string::npos) << "Stage and Logs are watched\n" << all;
    // Flags still win over the file; a list flag replaces the configured list.
    auto f = parse_options({"-c", file, "--enable-crds=Metric", "--node-port", "1"});
    EXPECT_EQ(f.enable_crds, std::vector<std::string>{"Metric"});
    EXPECT_EQ(f.node_port, 1);
}

TEST(options, enable_crds_are_checked_against_kwoks_kinds) {
    auto err = error_of({"--manage-all-nodes", "--enable-crds=Stage,Widget"});
    EXPECT_NE(err.find("--enable-crds: invalid crd \"Widget\""), std::string::npos) << err;
    EXPECT_NE(err.find("ClusterPortForward"), std::string::npos) << err;
    auto stage = write_temp("one-stage.yaml", R"(apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: s}
spec: {resourceRef: {kind: Pod}}
)");
    // Unlike kwok, Stage resources are played together with the --config stages.
    auto both = parse_options({"--manage-all-nodes", "--enable-crds=Stage", "-c", stage});
    EXPECT_EQ(both.stage_documents.size(), 1u);
    for (const auto& w : both.warnings) EXPECT_EQ(w.find("enable-crds"), std::string::npos) << w;
}

TEST(options, tls_files_must_be_readable_and_paired) {
    auto err = error_of({"--manage-all-nodes", "--tls-cert-file=/nonexistent/a.crt",
                         "--tls-private-key-file=/nonexistent/a.key"});
    EXPECT_NE(err.find("--tls-cert-file: cannot read \"/nonexistent/a.crt\""), std::string::npos)
        << err;
    err = error_of({"--manage-all-nodes", "--tls-cert-file=/etc/hostname"});
    EXPECT_NE(err.find("go together"), std::string::npos) << err;
}

TEST(options, verbosity_names_and_numbers) {
    EXPECT_EQ(parse_options({"--manage-all-nodes", "-v", "ERROR"}).verbosity, 8);
    EXPECT_EQ(parse_options({"--manage-all-nodes", "--v=WARN"}).verbosity, 4);
    EXPECT_EQ(parse_options({"--manage-all-nodes", "-v=-4"}).verbosity, -4);
    auto err = error_of({"--manage-all-nodes", "-v", "loud"});
    EXPECT_NE(err.find("-v: expected DEBUG, INFO, WARN, ERROR"), std::string::npos) << err;
}

TEST(options, config_directories_and_repeats) {
    namespace fs = std::filesystem;
    auto dir = fs::temp_directory_path() / "ghostlet-options-dir";
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "b.yaml") << "kind: Stage\nmetadata: {name: b}\nspec: {}\n";
    std::ofstream(dir / "a.yml") << "kind: Stage\nmetadata: {name: a}\nspec: {}\n";
    std::ofstream(dir / "notes.txt") << "not yaml";
    auto conf = write_temp("dir-conf.yaml", "kind: KwokConfiguration\noptions: {manageAllNodes: true}\n");
    auto o = parse_options({"-c", conf, "--config", dir.string()});
    ASSERT_EQ(o.stage_documents.size(), 2u);
    EXPECT_EQ(o.stage_documents[0].file, (dir / "a.yml").string());
    EXPECT_EQ(o.stage_documents[1].file, (dir / "b.yaml").string());
    EXPECT_TRUE(o.manage_all_nodes);
    auto err = error_of({"--manage-all-nodes", "-c", (dir / "missing").string()});
    EXPECT_NE(err.find((dir / "missing").string()), std::string::npos) << err;
    EXPECT_NE(err.find("--config"), std::string::npos) << err;
}

namespace {

TEST(options, metric_and_usage_documents_are_kept_for_the_metric_routes) {
    auto file = write_temp("usage.yaml", R"(kind: Metric
apiVersion: kwok.x-k8s.io/v1alpha1
metadata: {name: m}
spec: {path: /metrics/m, metrics: []}
---
kind: ClusterResourceUsage
apiVersion: kwok.x-k8s.io/v1alpha1
metadata: {name: c}
spec: {usages: []}
---
kind: ResourceUsage
apiVersion: kwok.x-k8s.io/v1alpha1
metadata: {name: r, namespace: default}
spec: {usages: []}
---
kind: Logs
apiVersion: kwok.x-k8s.io/v1alpha1
metadata: {name: l}
)");
    auto o = parse_options({"--manage-all-nodes", "-c", file,
                            "--enable-crds=Metric,ResourceUsage,ClusterResourceUsage"});
    ASSERT_EQ(o.usage_documents.size(), 3u);
    EXPECT_EQ(o.usage_documents[1].index, 1);
    EXPECT_EQ(o.usage_documents[2].node["metadata"]["name"].as<std::string>(), "r");
    std::string all;
    for (const auto& w : o.warnings) all += w + "\n";
    EXPECT_EQ(all.find("Metric"), std::string::npos) << all;
    EXPECT_EQ(all.find("ResourceUsage"), std::string::npos) << all;
    EXPECT_EQ(all.find("Logs"), std::string::npos) << all;
    ASSERT_EQ(o.debug_documents.size(), 1u) << "kept for the debugging routes";
    EXPECT_EQ(o.debug_documents[0].index, 3);
}

}  // namespace

TEST(options, shard_group_needs_node_leases_and_a_label_value) {
    auto o = parse_options({"--manage-all-nodes", "--node-lease-duration-seconds=40",
                            "--shard-group=sim-a"});
    EXPECT_EQ(o.shard_group, "sim-a");
    EXPECT_EQ(o.shard_lease_duration_seconds, 40) << "defaults to the node lease duration";
    auto own = parse_options({"--manage-all-nodes", "--node-lease-duration-seconds=40",
                              "--shard-group=sim-a", "--shard-lease-duration-seconds=15"});
    EXPECT_EQ(own.shard_lease_duration_seconds, 15);
    auto err = error_of({"--manage-all-nodes", "--shard-group=sim-a"});
    EXPECT_NE(err.find("--shard-group needs node leases"), std::string::npos) << err;
    err = error_of({"--manage-all-nodes", "--node-lease-duration-seconds=40", "--shard-group=a/b"});
    EXPECT_NE(err.find("--shard-group: expected a label value"), std::string::npos) << err;
    auto unused = parse_options({"--manage-all-nodes", "--shard-lease-duration-seconds=15"});
    ASSERT_FALSE(unused.warnings.empty());
    EXPECT_NE(unused.warnings.back().find("--shard-lease-duration-seconds"), std::string::npos);
}

TEST(options, api_mode_kubelet_and_its_flags) {
    auto d = parse_options({"--manage-all-nodes"});
    EXPECT_EQ(d.api_mode, "kwok");
    EXPECT_FALSE(d.kubelet_mode());
    EXPECT_EQ(d.kubelet_connections_per_second, 200);
    EXPECT_EQ(d.kubelet_cluster_informers, cluster_informers::per_node);
    auto k = parse_options({"--manage-all-nodes", "--api-mode=kubelet",
                            "--kubelet-connections-per-second=50",
                            "--kubelet-cluster-informers", "shared"});
    EXPECT_TRUE(k.kubelet_mode());
    EXPECT_EQ(k.kubelet_connections_per_second, 50);
    EXPECT_EQ(k.kubelet_cluster_informers, cluster_informers::shared);
    auto err = error_of({"--manage-all-nodes", "--api-mode=kubemark"});
    EXPECT_EQ(err, "--api-mode: expected kwok or kubelet, got \"kubemark\"");
    err = error_of({"--manage-all-nodes", "--api-mode=kubelet", "--kubelet-cluster-informers=all"});
    EXPECT_NE(err.find("--kubelet-cluster-informers: expected per-node, shared or none"),
              std::string::npos) << err;
    auto unused = parse_options({"--manage-all-nodes", "--kubelet-cluster-informers=none"});
    EXPECT_EQ(unused.kubelet_cluster_informers, cluster_informers::none);
    ASSERT_FALSE(unused.warnings.empty());
    EXPECT_NE(unused.warnings.back().find("without --api-mode=kubelet"), std::string::npos);
}

TEST(options, write_concurrency_fixed_or_adaptive) {
    EXPECT_EQ(parse_options({"--manage-all-nodes"}).write_concurrency, "fixed");
    EXPECT_EQ(parse_options({"--manage-all-nodes", "--write-concurrency=adaptive"}).write_concurrency,
              "adaptive");
    EXPECT_EQ(error_of({"--manage-all-nodes", "--write-concurrency", "aimd"}),
              "--write-concurrency: expected fixed or adaptive, got \"aimd\"");
}
