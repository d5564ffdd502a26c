// kwokctl's other commands against one real cluster made by ghostctl: the default config file
// (<workdir>/ghost.yaml, under -c and flags), `scale` of a KwokctlResource (lowest free
// serials, the oldest kept, a --dry-run that runs as printed), `get kubeconfig` with several
// groups (openssl shows each O=, the API server sees each group), `port-forward` to
// kube-apiserver answering /healthz and /version, and `export logs` in kwokctl's layout.
#include "apps/ghostctl/https_get.hpp"
#include "apps/ghostctl/pki.hpp"
#include "engine/subprocess.hpp"
#include "kube/kubeconfig.hpp"
#include "tests/integration/cluster_fixture.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <set>
#include <sstream>

namespace ghost::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class kwokctl_commands_it : public cluster_fixture {
protected:
    fs::path write(const std::string& name, const std::string& text) {
        auto p = work_ / name;
        std::ofstream(p) << text;
        return p;
    }
    fs::path cluster_dir() const { return work_ / "clusters" / name_; }
    std::vector<std::string> proc_words(const std::string& component, const char* file) {
        auto pid = read_text(cluster_dir() / "pids" / (component + ".pid"));
        while (!pid.empty() && pid.back() == '\n') pid.pop_back();
        std::vector<std::string> out(1);
        for (char c : read_text("/proc/" + pid + "/" + file)) {
            if (c == '\0') out.emplace_back();
            else out.back() += c;
        }
        return out;
    }
    // The names of the configmaps scale made for prefix w, sorted.
    std::vector<std::string> widgets() {
        auto list = kubectl_json({"get", "configmaps", "-n", "team", "-l",
                                  "kwok.x-k8s.io/kwokctl-scale=w"});
        std::vector<std::string> names;
        for (const auto& item : list.at("items").as_array())
            names.push_back(str(item, {"metadata", "name"}));
        std::sort(names.begin(), names.end());
        return names;
    }
};

const char* const widget_resource = R"(
---
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlResource
metadata:
  name: widget
parameters:
  cidr: 10.1.0.0/24
  ip: 192.0.2.10
template: |-
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: {{ Name }}
    namespace: {{ or Namespace "team" }}
  data:
    index: {{ Index | Quote }}
    cidr: {{ AddCIDR .cidr Index }}
    ip: {{ AddIP .ip Index }}
)";

TEST_F(kwokctl_commands_it, default_config_scale_resource_kubeconfig_groups_port_forward_export) {
    // ghostctl's ~/.kwok/kwok.yaml: read by create and scale without being named.
    auto policy = write("audit-policy.yaml",
                        "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n");
    write("ghost.yaml", "apiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokctlConfiguration\n"
                        "options:\n  kubeAuditPolicy: " + policy.string() + "\n"
                        "  etcdPrefix: /from-ghost-yaml\n"
                        "componentsPatches:\n- name: kube-apiserver\n  extraEnvs:\n"
                        "  - name: GHOST_IT_DEFAULT_CONFIG\n    value: picked-up\n" +
                        std::string(widget_resource));
    auto cfg = write("cfg.yaml", "apiVersion: config.kwok.x-k8s.io/v1alpha1\n"
                                 "kind: KwokctlConfiguration\noptions:\n  etcdPrefix: /from-c\n");
    create_cluster("cmds", {"-c", cfg.string()});
    auto api_args = proc_words("kube-apiserver", "cmdline");
    auto has = [](const std::vector<std::string>& v, const std::string& w) {
        return std::find(v.begin(), v.end(), w) != v.end();
    };
    EXPECT_TRUE(has(api_args, "--etcd-prefix=/from-c")) << "-c wins over ghost.yaml";
    EXPECT_TRUE(has(api_args, "--audit-policy-file=" + (cluster_dir() / "audit.yaml").string()))
        << "ghost.yaml's option is applied";
    EXPECT_TRUE(has(proc_words("kube-apiserver", "environ"), "GHOST_IT_DEFAULT_CONFIG=picked-up"));

    {
        SCOPED_TRACE("scale of a KwokctlResource from ghost.yaml");
        ASSERT_EQ(kubectl({"create", "namespace", "team"}).exit_code, 0);
        auto up = ghostctl({"scale", "widget", "w", "--replicas", "3", "--param",
                            ".ip=\"198.51.100.1\""});
        ASSERT_EQ(up.exit_code, 0) << up.output;
        EXPECT_EQ(widgets(), (std::vector<std::string>{"w-000000", "w-000001", "w-000002"}));
        auto two = kubectl_json({"get", "configmap", "-n", "team", "w-000002"});
        EXPECT_EQ(str(two, {"data", "ip"}), "198.51.100.3");
        EXPECT_EQ(str(two, {"data", "cidr"}), "10.1.2.0/24");
        EXPECT_EQ(str(two, {"data", "index"}), "2");
        // The lowest free serial is made again, later than the others (timestamps are whole
        // seconds), so scaling down removes it: the oldest stay.
        ASSERT_EQ(kubectl({"delete", "configmap", "-n", "team", "w-000000"}).exit_code, 0);
        std::this_thread::sleep_for(1100ms);
        ASSERT_EQ(ghostctl({"scale", "widget", "w", "--replicas", "3"}).exit_code, 0);
        EXPECT_EQ(widgets(), (std::vector<std::string>{"w-000000", "w-000001", "w-000002"}));
        auto down = ghostctl({"scale", "widget", "w", "--replicas", "2"});
        ASSERT_EQ(down.exit_code, 0) << down.output;
        EXPECT_EQ(widgets(), (std::vector<std::string>{"w-000001", "w-000002"}));
        // --dry-run prints kubectl lines and writes nothing; the lines, run, do the scale.
        auto plan = ghostctl({"--dry-run", "scale", "widget", "w", "--replicas", "4"});
        ASSERT_EQ(plan.exit_code, 0) << plan.output;
        EXPECT_EQ(widgets().size(), 2u) << "dry run created objects";
        auto ran = run_process({"/bin/sh", "-c", plan.output});
        ASSERT_EQ(ran.exit_code, 0) << plan.output << ran.output;
        EXPECT_EQ(widgets(),
                  (std::vector<std::string>{"w-000000", "w-000001", "w-000002", "w-000003"}));
        auto unknown = ghostctl({"scale", "gizmo", "--replicas", "1"});
        EXPECT_EQ(unknown.exit_code, 2);
        EXPECT_EQ(unknown.output, "ghostctl: scale: no resource \"gizmo\" (known: node, pod, "
                                  "widget); define it with a KwokctlResource document given "
                                  "with -c\n");
    }
    {
        SCOPED_TRACE("get kubeconfig with two groups");
        auto got = ghostctl({"get", "kubeconfig", "--user", "alice", "--group", "team-a",
                             "--group", "system:masters,team-b"});
        ASSERT_EQ(got.exit_code, 0) << got.output;
        auto file = write("alice.kubeconfig", got.output);
        auto access = kube::load_kubeconfig(file);
        auto pem = write("alice.crt", access.tls.cert_pem);
        auto subject = run_process({"/usr/bin/openssl", "x509", "-in", pem.string(), "-noout",
                                    "-subject", "-nameopt", "RFC2253"});
        ASSERT_EQ(subject.exit_code, 0) << subject.output;
        EXPECT_EQ(subject.output, "subject=CN=alice,O=team-b,O=system:masters,O=team-a\n");
        // The API server reads every O= as a group.
        auto who = run_process({(control_plane_bin_dir() / "kubectl").string(), "--kubeconfig",
                                file.string(), "auth", "whoami", "-o", "json"});
        ASSERT_EQ(who.exit_code, 0) << who.output;
        auto info = json::parse(who.output).at("status").at("userInfo");
        EXPECT_EQ(info.at("username"), "alice");
        std::set<std::string> groups;
        for (const auto& g : info.at("groups").as_array())
            groups.insert(std::string(g.as_string()));
        for (const char* g : {"team-a", "team-b", "system:masters"})
            EXPECT_TRUE(groups.count(g)) << g << " missing from " << who.output;
    }
    {
        SCOPED_TRACE("port-forward to kube-apiserver's https port");
        auto bad = ghostctl({"port-forward", "kube-apiserver", "0:http"});
        EXPECT_EQ(bad.exit_code, 1);
        EXPECT_EQ(bad.output.rfind("ghostctl: port-forward: kube-apiserver has no port named "
                                   "\"http\" (ports: https (",
                                   0),
                  0u)
            << bad.output;
        engine::spawn_options o;
        o.argv = {GHOSTCTL_BINARY, "--name", name_, "port-forward", "kube-apiserver", "0:https"};
        o.out = engine::spawn_options::output::capture;
        auto child = engine::spawn(o);
        std::string printed;
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (printed.find('\n') == std::string::npos &&
               std::chrono::steady_clock::now() < deadline) {
            pollfd p{child.output_fd, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            char buf[256];
            auto n = ::read(child.output_fd, buf, sizeof buf);
            if (n <= 0) break;
            printed.append(buf, static_cast<std::size_t>(n));
        }
        const std::string head = "Forwarding from 127.0.0.1:";
        ASSERT_EQ(printed.rfind(head, 0), 0u) << printed;
        auto local = printed.substr(head.size(), printed.find(' ', head.size()) - head.size());
        ghostctl::https_target t;
        t.port = local;
        auto pki = cluster_dir() / "pki";
        t.ca_pem = read_text(pki / "ca.crt");
        t.cert_pem = read_text(pki / "admin.crt");
        t.key_pem = read_text(pki / "admin.key");
        auto healthz = ghostctl::https_get(t, "/healthz");
        EXPECT_EQ(healthz.status, 200u);
        EXPECT_EQ(healthz.body, "ok");
        auto version = ghostctl::https_get(t, "/version");
        EXPECT_EQ(version.status, 200u);
        EXPECT_NE(version.body.find("\"gitVersion\": \"v1."), std::string::npos) << version.body;
        engine::signal_process(child.pid, SIGTERM);
        auto status = engine::wait_for(child.pid, 30s);
        ASSERT_TRUE(status) << "port-forward did not stop on SIGTERM";
        EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
        ::close(child.output_fd);
    }
    {
        SCOPED_TRACE("export logs");
        auto dry = ghostctl({"--dry-run", "export", "logs", (work_ / "export").string()});
        ASSERT_EQ(dry.exit_code, 0) << dry.output;
        EXPECT_NE(dry.output.find("cp " + (cluster_dir() / "logs" / "audit.log").string()),
                  std::string::npos)
            << dry.output;
        EXPECT_FALSE(fs::exists(work_ / "export")) << "dry run wrote files";
        auto out = ghostctl({"export", "logs", (work_ / "export").string()});
        ASSERT_EQ(out.exit_code, 0) << out.output;
        const auto dir = work_ / "export" / name_;
        EXPECT_NE(read_text(dir / "kwok.yaml").find("kind: KwokctlConfiguration"),
                  std::string::npos);
        EXPECT_EQ(read_text(dir / "binary-info.txt"), "linux/amd64");
        for (const char* c : {"etcd", "kube-apiserver", "kube-controller-manager",
                              "kube-scheduler", "ghostlet", "audit"}) {
            auto f = dir / "components" / (std::string(c) + ".log");
            EXPECT_GT(fs::exists(f) ? fs::file_size(f) : 0, 0u) << f;
        }
        auto audit = read_text(dir / "components" / "audit.log");
        EXPECT_NE(audit.find("\"user\":{\"username\":\"alice\""), std::string::npos)
            << "the audit log holds the requests made above";
        auto again = ghostctl({"export", "logs", (work_ / "export").string()});
        EXPECT_EQ(again.exit_code, 1);
        EXPECT_EQ(again.output, "ghostctl: export logs: " + (dir / "kwok.yaml").string() +
                                    " already exists (an earlier export); pick another "
                                    "directory\n");
        ASSERT_EQ(ghostctl({"export", "logs"}).exit_code, 0);
        EXPECT_TRUE(fs::exists(cluster_dir() / "export" / "logs" / "kwok.yaml"));
    }
}

}  // namespace
}  // namespace ghost::testing
