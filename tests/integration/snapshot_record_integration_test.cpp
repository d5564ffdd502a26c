// ghostctl snapshot export --record and the replay in snapshot restore --format k8s, on one
// real cluster: changes made with kubectl over a few seconds are recorded (by ghostctl and, at
// the same time, by kwokctl v0.8.0: the two files must hold the same changes), then undone,
// and restoring each file brings them back in order, no sooner than recorded, with the pod
// bound and running as it was. Bad documents are skipped with one line each.
#include "tests/integration/cluster_fixture.hpp"

#include "apps/ghostctl/snapshot_format.hpp"
#include "apps/ghostctl/snapshot_record.hpp"
#include "engine/subprocess.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <iostream>

#include <csignal>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace ghost::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;
using steady = std::chrono::steady_clock;

// `kubectl get configmaps -w` with the time each line arrived.
timed_command configmap_watch(const fs::path& kubectl, const fs::path& kubeconfig) {
    return timed_command({kubectl.string(), "--kubeconfig", kubeconfig.string(), "get",
                          "configmaps", "-n", "rec", "--watch", "--output-watch-events",
                          "--no-headers", "-o",
                          "custom-columns=T:.type,N:.object.metadata.name,V:.object.data.v"});
}

// The recorded changes of namespace rec: "method resource name" and offsets.
struct recorded {
    std::vector<std::string> changes;
    std::vector<std::chrono::nanoseconds> offsets;
    std::vector<json::object> bodies;   // times as "T"
};

recorded changes_in(const fs::path& file, std::size_t bad_documents = 0) {
    static const std::regex offset(R"(\$\(time-offset-nanosecond -?\d+\))");
    auto text = std::regex_replace(read_text(file), offset, "T");
    auto contents = ghostctl::read_snapshot_text(text, file.string());
    EXPECT_EQ(contents.errors.size(), bad_documents)
        << (contents.errors.empty() ? "" : contents.errors.front());
    recorded r;
    for (const auto& sp : contents.patches) {
        if (sp.patch.ns != "rec") continue;
        const char* m = sp.patch.method == ghostctl::patch_method::create  ? "create"
                        : sp.patch.method == ghostctl::patch_method::patch ? "patch"
                                                                           : "delete";
        r.changes.push_back(std::string(m) + " " + sp.patch.resource + " " + sp.patch.name);
        r.offsets.push_back(sp.patch.offset);
        r.bodies.push_back(sp.patch.body);
    }
    return r;
}

class snapshot_record_it : public cluster_fixture {
protected:
    fs::path kubeconfig() { return work_ / "clusters" / name_ / "kubeconfig.yaml"; }

    std::string cm_value(const std::string& name) {
        auto r = kubectl({"get", "configmap", name, "-n", "rec", "-o", "jsonpath={.data.v}"});
        return r.exit_code == 0 ? r.output : "<" + r.output + ">";
    }
    bool exists(const std::string& what) {
        return kubectl({"get", what, "-n", "rec"}).exit_code == 0;
    }
    // Back to the state the snapshot holds: a gone, b gone, base v=1, no pod.
    void undo_changes() {
        kubectl({"delete", "configmap", "a", "b", "-n", "rec", "--ignore-not-found"});
        auto r = kubectl({"delete", "pod", "p1", "-n", "rec", "--grace-period=0", "--force",
                          "--ignore-not-found"});
        ASSERT_EQ(r.exit_code, 0) << r.output;
        r = kubectl({"patch", "configmap", "base", "-n", "rec", "-p", R"({"data":{"v":"1"}})"});
        ASSERT_EQ(r.exit_code, 0) << r.output;
        ASSERT_TRUE(wait_for(30s, [&] { return !exists("pod/p1"); }));
    }

    // Restores `file` while watching the configmaps; checks the replayed order and gaps against
    // the recording and the final state. Returns restore's output.
    std::string restore_and_check(const fs::path& file, int want_exit,
                                  const std::vector<std::string>& skipped = {}) {
        const auto rec = changes_in(file, skipped.size());
        auto watch = configmap_watch(control_plane_bin_dir() / "kubectl", kubeconfig());
        // The watch's first lines are the current objects; then nothing until the restore.
        EXPECT_TRUE(wait_for(30s, [&] { return watch.lines().size() >= 2; }));
        const auto before = steady::now();
        auto r = ghostctl({"snapshot", "restore", "--format", "k8s", "--path", file.string(),
                           "--filter", "namespace,configmap,pod"});
        EXPECT_EQ(r.exit_code, want_exit) << r.output;
        std::this_thread::sleep_for(1s);   // the last events reach the watch
        watch.stop();

        // Each recorded configmap change, in recorded order, seen by the watch.
        std::vector<std::pair<std::string, std::chrono::nanoseconds>> expected;
        for (std::size_t i = 0; i < rec.changes.size(); ++i) {
            const auto& c = rec.changes[i];
            if (c.find(" configmaps ") == std::string::npos) continue;
            if (std::find(skipped.begin(), skipped.end(), c) != skipped.end()) continue;
            const std::string name = c.substr(c.rfind(' ') + 1);
            const std::string type = c.starts_with("create") ? "ADDED"
                                     : c.starts_with("patch") ? "MODIFIED"
                                                              : "DELETED";
            expected.emplace_back(type + " " + name, rec.offsets[i]);
        }
        std::vector<steady::time_point> seen;
        std::size_t next = 0;
        std::string all;
        for (const auto& [when, line] : watch.lines()) {
            all += line + "\n";
            if (when < before || next >= expected.size()) continue;
            std::istringstream words(line);
            std::string type, name;
            words >> type >> name;
            if (type + " " + name == expected[next].first) {
                seen.push_back(when);
                ++next;
            }
        }
        EXPECT_EQ(next, expected.size()) << "watch saw:\n" << all << r.output;
        // Never sooner than recorded: each gap at least the recorded one, less the first
        // write's own latency (the schedule is kept from the replay's start, 0.3 s allowed).
        for (std::size_t i = 1; i < seen.size(); ++i) {
            const auto recorded_gap = expected[i].second - expected[0].second;
            EXPECT_GE(seen[i] - seen[0], recorded_gap - 300ms)
                << expected[i].first << " came " << (seen[i] - seen[0]).count() / 1e6
                << " ms after " << expected[0].first << ", recorded "
                << recorded_gap.count() / 1e6 << " ms";
        }
        // How late each replayed change came against the recording (reported, not bounded:
        // the API server's latency is not the replay's to promise).
        std::chrono::nanoseconds latest{0};
        for (std::size_t i = 1; i < seen.size(); ++i)
            latest = std::max(latest, (seen[i] - seen[0]) - (expected[i].second - expected[0].second));
        std::cout << "[ replay ] " << seen.size() << " changes, latest "
                  << std::chrono::duration_cast<std::chrono::milliseconds>(latest).count()
                  << " ms behind the recorded schedule\n";
        // The final state is the recording's.
        EXPECT_EQ(cm_value("base"), "2");
        EXPECT_FALSE(exists("configmap/a"));
        EXPECT_EQ(cm_value("b"), "1");
        return r.output;
    }
};

TEST_F(snapshot_record_it, recorded_changes_replay_in_order_with_their_gaps) {
    const auto bin = control_plane_bin_dir();
    for (const char* tool : {"kwokctl", "kubectl"}) {
        ASSERT_TRUE(fs::exists(bin / tool))
            << bin / tool << " missing: run tools/get-control-plane.sh";
    }
    ::setenv("KWOK_WORKDIR", (work_ / "kwok").c_str(), 1);
    ASSERT_NO_FATAL_FAILURE(create_cluster("rec"));
    ASSERT_EQ(ghostctl({"scale", "node", "--replicas", "1"}).exit_code, 0);
    const std::string node = first_node_name();
    ASSERT_FALSE(node.empty());
    ASSERT_EQ(kubectl({"create", "namespace", "rec"}).exit_code, 0);
    ASSERT_EQ(kubectl({"create", "configmap", "base", "-n", "rec", "--from-literal=v=1"}).exit_code,
              0);

    // Bad input first: one line, exit 2, nothing written.
    const auto ours = work_ / "ghostctl.yaml";
    const auto theirs = work_ / "kwokctl.yaml";
    std::ofstream(work_ / "taken.yaml") << "x";
    auto taken = ghostctl({"snapshot", "export", "--kubeconfig", kubeconfig().string(), "--path",
                           (work_ / "taken.yaml").string()});
    EXPECT_EQ(taken.exit_code, 2);
    EXPECT_EQ(taken.output, "ghostctl: snapshot export: file \"" + (work_ / "taken.yaml").string() +
                                "\" already exists\n");
    auto no_config = ghostctl({"snapshot", "export", "--kubeconfig", (work_ / "none").string(),
                               "--path", ours.string()});
    EXPECT_EQ(no_config.exit_code, 2) << no_config.output;
    EXPECT_EQ(no_config.output.find('\n'), no_config.output.size() - 1) << no_config.output;
    EXPECT_FALSE(fs::exists(ours));

    const std::string filter = "namespace,configmap,pod";
    background g({GHOSTCTL_BINARY, "snapshot", "export", "--kubeconfig", kubeconfig().string(),
                  "--record", "--path", ours.string(), "--filter", filter},
                 work_ / "ghostctl-export.log");
    background k({(bin / "kwokctl").string(), "snapshot", "export", "--kubeconfig",
                  kubeconfig().string(), "--record", "--path", theirs.string(), "--filter", filter},
                 work_ / "kwokctl-export.log");
    ASSERT_TRUE(wait_for(30s, [&] {
        return read_text(g.log).find("recording changes") != std::string::npos &&
               read_text(k.log).find("Recording") != std::string::npos;
    })) << read_text(g.log) << read_text(k.log);

    auto step = [&](std::vector<std::string> args) {
        auto r = kubectl(std::move(args));
        ASSERT_EQ(r.exit_code, 0) << r.output;
        std::this_thread::sleep_for(1500ms);
    };
    step({"create", "configmap", "a", "-n", "rec", "--from-literal=v=1"});
    step({"patch", "configmap", "base", "-n", "rec", "-p", R"({"data":{"v":"2"}})"});
    step({"label", "configmap", "a", "-n", "rec", "x=y"});
    step({"delete", "configmap", "a", "-n", "rec"});
    step({"create", "configmap", "b", "-n", "rec", "--from-literal=v=1"});
    apply(R"(apiVersion: v1
kind: Pod
metadata: {name: p1, namespace: rec}
spec:
  tolerations: [{operator: Exists}]
  containers: [{name: c, image: busybox}]
)");
    ASSERT_TRUE(wait_for(60s, [&] {
        return str(kubectl_json({"get", "pod", "p1", "-n", "rec"}), {"status", "phase"}) ==
               "Running";
    }));
    std::this_thread::sleep_for(1s);
    EXPECT_EQ(g.interrupt(), 0) << read_text(g.log);
    EXPECT_EQ(k.interrupt(), 0) << read_text(k.log);
    ASSERT_TRUE(fs::exists(ours)) << read_text(g.log);
    EXPECT_FALSE(fs::exists(ours.string() + ".part"));
    EXPECT_NE(read_text(g.log).find("recorded "), std::string::npos) << read_text(g.log);

    // Both recorders saw the same changes, and computed the same patches.
    const auto mine = changes_in(ours);
    const auto kwoks = changes_in(theirs);
    const std::vector<std::string> configmap_changes{
        "create configmaps a", "patch configmaps base", "patch configmaps a",
        "delete configmaps a", "create configmaps b"};
    std::vector<std::string> cms;
    for (const auto& c : mine.changes)
        if (c.find(" configmaps ") != std::string::npos) cms.push_back(c);
    EXPECT_EQ(cms, configmap_changes);
    EXPECT_EQ(mine.changes, kwoks.changes);
    ASSERT_EQ(mine.bodies.size(), kwoks.bodies.size());
    for (std::size_t i = 0; i < mine.bodies.size(); ++i) {
        EXPECT_EQ(json::value(mine.bodies[i]), json::value(kwoks.bodies[i]))
            << mine.changes[i] << "\nghostctl: " << json::serialize(mine.bodies[i])
            << "\nkwokctl:  " << json::serialize(kwoks.bodies[i]);
    }
    // Offsets from the recording's start, about 1.5 s apart.
    for (std::size_t i = 1; i < 5 && i < mine.offsets.size(); ++i)
        EXPECT_GE(mine.offsets[i] - mine.offsets[i - 1], 1400ms) << mine.changes[i];

    // ghostctl's own file.
    ASSERT_NO_FATAL_FAILURE(undo_changes());
    auto out = restore_and_check(ours, 0);
    EXPECT_NE(out.find("replayed " + std::to_string(mine.changes.size())), std::string::npos)
        << out;
    auto pod = kubectl_json({"get", "pod", "p1", "-n", "rec"});
    EXPECT_EQ(str(pod, {"spec", "nodeName"}), node);   // bound as recorded
    EXPECT_EQ(str(pod, {"status", "phase"}), "Running");

    // kwokctl's file, with the label patch broken: skipped with one line, the rest replayed.
    ASSERT_NO_FATAL_FAILURE(undo_changes());
    auto text = read_text(theirs);
    const std::string label_patch = "method: patch\nresource:\n  resource: configmaps\n"
                                    "  version: v1\ntarget:\n  name: a\n";
    auto at = text.find(label_patch);
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 13, "method: frob");
    const auto broken = work_ / "kwokctl-broken.yaml";
    std::ofstream(broken) << text;
    out = restore_and_check(broken, 2, {"patch configmaps a"});
    const std::regex one_line(
        R"(error: [^\n]*kwokctl-broken\.yaml:\d+: document \d+: ResourcePatch: )"
        R"(method: expected create, patch or delete, got "frob"\n)");
    EXPECT_TRUE(std::regex_search(out, one_line)) << out;
    pod = kubectl_json({"get", "pod", "p1", "-n", "rec"});
    EXPECT_EQ(str(pod, {"spec", "nodeName"}), node);
    ::unsetenv("KWOK_WORKDIR");
}

}  // namespace
}  // namespace ghost::testing
