// The ghostlet binary's start-up errors: one line on stderr naming the file, the field and what
// was expected, and exit code 2 — before any connection is attempted.
#include "engine/subprocess.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;

struct outcome {
    int exit_code = -1;
    std::string output;
};

outcome run_ghostlet(std::vector<std::string> args) {
    ghost::engine::spawn_options o;
    o.argv = {GHOSTLET_BINARY};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    auto r = ghost::engine::run_capture(o);
    return {r.exit_code, std::move(r.output)};
}

std::string write_file(const std::string& name, const std::string& text) {
    auto path = fs::temp_directory_path() / ("ghostlet-cli-" + name);
    std::ofstream(path) << text;
    return path.string();
}

std::size_t line_count(const std::string& s) {
    return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

const char* const good_kubeconfig = R"(apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:1
    insecure-skip-tls-verify: true
users:
- name: u
  user:
    token: abc
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
)";

}  // namespace

TEST(ghostlet_cli, unknown_flag) {
    auto o = run_ghostlet({"--manage-all-nodes", "--no-such-flag"});
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_NE(o.output.find("unknown flag: --no-such-flag"), std::string::npos) << o.output;
    EXPECT_EQ(line_count(o.output), 1u) << o.output;
}

TEST(ghostlet_cli, bad_flag_value) {
    auto o = run_ghostlet({"--manage-all-nodes", "--node-lease-duration-seconds=soon"});
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_NE(o.output.find("--node-lease-duration-seconds: expected an integer"),
              std::string::npos)
        << o.output;
}

TEST(ghostlet_cli, bad_stage_names_file_stage_and_field) {
    auto file = write_file("bad-stage.yaml", R"(apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: broken
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - key: .status.phase
      operator: Sometimes
      values: [Running]
)");
    auto o = run_ghostlet({"--manage-all-nodes", "-c", file});
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_NE(o.output.find(file), std::string::npos) << o.output;
    EXPECT_NE(o.output.find("broken"), std::string::npos) << o.output;
    EXPECT_NE(o.output.find("operator"), std::string::npos) << o.output;
    EXPECT_EQ(line_count(o.output), 1u) << o.output;
}

TEST(ghostlet_cli, bad_template_is_refused_at_start_up) {
    auto file = write_file("bad-template.yaml", R"(apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: bad-template
spec:
  resourceRef: {apiGroup: v1, kind: Node}
  selector: {}
  next:
    statusTemplate: |
      phase: {{ .status.phase | NoSuchFunction }}
)");
    auto o = run_ghostlet({"--manage-all-nodes", "-c", file});
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_NE(o.output.find("bad-template"), std::string::npos) << o.output;
    EXPECT_NE(o.output.find("NoSuchFunction"), std::string::npos) << o.output;
}

// CEL errors at load: a syntax error, an unknown function and a type error, each one line
// naming the file, the stage, the field and the column, exit 2.
TEST(ghostlet_cli, bad_cel_is_one_line_with_file_stage_field_and_column) {
    struct bad_case {
        const char* expression;
        const char* expect;
    };
    for (auto c : {bad_case{"self.status.phase == 1 +", "CEL column 25: "},
                   bad_case{"NoSuchFunction(self)", "NoSuchFunction"},
                   bad_case{"1 + 'a'", "CEL column 3: "}}) {
        auto file = write_file("bad-cel.yaml", std::string(R"(apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: bad-cel}
spec:
  resourceRef: {apiGroup: v1, kind: PersistentVolumeClaim}
  selector:
    matchExpressions:
    - cel: {expression: ")") + c.expression + "\"}\n");
        auto o = run_ghostlet({"--manage-all-nodes", "-c", file});
        EXPECT_EQ(o.exit_code, 2) << o.output;
        EXPECT_NE(o.output.find(file + " (document 1): stage \"bad-cel\": "
                                "spec.selector.matchExpressions[0].cel.expression: "),
                  std::string::npos)
            << o.output;
        EXPECT_NE(o.output.find(c.expect), std::string::npos) << o.output;
        EXPECT_EQ(line_count(o.output), 1u) << o.output;
    }
}

TEST(ghostlet_cli, bad_kubeconfig_names_the_field) {
    auto file = write_file("bad-kubeconfig.yaml", R"(apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: "!!!not base64!!!"
users:
- name: u
  user: {token: abc}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
)");
    auto o = run_ghostlet({"--manage-all-nodes", "--kubeconfig", file});
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_NE(o.output.find(file), std::string::npos) << o.output;
    EXPECT_NE(o.output.find("certificate-authority-data"), std::string::npos) << o.output;
}

TEST(ghostlet_cli, missing_manage_mode) {
    auto kubeconfig = write_file("good-kubeconfig.yaml", good_kubeconfig);
    auto o = run_ghostlet({"--kubeconfig", kubeconfig});
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_NE(o.output.find("no nodes are managed"), std::string::npos) << o.output;
}

TEST(ghostlet_cli, missing_config_path_is_one_line_exit_2) {
    auto o = run_ghostlet({"--manage-all-nodes", "-c", "/nonexistent/kwok.yaml"});
    EXPECT_EQ(o.exit_code, 2) << o.output;
    EXPECT_NE(o.output.find("/nonexistent/kwok.yaml"), std::string::npos) << o.output;
    EXPECT_EQ(line_count(o.output), 1u) << o.output;
}

TEST(ghostlet_cli, unreadable_config_file_is_one_line_exit_2) {
    auto file = write_file("unreadable.yaml", "kind: KwokConfiguration\n");
    fs::permissions(file, fs::perms::none);
    // root reads anything: run as nobody then (setpriv, util-linux).
    ghost::engine::spawn_options opts;
    if (::geteuid() == 0)
        opts.argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"};
    opts.argv.insert(opts.argv.end(), {GHOSTLET_BINARY, "--manage-all-nodes", "-c", file});
    auto r = ghost::engine::run_capture(opts);
    outcome o{r.exit_code, std::move(r.output)};
    EXPECT_EQ(o.exit_code, 2) << o.output;
    EXPECT_NE(o.output.find(file), std::string::npos) << o.output;
    EXPECT_NE(o.output.find("Permission denied"), std::string::npos) << o.output;
    EXPECT_EQ(line_count(o.output), 1u) << o.output;
}

TEST(ghostlet_cli, config_directory_without_yaml_is_one_line_exit_2) {
    auto dir = fs::temp_directory_path() / "ghostlet-cli-empty-dir";
    fs::create_directories(dir);
    auto o = run_ghostlet({"--manage-all-nodes", "-c", dir.string()});
    EXPECT_EQ(o.exit_code, 2) << o.output;
    EXPECT_NE(o.output.find(dir.string()), std::string::npos) << o.output;
    EXPECT_EQ(line_count(o.output), 1u) << o.output;
}

TEST(ghostlet_cli, help_lists_kwoks_flags) {
    auto o = run_ghostlet({"--help"});
    EXPECT_EQ(o.exit_code, 0);
    for (const char* flag : {"-c, --config strings", "--tls-cert-file string", "--enable-crds",
                             "--tracing-endpoint", "--node-lease-duration-seconds int"}) {
        EXPECT_NE(o.output.find(flag), std::string::npos) << flag << "\n" << o.output;
    }
}
