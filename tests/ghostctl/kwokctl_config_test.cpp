// create cluster -c: KwokctlConfiguration options onto the flags (command line wins),
// componentsPatches onto the components, the heartbeat factor and the file ghostlet gets.
#include "apps/ghostctl/components.hpp"
#include "apps/ghostctl/kwokctl_config.hpp"
#include "apps/ghostctl/options.hpp"
#include "tests/ghostctl/component_fixtures.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>

namespace ghost::ghostctl {
namespace {

namespace fs = std::filesystem;
using testing::find;
using testing::has;

class kwokctl_config : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("ghostctl-cfg-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string file(const std::string& name, const std::string& text) {
        auto p = dir_ / name;
        std::ofstream(p) << text;
        return p.string();
    }
    // Parses the command line, reads -c and applies it as main does.
    command load(std::vector<std::string> args, kwokctl_documents* docs_out = nullptr) {
        auto cmd = parse_command_line(args);
        auto docs = read_kwokctl_documents(cmd.config_paths);
        apply_kwokctl_options(cmd, docs);
        if (docs_out) *docs_out = docs;
        return cmd;
    }
    std::string error_of(const std::string& text) {
        auto path = file("bad.yaml", text);
        try {
            load({"create", "cluster", "-c", path});
        } catch (const config_error& e) {
            return e.what();
        }
        return "";
    }
    fs::path dir_;
};

const char* const header =
    "apiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokctlConfiguration\n";

component_inputs inputs(create_options o) {
    component_inputs in;
    in.layout.dir = "/w/clusters/c";
    in.bin_dir = "/bin-dir";
    in.ghostlet_binary = "/build/ghostlet/ghostlet";
    in.ports = {{"etcd-peer", 100}, {"etcd-client", 101}, {"kube-apiserver", 102},
                {"kube-controller-manager", 103}, {"kube-scheduler", 104}, {"ghostlet", 105}};
    in.options = std::move(o);
    return in;
}

TEST_F(kwokctl_config, options_become_flags_and_the_command_line_wins) {
    auto cfg = file("cfg.yaml", std::string(header) +
                                    "options:\n"
                                    "  heartbeatFactor: 2.5\n"
                                    "  kubeApiserverPort: 6444\n"
                                    "  disable: [kube-scheduler]\n"
                                    "  enableCRDs: [Stage, Metric]\n"
                                    "  kubeAuthorization: false\n"
                                    "  kubeFeatureGates: A=true\n"
                                    "  nodeLeaseDurationSeconds: 0\n"
                                    "  kubeVersion: v1.36.1\n");
    kwokctl_documents docs;
    auto c = load({"create", "cluster", "-c", cfg, "--kube-apiserver-port", "7000"}, &docs);
    EXPECT_DOUBLE_EQ(c.create.heartbeat_factor, 2.5);
    EXPECT_EQ(*c.create.kube_apiserver_port, 7000) << "the flag wins over the file";
    EXPECT_EQ(c.create.disabled, (std::set<std::string>{"kube-scheduler"}));
    EXPECT_EQ(c.create.enable_crds, (std::vector<std::string>{"Stage", "Metric"}));
    EXPECT_FALSE(c.create.kube_authorization);
    EXPECT_EQ(c.create.kube_feature_gates, "A=true");
    EXPECT_EQ(c.create.node_lease_duration_seconds, 40) << "0 is kwokctl's unset: the default";
    ASSERT_EQ(docs.warnings.size(), 1u);
    EXPECT_NE(docs.warnings[0].find("cfg.yaml (document 1): options.kubeVersion"),
              std::string::npos);
}

TEST_F(kwokctl_config, bad_input_names_file_document_and_field) {
    auto unknown_option = error_of(std::string("apiVersion: config.kwok.x-k8s.io/v1alpha1\n"
                                                "kind: KwokConfiguration\n---\n") +
                                    header + "options:\n  bogus: 1\n");
    EXPECT_NE(unknown_option.find("bad.yaml (document 2): options.bogus: unknown"),
              std::string::npos)
        << unknown_option;
    auto bad_value = error_of(std::string(header) + "options:\n  heartbeatFactor: fast\n");
    EXPECT_NE(bad_value.find("options.heartbeatFactor: expected a number"), std::string::npos)
        << bad_value;
    auto bad_runtime = error_of(std::string(header) + "options:\n  runtime: docker\n");
    EXPECT_NE(bad_runtime.find("options.runtime: runtime \"docker\" needs a container engine"),
              std::string::npos)
        << bad_runtime;
    auto bad_kind = error_of("apiVersion: v1\nkind: Widget\n");
    EXPECT_NE(bad_kind.find("bad.yaml (document 1): kind: unknown kind \"Widget\""),
              std::string::npos)
        << bad_kind;
    auto bad_patch = error_of(std::string(header) +
                              "componentsPatches:\n- name: kube-apiserver\n  extraFlags: []\n");
    EXPECT_NE(bad_patch.find("componentsPatches[0].extraFlags: unknown field"), std::string::npos)
        << bad_patch;
    auto bad_component =
        error_of(std::string(header) + "componentsPatches:\n- name: kube-apiservr\n");
    EXPECT_NE(bad_component.find("componentsPatches[0].name: unknown component \"kube-apiservr\""),
              std::string::npos)
        << bad_component;
    EXPECT_EQ(error_of(std::string(header) + "componentsPatches:\n- name: prometheus\n"), "")
        << "a kwokctl component ghostctl does not run: a warning";
    auto bad_field = error_of(std::string(header) + "spec: {}\n");
    EXPECT_NE(bad_field.find("(document 1): spec: unknown KwokctlConfiguration field"),
              std::string::npos)
        << bad_field;
    EXPECT_NE(error_of("a: [").find("bad.yaml:"), std::string::npos);
}

TEST_F(kwokctl_config, components_patches_reach_the_processes) {
    auto cfg = file("cfg.yaml", std::string(header) +
                                    "componentsPatches:\n"
                                    "- name: kube-apiserver\n"
                                    "  extraArgs:\n"
                                    "  - {key: max-requests-inflight, value: '123'}\n"
                                    "  - {key: secure-port, value: '9', override: true}\n"
                                    "  - {key: no-such-flag, value: x, override: true}\n"
                                    "  extraEnvs:\n"
                                    "  - {name: GODEBUG, value: x509sha1=1}\n"
                                    "- name: kwok-controller\n"
                                    "  extraArgs:\n"
                                    "  - {key: cidr, value: 10.1.0.0/16}\n"
                                    "  extraVolumes:\n"
                                    "  - {hostPath: /tmp, mountPath: /tmp}\n"
                                    "components:\n"
                                    "- name: my-sidecar\n"
                                    "  binary: /bin/true\n");
    kwokctl_documents docs;
    auto c = load({"create", "cluster", "-c", cfg}, &docs);
    std::vector<std::string> warnings;
    auto in = inputs(c.create);
    in.warnings = &warnings;
    auto v = build_components(in);
    const auto* api = find(v, "kube-apiserver");
    EXPECT_EQ(api->args.back(), "--max-requests-inflight=123") << "appended, as kwokctl";
    EXPECT_TRUE(has(api, "--secure-port=9"));
    EXPECT_FALSE(has(api, "--secure-port=102")) << "override replaces the built-in value";
    EXPECT_EQ(api->env, (std::vector<std::pair<std::string, std::string>>{{"GODEBUG", "x509sha1=1"}}));
    EXPECT_TRUE(has(find(v, "ghostlet"), "--cidr=10.1.0.0/16")) << "kwok-controller is ghostlet";
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("--no-such-flag matches no argument"), std::string::npos);
    // The volume and the custom component are named, not silently dropped.
    ASSERT_EQ(docs.warnings.size(), 2u);
    EXPECT_NE(docs.warnings[0].find("componentsPatches[1].extraVolumes"), std::string::npos);
    EXPECT_NE(docs.warnings[1].find("components[0] (my-sidecar): custom components are not run"),
              std::string::npos);
}

TEST(heartbeat_factor, fractional_factor_stretches_every_period_as_kwokctl) {
    auto o = parse_command_line({"create", "cluster", "--heartbeat-factor", "2.5"}).create;
    EXPECT_DOUBLE_EQ(o.heartbeat_factor, 2.5);
    auto v = build_components(inputs(o));
    const auto* kcm = find(v, "kube-controller-manager");
    EXPECT_TRUE(has(kcm, "--node-monitor-period=12.5s"));
    EXPECT_TRUE(has(kcm, "--node-monitor-grace-period=1m40s"));
    EXPECT_TRUE(has(find(v, "ghostlet"), "--node-lease-duration-seconds=100"));
    apply_heartbeat_factor(o);
    EXPECT_EQ(o.node_status_update_frequency_ms, 25000);
    EXPECT_DOUBLE_EQ(o.heartbeat_factor, 1);
    apply_heartbeat_factor(o);  // once only: the factor is 1 now
    EXPECT_EQ(o.node_lease_duration_seconds, 100);
}

std::pair<std::int64_t, std::int64_t> ms_pair(std::int64_t a, std::int64_t b) { return {a, b}; }

TEST(heartbeat_factor, go_duration_text) {
    EXPECT_EQ(go_duration_string(12500), "12.5s");
    EXPECT_EQ(go_duration_string(100000), "1m40s");
    EXPECT_EQ(go_duration_string(3'600'000), "1h0m0s");
    EXPECT_EQ(go_duration_string(250), "250ms");
    EXPECT_EQ(go_duration_string(1001), "1.001s");
}

TEST(heartbeat_factor, heartbeat_stage_delays_follow_the_update_frequency) {
    EXPECT_EQ(stretched_heartbeat(20000, 25000, 25000), ms_pair(25000, 27500));
    EXPECT_EQ(stretched_heartbeat(600000, 610000, 25000),
              ms_pair(600000, 610000))
        << "never shortened";
    EXPECT_EQ(stretched_heartbeat(20000, 25000, 0), ms_pair(20000, 25000));
}

// The delays of the stage named `name` in ghostlet's file (nullopt: not there).
std::optional<std::pair<std::int64_t, std::int64_t>> delays(const std::string& text,
                                                            const std::string& name) {
    for (const auto& doc : YAML::LoadAll(text)) {
        if (!doc["metadata"] || doc["metadata"]["name"].as<std::string>() != name) continue;
        auto d = doc["spec"]["delay"];
        if (!d) return std::make_pair(std::int64_t{0}, std::int64_t{0});
        return std::make_pair(d["durationMilliseconds"].as<std::int64_t>(),
                              d["jitterDurationMilliseconds"].as<std::int64_t>());
    }
    return std::nullopt;
}

TEST(ghostlet_config, default_stages_with_the_heartbeat_stretched) {
    auto o = parse_command_line({"create", "cluster", "--heartbeat-factor", "2.5",
                                 "--node-lease-duration-seconds", "0"})
                 .create;
    apply_heartbeat_factor(o);
    auto text = ghostlet_config_text(o, {}, false);
    EXPECT_EQ(delays(text, "node-heartbeat"), ms_pair(25000, 27500));
    EXPECT_EQ(delays(text, "node-heartbeat-with-lease"), std::nullopt);
    EXPECT_TRUE(delays(text, "pod-ready"));
    EXPECT_NE(text.find("kind: KwokctlConfiguration"), std::string::npos);
    EXPECT_NE(text.find("heartbeatFactor: 1"), std::string::npos) << "saved after the mutation";
    EXPECT_EQ(text.find("kind: Metric"), std::string::npos);

    // With leases the lease stage's 600 s is above 25 s already: unchanged, as kwokctl.
    auto leased = parse_command_line({"create", "cluster", "--heartbeat-factor", "2.5"}).create;
    apply_heartbeat_factor(leased);
    EXPECT_EQ(delays(ghostlet_config_text(leased, {}, false), "node-heartbeat-with-lease"),
              ms_pair(600000, 610000));
}

TEST(ghostlet_config, user_stages_replace_the_defaults_of_their_kind_and_keep_their_types) {
    kwokctl_documents docs;
    docs.ghostlet_documents = {
        "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata: {name: mine}\n"
        "spec: {resourceRef: {apiGroup: v1, kind: Node}, selector: {matchExpressions: "
        "[{key: .x, operator: In, values: ['True']}]}}\n"};
    docs.node_stages = true;
    create_options o;
    auto text = ghostlet_config_text(o, docs, true);
    EXPECT_EQ(delays(text, "node-initialize"), std::nullopt);
    EXPECT_TRUE(delays(text, "pod-ready")) << "Pod kept its defaults";
    EXPECT_NE(text.find("kind: Metric"), std::string::npos) << "metrics-server defaults";
    o.enable_crds = {"Stage"};
    docs.ghostlet_kinds = {"Stage"};
    std::vector<std::string> warnings;
    auto with_crd = ghostlet_config_text(o, docs, false, &warnings);
    EXPECT_EQ(delays(with_crd, "pod-ready"), std::nullopt)
        << "Stage served as custom resources: no stages in the file (as kwokctl)";
    EXPECT_EQ(delays(with_crd, "mine"), std::nullopt);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("a Stage document is not passed to ghostlet"), std::string::npos);
}

TEST_F(kwokctl_config, documents_for_ghostlet_read_back_with_the_same_types) {
    auto cfg = file("stage.yaml",
                    "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata: {name: s}\n"
                    "spec:\n  resourceRef: {apiGroup: v1, kind: Pod}\n"
                    "  selector:\n    matchExpressions:\n"
                    "    - {key: .a, operator: In, values: ['True', \"5\", plain]}\n"
                    "  delay: {durationMilliseconds: 7}\n");
    kwokctl_documents docs;
    load({"create", "cluster", "-c", cfg}, &docs);
    EXPECT_TRUE(docs.pod_stages);
    EXPECT_FALSE(docs.node_stages);
    ASSERT_EQ(docs.ghostlet_documents.size(), 1u);
    auto doc = YAML::Load(docs.ghostlet_documents[0]);
    auto values = doc["spec"]["selector"]["matchExpressions"][0]["values"];
    EXPECT_EQ(values[0].Tag(), "!") << "'True' stays a quoted string";
    EXPECT_EQ(values[1].Tag(), "!");
    EXPECT_EQ(values[2].Tag(), "?");
    EXPECT_EQ(doc["spec"]["delay"]["durationMilliseconds"].Tag(), "?");
}

TEST_F(kwokctl_config, the_default_file_goes_first_when_it_exists) {
    const auto def = dir_ / "ghost.yaml";
    // Missing: nothing is added, and naming it does not fail (kwokctl drops it).
    EXPECT_EQ(with_default_config({"a.yaml"}, def), std::vector<std::string>{"a.yaml"});
    EXPECT_EQ(with_default_config({def.string(), "a.yaml"}, def),
              std::vector<std::string>{"a.yaml"});
    file("ghost.yaml", std::string(header) + "options:\n  heartbeatFactor: 3\n"
                       "  etcdPrefix: /from-default\n");
    EXPECT_EQ(with_default_config({"a.yaml"}, def),
              (std::vector<std::string>{def.string(), "a.yaml"}));
    EXPECT_EQ(with_default_config({}, def), std::vector<std::string>{def.string()});
    EXPECT_EQ(with_default_config({"a.yaml", (dir_ / "." / "ghost.yaml").string()}, def),
              (std::vector<std::string>{"a.yaml", (dir_ / "." / "ghost.yaml").string()}))
        << "named explicitly: it stays where it was given";
    // Precedence: -c files over the default file, flags over both.
    auto cfg = file("cfg.yaml", std::string(header) + "options:\n  heartbeatFactor: 2\n");
    auto cmd = parse_command_line({"create", "cluster", "-c", cfg, "--etcd-prefix", "/flag"});
    apply_kwokctl_options(cmd, read_kwokctl_documents(with_default_config(cmd.config_paths, def)));
    EXPECT_EQ(cmd.create.heartbeat_factor, 2);
    EXPECT_EQ(cmd.create.etcd_prefix, "/flag");
    auto plain = parse_command_line({"create", "cluster"});
    apply_kwokctl_options(plain, read_kwokctl_documents(with_default_config({}, def)));
    EXPECT_EQ(plain.create.heartbeat_factor, 3);
    EXPECT_EQ(plain.create.etcd_prefix, "/from-default");
}

}  // namespace
}  // namespace ghost::ghostctl
