#include "apps/ghostlet/options.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using ghost::ghostlet::options_error;
using ghost::ghostlet::parse_options;

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

    auto bad_kind = write_temp("bad-kind.yaml", "apiVersion: v1\nkind: ConfigMap\n");
    err = error_of({"--manage-all-nodes", "-c", bad_kind});
    EXPECT_NE(err.find("kind: expected KwokConfiguration or Stage"), std::string::npos) << err;

    err = error_of({"--manage-all-nodes", "-c", "/nonexistent/ghost.yaml"});
    EXPECT_NE(err.find("cannot open"), std::string::npos) << err;
}
