// `ghostctl create cluster -c cfg.yaml` against a real control plane: a KwokctlConfiguration
// (heartbeat factor 2.5, componentsPatches for kube-apiserver and kwok-controller) and a Pod
// Stage of the test's own. The args and environment are on the processes, the Stage plays, the
// heartbeat periods and the node heartbeat stage's delays are stretched as kwokctl's are; a
// --dry-run line runs as printed; bad input is one line, exit 2, nothing created.
#include "tests/integration/cluster_fixture.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace ghost::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const char* const config_yaml = R"(apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  heartbeatFactor: 2.5
  kubeVersion: v1.36.1
componentsPatches:
- name: kube-apiserver
  extraArgs:
  - key: max-requests-inflight
    value: "123"
  extraEnvs:
  - name: GHOST_IT_FROM_CONFIG
    value: "yes"
- name: kwok-controller
  extraArgs:
  - key: cidr
    value: 10.77.0.0/16
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: it-pod-running
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - key: .status.phase
      operator: In
      values: [Pending]
    - key: .metadata.deletionTimestamp
      operator: DoesNotExist
  next:
    statusTemplate: |
      phase: Running
      message: played-by-the-config-stage
      podIP: {{ PodIP }}
)";

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// NUL-separated /proc file as words.
std::vector<std::string> proc_words(const std::string& pid, const char* file) {
    auto text = read_text("/proc/" + pid + "/" + file);
    std::vector<std::string> out;
    std::string cur;
    for (char c : text) {
        if (c == '\0') {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    return out;
}

bool has(const std::vector<std::string>& v, const std::string& w) {
    return std::find(v.begin(), v.end(), w) != v.end();
}

class kwokctl_config_it : public cluster_fixture {
protected:
    fs::path write(const std::string& name, const std::string& text) {
        auto p = work_ / name;
        std::ofstream(p) << text;
        return p;
    }
    std::vector<std::string> cmdline(const std::string& component, const char* file = "cmdline") {
        auto pid = read_text(work_ / "clusters" / name_ / "pids" / (component + ".pid"));
        while (!pid.empty() && pid.back() == '\n') pid.pop_back();
        return proc_words(pid, file);
    }
};

TEST_F(kwokctl_config_it, config_file_patches_components_plays_its_stage_and_stretches_heartbeats) {
    auto cfg = write("cfg.yaml", config_yaml);
    // The flag on the command line (kwokctl's way to turn node leases off) joins the file.
    name_ = "gl" + std::to_string(::getpid() % 100000) + "-cfg";
    auto created = run_process({GHOSTCTL_BINARY, "create", "cluster", "--name", name_, "-c",
                                cfg.string(), "--node-lease-duration-seconds", "0"});
    ASSERT_EQ(created.exit_code, 0) << created.output;
    EXPECT_NE(created.output.find("cfg.yaml (document 1): options.kubeVersion: not used"),
              std::string::npos)
        << created.output;

    // componentsPatches are on the processes.
    auto api = cmdline("kube-apiserver");
    EXPECT_TRUE(has(api, "--max-requests-inflight=123"));
    EXPECT_TRUE(has(cmdline("kube-apiserver", "environ"), "GHOST_IT_FROM_CONFIG=yes"));
    auto ghostlet = cmdline("ghostlet");
    EXPECT_TRUE(has(ghostlet, "--cidr=10.77.0.0/16")) << "kwok-controller's patch is ghostlet's";
    EXPECT_TRUE(has(ghostlet, "--node-lease-duration-seconds=0"));
    // The fractional factor: kcm's periods 5 s and 40 s times 2.5, in Go's duration text.
    auto kcm = cmdline("kube-controller-manager");
    EXPECT_TRUE(has(kcm, "--node-monitor-period=12.5s"));
    EXPECT_TRUE(has(kcm, "--node-monitor-grace-period=1m40s"));

    // ghostlet's --config is the effective file: the test's Stage, the default node stages
    // with the heartbeat at the stretched status update frequency (10 s x 2.5 = 25 s, jitter
    // 27.5 s), and the saved KwokctlConfiguration.
    std::string config_path;
    for (const auto& a : ghostlet)
        if (a.rfind("--config=", 0) == 0) config_path = a.substr(9);
    ASSERT_FALSE(config_path.empty());
    std::map<std::string, YAML::Node> by_name;
    for (const auto& doc : YAML::LoadAll(read_text(config_path)))
        by_name[doc["kind"].as<std::string>() + "/" + doc["metadata"]["name"].as<std::string>()] = doc;
    ASSERT_TRUE(by_name.count("Stage/it-pod-running"));
    ASSERT_TRUE(by_name.count("Stage/node-heartbeat"));
    EXPECT_FALSE(by_name.count("Stage/pod-ready")) << "the test's Pod stage replaces the defaults";
    auto delay = by_name["Stage/node-heartbeat"]["spec"]["delay"];
    EXPECT_EQ(delay["durationMilliseconds"].as<std::int64_t>(), 25000);
    EXPECT_EQ(delay["jitterDurationMilliseconds"].as<std::int64_t>(), 27500);
    ASSERT_TRUE(by_name.count("KwokctlConfiguration/"));
    EXPECT_EQ(by_name["KwokctlConfiguration/"]["options"]["heartbeatFactor"].as<double>(), 1.0);

    // The node (default node stages) gets Ready; a pod on it plays the test's Stage.
    auto scaled = ghostctl({"scale", "node", "--replicas", "1"});
    ASSERT_EQ(scaled.exit_code, 0) << scaled.output;
    auto node = first_node_name();
    ASSERT_FALSE(node.empty());
    apply("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\n"
          "spec:\n  nodeName: " + node + "\n  containers: [{name: c, image: x}]\n");
    std::string phase, message, ip;
    wait_for(60s, [&] {
        auto pod = kubectl_json({"get", "pod", "p"});
        phase = str(pod, {"status", "phase"});
        message = str(pod, {"status", "message"});
        ip = str(pod, {"status", "podIP"});
        return phase == "Running";
    });
    EXPECT_EQ(phase, "Running");
    EXPECT_EQ(message, "played-by-the-config-stage");
    EXPECT_EQ(ip.rfind("10.77.", 0), 0u) << ip << ": the pod IP comes from the patched --cidr";

    // --dry-run prints a kubectl line and creates nothing; the printed line, run, does.
    auto plan = ghostctl({"--dry-run", "scale", "node", "--replicas", "2"});
    ASSERT_EQ(plan.exit_code, 0) << plan.output;
    EXPECT_NE(plan.output.find("create --validate=false -f - <<'EOF'"), std::string::npos) << plan.output;
    EXPECT_NE(kubectl({"get", "node", "node-000001"}).exit_code, 0) << "dry run created it";
    auto ran = run_process({"/bin/sh", "-c", plan.output});
    ASSERT_EQ(ran.exit_code, 0) << ran.output;
    EXPECT_EQ(kubectl({"get", "node", "node-000001"}).exit_code, 0);

    // A dry-run delete names the kills and leaves the cluster running.
    auto del = ghostctl({"--dry-run", "delete", "cluster"});
    EXPECT_NE(del.output.find("kill $(cat "), std::string::npos) << del.output;
    auto wide = ghostctl({"get", "components", "-o", "wide"});
    EXPECT_EQ(wide.output.find("Stopped"), std::string::npos) << wide.output;
}

TEST_F(kwokctl_config_it, bad_config_is_one_line_and_exit_2_and_dry_run_creates_nothing) {
    auto bad = write("bad.yaml", "apiVersion: config.kwok.x-k8s.io/v1alpha1\n"
                                 "kind: KwokctlConfiguration\noptions:\n  heartbeatFactr: 2\n");
    auto r = run_process({GHOSTCTL_BINARY, "create", "cluster", "--name", "bad", "-c",
                          bad.string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.output, "ghostctl: " + bad.string() +
                            " (document 1): options.heartbeatFactr: unknown KwokctlConfiguration "
                            "option\n");
    EXPECT_FALSE(fs::exists(work_ / "clusters" / "bad"));

    auto cfg = write("cfg.yaml", config_yaml);
    auto dry = run_process({GHOSTCTL_BINARY, "--dry-run", "create", "cluster", "--name", "dry",
                            "-c", cfg.string()});
    ASSERT_EQ(dry.exit_code, 0) << dry.output;
    EXPECT_NE(dry.output.find("--max-requests-inflight=123"), std::string::npos);
    EXPECT_NE(dry.output.find("name: it-pod-running"), std::string::npos);
    EXPECT_FALSE(fs::exists(work_ / "clusters" / "dry"));
}

}  // namespace
}  // namespace ghost::testing
