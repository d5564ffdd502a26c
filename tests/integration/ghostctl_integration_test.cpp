// End-to-end tests of ghostctl against real etcd/kube-* binaries. Each test runs the built
// ghostctl as a subprocess with its own GHOST_WORKDIR and KUBECONFIG under the build tree and
// deletes everything it created in TearDown, also when an assertion failed.

#include "engine/http_pool.hpp"
#include "engine/subprocess.hpp"
#include "ghost_testing/poll.hpp"
#include "tests/integration/cluster_fixture.hpp"
#include "kube/kubeconfig.hpp"
#include "apps/ghostctl/cluster.hpp"
#include "apps/ghostctl/pki.hpp"
#include "apps/ghostctl/ports.hpp"
#include "apps/ghostctl/process.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace ghost::ghostctl {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ghost::testing::poll_until;

using ghost::testing::run_result;

// Runs ghostctl with args; the environment is the test process's (set up by the fixture).
run_result run_ghostctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv{GHOSTCTL_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return ghost::testing::run_process(argv);
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (auto& x : v) s += (s.empty() ? "" : " ") + x;
    return s;
}

// GET through the project's own stack: kube::load_kubeconfig + engine::http_pool.
engine::http_response api_get(const fs::path& kubeconfig, const std::string& path) {
    auto access = kube::load_kubeconfig(kubeconfig);
    boost::asio::io_context ioc;
    engine::http_pool pool(ioc.get_executor(), access.ep, access.tls, engine::pool_config{});
    engine::http_request req;
    req.target = access.base_path + path;
    std::optional<engine::result<engine::http_response>> out;
    boost::asio::co_spawn(ioc, pool.async_request(std::move(req), 10s),
                          [&](std::exception_ptr e, engine::result<engine::http_response> r) {
                              if (!e) out = std::move(r);
                          });
    ioc.run();
    if (!out || out->has_error()) {
        ADD_FAILURE() << "GET " << path << " failed: "
                      << (out ? out->error().message() : std::string("exception"));
        return {};
    }
    return out->value();
}

struct recorded {
    std::vector<std::uint16_t> ports;
    std::vector<pid_t> pids;
};

class ghostctl_it : public ::testing::Test {
protected:
    void SetUp() override {
        auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        work_ = fs::path(GHOST_INTEGRATION_WORKDIR) / info->name();
        fs::remove_all(work_);
        fs::create_directories(work_);
        ::setenv("GHOST_WORKDIR", work_.c_str(), 1);
        ::setenv("KUBECONFIG", (work_ / "user-kubeconfig").c_str(), 1);
        // Missing binaries are a failure with the fix in the message, never a skip.
        auto env = environment::from_process_env();
        ASSERT_NO_THROW(check_binaries(env.bin_dir, {"etcd", "kube-apiserver",
                                                     "kube-controller-manager", "kube-scheduler",
                                                     "kubectl"}))
            << "control-plane binaries missing: run tools/get-control-plane.sh";
        try {
            check_binaries(env.bin_dir, {"etcd"});
        } catch (const std::exception& e) {
            FAIL() << e.what();
        }
    }

    void TearDown() override {
        auto r = run_ghostctl({"delete", "cluster", "--all"});
        EXPECT_EQ(r.exit_code, 0) << r.output;
    }

    // Short unique name per test run.
    std::string cluster_name(const std::string& suffix) const {
        return "it" + std::to_string(::getpid() % 100000) + "-" + suffix;
    }
    fs::path cluster_dir(const std::string& name) const { return work_ / "clusters" / name; }
    fs::path kubeconfig(const std::string& name) const {
        return cluster_dir(name) / "kubeconfig.yaml";
    }

    void create(const std::string& name, std::vector<std::string> extra = {}) {
        std::vector<std::string> args{"create", "cluster", "--name", name};
        args.insert(args.end(), extra.begin(), extra.end());
        auto r = run_ghostctl(args);
        ASSERT_EQ(r.exit_code, 0) << "ghostctl " << join(args) << "\n" << r.output;
        EXPECT_NE(r.output.find("cluster " + name + " ready in "), std::string::npos) << r.output;
        std::cout << "[ timing ] " << r.output.substr(r.output.rfind("cluster " + name));
    }

    recorded record(const std::string& name) const {
        recorded out;
        auto s = parse_state(read_file(cluster_dir(name) / "cluster.json"));
        for (auto& [k, p] : s.ports) out.ports.push_back(p);
        for (auto& c : s.components) {
            if (auto pid = read_pid_file(cluster_dir(name) / "pids" / (c.name + ".pid"))) {
                out.pids.push_back(*pid);
            }
        }
        return out;
    }

    // No process and no listening port of a deleted cluster remains.
    void expect_gone(const std::string& name, const recorded& rec) {
        for (pid_t pid : rec.pids) EXPECT_FALSE(pid_alive(pid)) << "pid " << pid << " survived";
        for (auto port : rec.ports) EXPECT_FALSE(port_is_listening(port)) << "port " << port;
        EXPECT_FALSE(fs::exists(cluster_dir(name)));
        EXPECT_TRUE(find_processes_mentioning(cluster_dir(name).string() + "/").empty());
    }

    void expect_ready(const std::string& name) {
        auto r = api_get(kubeconfig(name), "/readyz");
        EXPECT_EQ(r.status, 200u) << r.body;
        EXPECT_EQ(r.body, "ok");
    }

    fs::path work_;
};

TEST_F(ghostctl_it, create_use_and_delete) {
    const auto name = cluster_name("a");
    create(name);
    ASSERT_FALSE(HasFatalFailure());

    expect_ready(name);
    auto v = api_get(kubeconfig(name), "/version");
    EXPECT_EQ(v.status, 200u);
    EXPECT_NE(v.body.find("\"gitVersion\": \"v1.36.1\""), std::string::npos) << v.body;

    auto ns = run_ghostctl({"--name", name, "kubectl", "get", "ns"});
    EXPECT_EQ(ns.exit_code, 0) << ns.output;
    EXPECT_NE(ns.output.find("kube-system"), std::string::npos) << ns.output;

    // A Node written and read back through kubectl.
    fs::path manifest = work_ / "node.yaml";
    std::ofstream(manifest) << "apiVersion: v1\nkind: Node\nmetadata:\n  name: fake-node-1\n"
                               "  labels:\n    type: kwok\n  annotations:\n"
                               "    kwok.x-k8s.io/node: fake\n";
    auto ap = run_ghostctl({"--name", name, "kubectl", "apply", "-f", manifest.string()});
    EXPECT_EQ(ap.exit_code, 0) << ap.output;
    auto get = run_ghostctl({"--name", name, "kubectl", "get", "node", "fake-node-1", "-o",
                             "jsonpath={.metadata.labels.type}"});
    EXPECT_EQ(get.exit_code, 0) << get.output;
    EXPECT_EQ(get.output, "kwok");

    // The user's kubeconfig got the context and it is current.
    auto user = YAML::LoadFile((work_ / "user-kubeconfig").string());
    EXPECT_EQ(user["current-context"].as<std::string>(), "ghost-" + name);
    auto comps = run_ghostctl({"--name", name, "get", "components"});
    EXPECT_NE(comps.output.find("kube-scheduler"), std::string::npos) << comps.output;
    EXPECT_EQ(comps.output.find("stopped"), std::string::npos) << comps.output;
    auto clusters = run_ghostctl({"get", "clusters"});
    EXPECT_EQ(clusters.output, name + "\n");

    // Creating it again is refused with the way out.
    auto again = run_ghostctl({"create", "cluster", "--name", name});
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_NE(again.output.find("ghostctl delete cluster --name " + name), std::string::npos)
        << again.output;

    auto rec = record(name);
    EXPECT_GE(rec.pids.size(), 4u);  // + ghostlet when it is built
    auto del = run_ghostctl({"delete", "cluster", "--name", name});
    EXPECT_EQ(del.exit_code, 0) << del.output;
    expect_gone(name, rec);
    user = YAML::LoadFile((work_ / "user-kubeconfig").string());
    EXPECT_EQ(user["contexts"].size(), 0u);
}

TEST_F(ghostctl_it, stop_and_start_keep_data) {
    const auto name = cluster_name("s");
    create(name);
    ASSERT_FALSE(HasFatalFailure());
    auto before = record(name);
    auto stop = run_ghostctl({"--name", name, "stop", "cluster"});
    ASSERT_EQ(stop.exit_code, 0) << stop.output;
    for (pid_t pid : before.pids) EXPECT_FALSE(pid_alive(pid));
    for (auto port : before.ports) EXPECT_FALSE(port_is_listening(port)) << port;
    auto start = run_ghostctl({"--name", name, "start", "cluster"});
    ASSERT_EQ(start.exit_code, 0) << start.output;
    expect_ready(name);
    auto sa = api_get(kubeconfig(name), "/api/v1/namespaces/default/serviceaccounts/default");
    EXPECT_EQ(sa.status, 200u);
}

TEST_F(ghostctl_it, delete_after_apiserver_sigkill) {
    const auto name = cluster_name("k");
    create(name);
    ASSERT_FALSE(HasFatalFailure());
    auto rec = record(name);
    auto api_pid = read_pid_file(cluster_dir(name) / "pids" / "kube-apiserver.pid");
    ASSERT_TRUE(api_pid);
    ASSERT_EQ(::kill(*api_pid, SIGKILL), 0);
    poll_until([&] { return !pid_alive(*api_pid); });
    auto comps = run_ghostctl({"--name", name, "get", "components"});
    EXPECT_NE(comps.output.find("stopped"), std::string::npos) << comps.output;
    auto del = run_ghostctl({"delete", "cluster", "--name", name});
    EXPECT_EQ(del.exit_code, 0) << del.output;
    expect_gone(name, rec);
}

TEST_F(ghostctl_it, delete_after_ghostctl_killed_mid_create) {
    const auto name = cluster_name("m");
    engine::spawn_options o;
    o.argv = {GHOSTCTL_BINARY, "create", "cluster", "--name", name};
    o.out = engine::spawn_options::output::discard;
    pid_t pid = engine::spawn(o).pid;
    // Kill ghostctl as soon as the apiserver was launched.
    auto pid_file = cluster_dir(name) / "pids" / "kube-apiserver.pid";
    poll_until([&] { return fs::exists(pid_file); });
    ASSERT_TRUE(fs::exists(pid_file));
    ::kill(pid, SIGKILL);
    engine::wait(pid);
    auto rec = record(name);
    EXPECT_GE(rec.pids.size(), 2u);
    auto del = run_ghostctl({"delete", "cluster", "--name", name});
    EXPECT_EQ(del.exit_code, 0) << del.output;
    expect_gone(name, rec);
}

TEST_F(ghostctl_it, failing_component_is_reported_and_cleaned_up) {
    const auto name = cluster_name("f");
    auto r = run_ghostctl({"create", "cluster", "--name", name, "--extra-args",
                           "kube-apiserver=no-such-flag=1"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("kube-apiserver exited during start (exit status"),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("no-such-flag"), std::string::npos) << r.output;  // log tail
    EXPECT_FALSE(fs::exists(cluster_dir(name)));
    EXPECT_TRUE(find_processes_mentioning(cluster_dir(name).string() + "/").empty());
}

TEST_F(ghostctl_it, explicit_port_in_use_is_named) {
    const auto name = cluster_name("p");
    auto port = choose_ports(1, {}, 29000).at(0);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(fd, 1), 0);
    auto r = run_ghostctl({"create", "cluster", "--name", name, "--kube-apiserver-port",
                           std::to_string(port)});
    ::close(fd);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("port " + std::to_string(port) + " (--kube-apiserver-port)"),
              std::string::npos)
        << r.output;
    EXPECT_FALSE(fs::exists(cluster_dir(name)));
}

// A port taken between ghostctl's scan and a component's bind (here: an etcd wrapper that fails
// once as etcd does on a taken port) makes create start over with new ports, said so.
TEST_F(ghostctl_it, port_taken_after_the_scan_retries_the_create) {
    const auto real = environment::from_process_env().bin_dir;
    const auto bin = work_ / "bin";
    fs::create_directories(bin);
    for (const auto& e : fs::directory_iterator(real)) {
        if (e.path().filename() != "etcd") fs::create_symlink(e.path(), bin / e.path().filename());
    }
    {
        std::ofstream w(bin / "etcd");
        w << "#!/bin/sh\nif [ ! -e '" << (work_ / "etcd-failed").string() << "' ]; then\n"
          << "  touch '" << (work_ / "etcd-failed").string() << "'\n"
          << "  echo 'listen tcp 127.0.0.1:2379: bind: address already in use' >&2\n  exit 1\n"
          << "fi\nexec '" << (real / "etcd").string() << "' \"$@\"\n";
    }
    fs::permissions(bin / "etcd", fs::perms::owner_all, fs::perm_options::add);
    ::setenv("GHOST_BIN_DIR", bin.c_str(), 1);
    const auto name = cluster_name("r");
    auto r = run_ghostctl({"create", "cluster", "--name", name});
    ::unsetenv("GHOST_BIN_DIR");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(fs::exists(work_ / "etcd-failed")) << "the wrapper's first run failed";
    EXPECT_NE(r.output.find("creating cluster \"" + name + "\" again with new ports"),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("cluster " + name + " ready in "), std::string::npos) << r.output;
}

TEST_F(ghostctl_it, two_clusters_side_by_side) {
    const auto a = cluster_name("x");
    const auto b = cluster_name("y");
    create(a);
    ASSERT_FALSE(HasFatalFailure());
    create(b, {"--disable-qps-limits"});
    ASSERT_FALSE(HasFatalFailure());
    auto ra = record(a);
    auto rb = record(b);
    for (auto p : ra.ports) {
        EXPECT_EQ(std::find(rb.ports.begin(), rb.ports.end(), p), rb.ports.end()) << p;
    }
    expect_ready(a);
    expect_ready(b);
    auto del = run_ghostctl({"delete", "cluster", "--name", a});
    EXPECT_EQ(del.exit_code, 0) << del.output;
    expect_gone(a, ra);
    expect_ready(b);
    auto user = YAML::LoadFile((work_ / "user-kubeconfig").string());
    ASSERT_EQ(user["contexts"].size(), 1u);
    EXPECT_EQ(user["contexts"][0]["name"].as<std::string>(), "ghost-" + b);
}

}  // namespace
}  // namespace ghost::ghostctl
