// --dry-run: create, delete and scale print shell lines and touch nothing.
#include "apps/ghostctl/cluster.hpp"
#include "apps/ghostctl/dry_run.hpp"
#include "apps/ghostctl/pki.hpp"
#include "apps/ghostctl/scale.hpp"
#include "engine/subprocess.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <sstream>

namespace ghost::ghostctl {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST(dry_run, shell_words_quote_only_when_needed) {
    EXPECT_EQ(shell_quote("--etcd-servers=http://127.0.0.1:1"), "--etcd-servers=http://127.0.0.1:1");
    EXPECT_EQ(shell_quote("a b"), "'a b'");
    EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
    EXPECT_EQ(shell_quote(""), "''");
    EXPECT_EQ(shell_command({"/bin/x", "$HOME"}, {{"K", "v w"}}), "K='v w' /bin/x '$HOME'");
}

TEST(dry_run, heredoc_delimiter_is_never_a_line_of_the_text) {
    EXPECT_EQ(shell_write_file("/f", "a\n"), "cat <<'EOF' >/f\na\nEOF\n");
    EXPECT_EQ(shell_write_file("/f", "EOF\nEOFx"), "cat <<'EOF_' >/f\nEOF\nEOFx\nEOF_\n");
}

// A root with fake control-plane binaries, so create gets as far as printing.
class dry_run_cluster : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() / ("ghostctl-dry-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()
                                                 ->current_test_info()
                                                 ->name());
        fs::create_directories(root_ / "bin");
        for (const char* b : {"etcd", "kube-apiserver", "kube-controller-manager",
                              "kube-scheduler", "kubectl"}) {
            write_file(root_ / "bin" / b, "#!/bin/sh\n", 0755);
        }
        env_.root = root_ / "work";
        env_.bin_dir = root_ / "bin";
        env_.ghostlet_binary = root_ / "bin" / "ghostlet";
        env_.user_kubeconfig = root_ / "kubeconfig";
    }
    void TearDown() override { fs::remove_all(root_); }
    fs::path root_;
    environment env_;
};

TEST_F(dry_run_cluster, create_prints_files_and_commands_and_writes_nothing) {
    std::ostringstream out, err;
    cluster_manager m(env_, out, err);
    m.set_dry_run(true);
    auto o = parse_command_line({"create", "cluster", "--heartbeat-factor", "2.5",
                                 "--extra-args", "kube-apiserver=v=3"})
                 .create;
    m.create("dry", o);
    const auto dir = fs::absolute(env_.root / "clusters" / "dry").string();
    const auto text = out.str();
    EXPECT_TRUE(contains(text, "mkdir -p " + dir + " " + dir + "/pki")) << text;
    EXPECT_TRUE(contains(text, "# Generate PKI to " + dir + "/pki"));
    EXPECT_TRUE(contains(text, "cat <<'EOF' >" + dir + "/ghostlet.yaml\n"));
    EXPECT_TRUE(contains(text, "cat <<'EOF' >" + dir + "/cluster.json\n"));
    EXPECT_TRUE(contains(text, "cd " + dir + " && " + (env_.bin_dir / "etcd").string() +
                                   " --name=node0"));
    EXPECT_TRUE(contains(text, " --v=3 >>" + dir + "/logs/kube-apiserver.log 2>&1 </dev/null &\n"
                               "echo $! >" + dir + "/pids/kube-apiserver.pid\n"));
    EXPECT_TRUE(contains(text, "--node-monitor-period=12.5s"));
    EXPECT_TRUE(contains(text, "# Add context ghost-dry to " + env_.user_kubeconfig.string()));
    EXPECT_FALSE(fs::exists(env_.root)) << "nothing written, not even the clusters directory";
    EXPECT_FALSE(fs::exists(env_.user_kubeconfig));
}

TEST_F(dry_run_cluster, scheduler_config_and_audit_policy_files_are_copied_as_kwokctl) {
    write_file(root_ / "sched.yaml",
               "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"
               "profiles: [{schedulerName: default-scheduler}]\n");
    write_file(root_ / "audit.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []\n");
    std::ostringstream out, err;
    cluster_manager m(env_, out, err);
    m.set_dry_run(true);
    auto o = parse_command_line({"create", "cluster", "--kube-scheduler-config",
                                 (root_ / "sched.yaml").string(), "--kube-audit-policy",
                                 (root_ / "audit.yaml").string()})
                 .create;
    m.create("dry", o);
    const auto dir = fs::absolute(env_.root / "clusters" / "dry").string();
    const auto text = out.str();
    EXPECT_TRUE(contains(text, "cat <<'EOF' >" + dir + "/scheduler.yaml\n")) << text;
    EXPECT_TRUE(contains(text, "kubeconfig: " + dir + "/kubeconfig.yaml"))
        << "clientConnection points at the cluster";
    EXPECT_TRUE(contains(text, "kube-scheduler --config=" + dir + "/scheduler.yaml"));
    EXPECT_TRUE(contains(text, "cat <<'EOF' >" + dir + "/audit.yaml\napiVersion: audit.k8s.io/v1"));
    EXPECT_TRUE(contains(text, "--audit-policy-file=" + dir + "/audit.yaml --audit-log-path=" +
                                   dir + "/logs/audit.log"));

    write_file(root_ / "sched.yaml", "apiVersion: v1\nkind: ConfigMap\n");
    try {
        m.create("dry", o);
        ADD_FAILURE() << "a wrong scheduler configuration was accepted";
    } catch (const config_error& e) {
        EXPECT_NE(std::string(e.what()).find(
                      "sched.yaml: apiVersion: expected kubescheduler.config.k8s.io/v1, got \"v1\""),
                  std::string::npos)
            << e.what();
    }
}

TEST_F(dry_run_cluster, delete_prints_kills_of_running_components_and_stops_nothing) {
    // A recorded cluster whose "etcd" is a sleeping process.
    cluster_state s;
    s.name = "dry";
    s.dir = fs::absolute(env_.root / "clusters" / "dry");
    s.bin_dir = env_.bin_dir;
    s.ports = {{"etcd-client", 1}};
    s.components = {{"etcd", "/bin/sleep", {"30"}, {}, readiness::none, {}},
                    {"kube-apiserver", "/bin/sleep", {"30"}, {}, readiness::none, {}}};
    cluster_layout L{s.dir};
    fs::create_directories(L.pids());
    write_file(L.state_file(), serialize_state(s));
    engine::spawn_options so;
    so.argv = {"/bin/sleep", "30"};
    auto child = engine::spawn(so);
    write_file(L.pid_of("etcd"), std::to_string(child.pid) + "\n");

    std::ostringstream out, err;
    cluster_manager m(env_, out, err);
    m.set_dry_run(true);
    EXPECT_TRUE(m.remove("dry"));
    EXPECT_EQ(out.str(), "kill $(cat " + L.pid_of("etcd").string() + ")\nrm -rf " +
                             s.dir.string() + "\n# Remove context ghost-dry from " +
                             env_.user_kubeconfig.string() + "\n")
        << "only the running component is killed";
    EXPECT_TRUE(fs::exists(L.state_file()));
    EXPECT_FALSE(engine::try_wait(child.pid)) << "the process was left running";
    ::kill(child.pid, SIGKILL);
    engine::wait(child.pid);
}

TEST(dry_run, scale_plan_is_kubectl_create_of_a_list_and_kubectl_delete) {
    scale_request req;
    req.resource = "node";
    req.name = "n";
    req.replicas = 2;
    req.kubectl = "/bin-dir/kubectl";
    auto text = scale_plan(req, "/w/kubeconfig.yaml", builtin_source(req), {{0, 1}, {"n-000005"}});
    const std::string create_line =
        "/bin-dir/kubectl --kubeconfig /w/kubeconfig.yaml create --validate=false -f - <<'EOF'\n";
    ASSERT_EQ(text.rfind(create_line, 0), 0u) << text;
    auto body_end = text.find("\nEOF\n");
    ASSERT_NE(body_end, std::string::npos);
    auto list = boost::json::parse(text.substr(create_line.size(), body_end - create_line.size()));
    ASSERT_EQ(list.at("kind"), "List");
    ASSERT_EQ(list.at("items").as_array().size(), 2u);
    EXPECT_EQ(list.at("items").at(1).at("metadata").at("name"), "n-000001");
    EXPECT_EQ(text.substr(body_end + 5),
              "/bin-dir/kubectl --kubeconfig /w/kubeconfig.yaml delete nodes n-000005\n");

    req.resource = "pod";
    req.ns = "team a";
    auto pods = scale_plan(req, "/w/k", builtin_source(req), {{}, {"n-000000"}});
    EXPECT_EQ(pods, "/bin-dir/kubectl --kubeconfig /w/k --namespace 'team a' delete pods n-000000\n");
}

}  // namespace
}  // namespace ghost::ghostctl
