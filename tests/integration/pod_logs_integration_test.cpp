// kubectl logs on fake pods of a ghostctl cluster (kwok's Logs / ClusterLogs, spec §6.3):
// kube-apiserver reaches ghostlet at the node's Hostname (localhost) and daemonEndpoints port
// with its --kubelet-client-certificate, which ghostlet's --client-ca-file verifies. Logs from a
// --config document and from a custom resource applied live; --previous; -f while a line is
// appended; a pod without a Logs resource and a Logs resource naming a missing file get
// kubelet-style errors while the others keep being served; an invalid Logs resource gets a
// Warning Event naming the field. kubectl exec through a ClusterExec:
// output and exit codes over SPDY/3.1 (kube-apiserver's protocol toward kubelets), and a pod no
// Exec selects runs nothing. kubectl attach (the Attach file, followed) and kubectl
// port-forward to a local echo server through a PortForward entry.
#include "tests/integration/cluster_fixture.hpp"

#include "engine/subprocess.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

namespace ghost::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string pod(const std::string& name, const std::string& node) {
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: default}\n"
           "spec:\n  nodeName: " + node + "\n  containers: [{name: app, image: fake}]\n";
}

std::string logs_resource(const std::string& pod_name, const std::string& file) {
    return "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Logs\nmetadata: {name: " + pod_name +
           ", namespace: default}\nspec:\n  logs:\n  - containers: [app]\n    logsFile: " + file +
           "\n";
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A TCP echo server on 127.0.0.1 (the port-forward target), one connection at a time.
class echo_server {
public:
    echo_server() : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
        thread_ = std::thread([this] {
            while (!stop_) {
                boost::system::error_code ec;
                auto s = acceptor_.accept(ec);
                if (ec) return;
                char buf[256];
                for (;;) {
                    auto n = s.read_some(boost::asio::buffer(buf), ec);
                    if (ec) break;
                    boost::asio::write(s, boost::asio::buffer(buf, n), ec);
                }
            }
        });
    }
    ~echo_server() {
        stop_ = true;
        ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes the blocking accept
        thread_.join();
    }
    unsigned short port() const { return acceptor_.local_endpoint().port(); }

private:
    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

unsigned short free_port() {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

// Sends `text` to 127.0.0.1:port and reads as many bytes back ("" on failure).
std::string round_trip(unsigned short port, const std::string& text) {
    try {
        boost::asio::io_context ioc;
        boost::asio::ip::tcp::socket s(ioc);
        s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
        boost::asio::write(s, boost::asio::buffer(text));
        std::string back(text.size(), '\0');
        boost::asio::read(s, boost::asio::buffer(back));
        return back;
    } catch (const std::exception&) {
        return {};
    }
}

class pod_logs_it : public cluster_fixture {};

TEST_F(pod_logs_it, kubectl_logs_exec_attach_and_port_forward_on_fake_pods) {
    auto current = work_ / "from-config.log";
    auto previous = work_ / "from-config.previous.log";
    std::ofstream(current) << "2026-01-01T00:00:01Z stdout F first line\n"
                              "2026-01-01T00:00:02Z stderr F second line\n";
    std::ofstream(previous) << "before the restart\n";
    echo_server echo;
    auto attached = work_ / "attach.log";
    std::ofstream(attached) << "attached line\n";
    auto config = work_ / "debug.yaml";
    std::ofstream(config) << "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Logs\n"
                             "metadata: {name: from-config, namespace: default}\nspec:\n  logs:\n"
                             "  - logsFile: " << current.string() << "\n    previousLogsFile: "
                          << previous.string() << "\n"
                          << "---\napiVersion: kwok.x-k8s.io/v1alpha1\nkind: ClusterExec\n"
                             "metadata: {name: exec-me}\nspec:\n  selector: {matchNames: [exec-me]}\n"
                             "  execs:\n  - local:\n      workDir: " << work_.string()
                          << "\n      envs: [{name: GREETING, value: hello}]\n"
                          << "---\napiVersion: kwok.x-k8s.io/v1alpha1\nkind: Exec\n"
                             "metadata: {name: bad-user, namespace: default}\nspec:\n  execs:\n"
                             "  - local: {securityContext: {runAsUser: 4294967295}}\n"
                          << "---\napiVersion: kwok.x-k8s.io/v1alpha1\nkind: ClusterAttach\n"
                             "metadata: {name: attach}\nspec:\n  selector: {matchNames: [exec-me]}\n"
                             "  attaches: [{logsFile: " << attached.string() << "}]\n"
                          << "---\napiVersion: kwok.x-k8s.io/v1alpha1\nkind: PortForward\n"
                             "metadata: {name: exec-me, namespace: default}\nspec:\n  forwards:\n"
                             "  - ports: [8080]\n    target: {address: 127.0.0.1, port: "
                          << echo.port() << "}\n";
    create_cluster("logs", {"--enable-crds", "Logs,ClusterLogs", "--extra-args",
                            "ghostlet=config=" + config.string()});
    ASSERT_EQ(ghostctl({"scale", "node", "--replicas", "1"}).exit_code, 0);
    std::string node = first_node_name();
    ASSERT_FALSE(node.empty()) << "no node appeared";
    for (const char* name : {"from-config", "live", "nolog", "missing", "exec-me", "bad-user"})
        apply(pod(name, node));
    ASSERT_TRUE(wait_for(60s, [&] {
        return str(kubectl_json({"get", "pod", "missing"}), {"status", "phase"}) == "Running";
    }));

    // From the --config document: current and --previous.
    run_result r;
    EXPECT_TRUE(wait_for(30s, [&] {
        r = kubectl({"logs", "from-config"});
        return r.exit_code == 0;
    })) << r.output;
    EXPECT_EQ(r.output, "first line\nsecond line\n");
    r = kubectl({"logs", "from-config", "--previous"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output, "before the restart\n");
    r = kubectl({"logs", "from-config", "--tail=1", "--timestamps"});
    EXPECT_EQ(r.output, "2026-01-01T00:00:02Z second line\n");

    // No Logs resource: kubelet-style error, nothing read.
    r = kubectl({"logs", "nolog"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find("no logs found for container \"app\" in pod \"default/nolog\""),
              std::string::npos) << r.output;

    // A live Logs resource naming a missing file: a clear error; the others keep serving.
    auto absent = work_ / "absent.log";
    apply(logs_resource("missing", absent.string()));
    EXPECT_TRUE(wait_for(30s, [&] {
        r = kubectl({"logs", "missing"});
        return r.output.find("failed to open log file") != std::string::npos;
    })) << r.output;
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find(absent.string()), std::string::npos) << r.output;
    EXPECT_EQ(kubectl({"logs", "from-config"}).output, "first line\nsecond line\n");

    // An invalid Logs resource: a Warning Event naming the field; the others keep serving.
    apply("apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Logs\nmetadata: {name: broken, namespace: "
          "default}\nspec:\n  logs: [{logsFile: 42}]\n");
    boost::json::value events;
    EXPECT_TRUE(wait_for(30s, [&] {
        events = kubectl_json({"get", "events", "-n", "default", "--field-selector",
                               "involvedObject.name=broken,reason=InvalidLogs"});
        return !events.at("items").as_array().empty();
    })) << boost::json::serialize(events);
    if (!events.at("items").as_array().empty()) {
        auto message = str(events.at("items").at(0), {"message"});
        EXPECT_NE(message.find("spec.logs[0].logsFile: expected a string, got 42"),
                  std::string::npos) << message;
    }
    EXPECT_EQ(kubectl({"logs", "from-config"}).output, "first line\nsecond line\n");

    // A Logs resource applied live, then followed while a line is appended.
    auto live = work_ / "live.log";
    std::ofstream(live) << "live one\n";
    apply(logs_resource("live", live.string()));
    EXPECT_TRUE(wait_for(30s, [&] { return kubectl({"logs", "live"}).output == "live one\n"; }));
    engine::spawn_options follow;
    follow.argv = {GHOSTCTL_BINARY, "--name", name_, "kubectl", "logs", "-f", "live"};
    follow.out = engine::spawn_options::output::append_to_file;
    follow.output_file = work_ / "follow.out";
    follow.group = engine::spawn_options::grouping::own_group;
    follow.die_with_parent = true;
    auto child = engine::spawn(follow);
    EXPECT_TRUE(wait_for(30s, [&] { return read_text(follow.output_file) == "live one\n"; }))
        << read_text(follow.output_file);
    std::ofstream(live, std::ios::app) << "appended while following\n";
    EXPECT_TRUE(wait_for(30s, [&] {
        return read_text(follow.output_file) == "live one\nappended while following\n";
    })) << read_text(follow.output_file);
    EXPECT_FALSE(engine::try_wait(child.pid)) << "kubectl logs -f keeps following";
    engine::terminate(child.pid, 2s);

    // kubectl exec: the command runs locally with the entry's workDir and envs.
    r = kubectl({"exec", "exec-me", "--", "sh", "-c", "echo $GREETING from $(pwd)"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output, "hello from " + work_.string() + "\n");
    r = kubectl({"exec", "exec-me", "--", "sh", "-c", "echo failing >&2; exit 3"});
    EXPECT_EQ(r.exit_code, 3) << r.output;
    EXPECT_NE(r.output.find("failing"), std::string::npos) << r.output;
    auto marker = work_ / "must-not-exist";
    r = kubectl({"exec", "nolog", "--", "touch", marker.string()});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find("no exec found for container \"app\" in pod \"default/nolog\""),
              std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(marker)) << "nothing ran for a pod no Exec selects";
    // An Exec whose user cannot be taken: the client gets the reason, nothing runs, and the
    // server goes on serving the others.
    auto bad_marker = work_ / "bad-user-ran";
    r = kubectl({"exec", "bad-user", "--", "touch", bad_marker.string()});
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("4294967295"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(bad_marker));
    r = kubectl({"exec", "exec-me", "--", "echo", "still served"});
    EXPECT_EQ(r.output, "still served\n") << r.output;

    // kubectl exec -it: kubectl gets a terminal from script(1), the command one from ghostlet.
    engine::spawn_options tty;
    tty.argv = {"/usr/bin/script", "-q", "-e", "-c",
                std::string(GHOSTCTL_BINARY) + " --name " + name_ +
                    " kubectl exec -it exec-me -- sh -c 'tty; stty size; exit 4'",
                "/dev/null"};
    tty.out = engine::spawn_options::output::capture;
    auto tty_out = engine::run_capture(tty);
    EXPECT_EQ(tty_out.exit_code, 4) << tty_out.output;
    EXPECT_NE(tty_out.output.find("/dev/pts/"), std::string::npos) << tty_out.output;

    // kubectl attach streams the Attach entry's file, and follows it.
    engine::spawn_options attach = follow;
    attach.argv = {GHOSTCTL_BINARY, "--name", name_, "kubectl", "attach", "exec-me"};
    attach.output_file = work_ / "attach.out";
    auto attach_child = engine::spawn(attach);
    EXPECT_TRUE(wait_for(30s, [&] {
        return read_text(attach.output_file).find("attached line\n") != std::string::npos;
    })) << read_text(attach.output_file);
    std::ofstream(attached, std::ios::app) << "attached later\n";
    EXPECT_TRUE(wait_for(30s, [&] {
        return read_text(attach.output_file).find("attached later\n") != std::string::npos;
    })) << read_text(attach.output_file);
    engine::terminate(attach_child.pid, 2s);

    // kubectl port-forward to the PortForward target (a local echo server).
    auto local = free_port();
    engine::spawn_options forward = follow;
    forward.argv = {GHOSTCTL_BINARY, "--name", name_, "kubectl", "port-forward", "pod/exec-me",
                    std::to_string(local) + ":8080"};
    forward.output_file = work_ / "port-forward.out";
    auto forward_child = engine::spawn(forward);
    std::string echoed;
    EXPECT_TRUE(wait_for(30s, [&] {
        echoed = round_trip(local, "ping through the API server");
        return echoed == "ping through the API server";
    })) << echoed << "\n" << read_text(forward.output_file);
    engine::terminate(forward_child.pid, 2s);
}

}  // namespace
}  // namespace ghost::testing
