// ghostlet's structured shutdown against a real control plane: SIGTERM in the middle of a burst
// of pod writes must end the process by itself with exit status 0 and one summary line of the
// writes finished, cancelled and dropped. The time from SIGTERM to exit is printed, not
// asserted (a hang guard only). GHOST_IT_GHOSTLET=<path> runs another ghostlet build (e.g. the
// ASan+UBSan one: see DEVELOPERS.md); its stderr must then be free of sanitizer reports.
#include "tests/integration/cluster_fixture.hpp"

#include "engine/subprocess.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <regex>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace ghost::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string ghostlet_binary() {
    const char* env = std::getenv("GHOST_IT_GHOSTLET");
    return env && *env ? std::string(env) : std::string(GHOSTLET_BINARY);
}

std::string read_all(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class ghostlet_shutdown_it : public cluster_fixture {
protected:
    void TearDown() override {
        if (pid_ > 0) {   // a failed test must not leave ghostlet behind
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        cluster_fixture::TearDown();
    }

    void start_ghostlet(const fs::path& log) {
        auto kubeconfig = work_ / "clusters" / name_ / "kubeconfig.yaml";
        std::vector<std::string> args{ghostlet_binary(), "--kubeconfig", kubeconfig.string(),
                                      "--manage-all-nodes=true", "--server-address=127.0.0.1:0",
                                      "--node-lease-duration-seconds=40"};
        engine::spawn_options o;
        o.argv = std::move(args);
        o.out = engine::spawn_options::output::append_to_file;
        o.output_file = log;
        pid_ = engine::spawn(o).pid;
    }

    pid_t pid_ = -1;
};

TEST_F(ghostlet_shutdown_it, sigterm_during_a_write_burst_exits_zero_with_a_summary) {
    create_cluster("stop", {"--disable", "ghostlet"});
    ASSERT_EQ(ghostctl({"scale", "node", "--replicas", "20"}).exit_code, 0);
    // 20 nodes x 100 pods bound to them: they wait for a kubelet, so ghostlet's first list
    // hands it ~2,000 pods whose writes all become due once the node leases are held.
    for (int n = 0; n < 20; ++n) {
        char node[32];
        std::snprintf(node, sizeof node, "node-%06d", n);
        auto r = ghostctl({"scale", "pod", "p" + std::to_string(n), "--replicas", "100",
                           "--param", std::string(".nodeName=\"") + node + "\""});
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    auto log = work_ / "ghostlet.log";
    start_ghostlet(log);
    unsigned short port = 0;
    ASSERT_TRUE(wait_for(60s, [&] {
        std::smatch m;
        auto text = read_all(log);
        if (!std::regex_search(text, m, std::regex(R"(serving /healthz .* on \S+ \(port (\d+)\))"))) return false;
        port = static_cast<unsigned short>(std::stoi(m[1]));
        return true;
    })) << read_all(log);

    // Wait (polling /metrics) until the burst is on: many writes queued or in flight.
    double depth = 0;
    auto guard = std::chrono::steady_clock::now() + 180s;
    while ((depth = metric_value(http_get(port, "/metrics"), "ghostlet_writer_queue_depth")) < 500) {
        ASSERT_LT(std::chrono::steady_clock::now(), guard) << "no write burst seen\n" << read_all(log);
        int st = 0;
        ASSERT_EQ(::waitpid(pid_, &st, WNOHANG), 0) << "ghostlet exited early\n" << read_all(log);
        std::this_thread::sleep_for(5ms);
    }

    auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(::kill(pid_, SIGTERM), 0);
    int status = 0;
    pid_t done = 0;
    auto hang_guard = t0 + 60s;   // not a timing assertion: only a hang is an error here
    while ((done = ::waitpid(pid_, &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() < hang_guard) {
        std::this_thread::sleep_for(1ms);
    }
    auto took = std::chrono::steady_clock::now() - t0;
    ASSERT_EQ(done, pid_) << "ghostlet did not exit after SIGTERM\n" << read_all(log);
    pid_ = -1;
    auto text = read_all(log);
    std::cout << "[ shutdown ] " << depth << " writes queued or in flight at SIGTERM; exit after "
              << std::chrono::duration<double, std::milli>(took).count() << " ms ("
              << ghostlet_binary() << ")\n";
    ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << "\n" << text;
    EXPECT_EQ(WEXITSTATUS(status), 0) << text;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(
        text, m, std::regex(R"(shutdown: writes finished=(\d+) cancelled=(\d+) dropped=(\d+))")))
        << text;
    std::cout << "[ shutdown ] " << m[0] << "\n";
    auto total = std::stoul(m[1]) + std::stoul(m[2]) + std::stoul(m[3]);
    EXPECT_GT(total, 0u) << "SIGTERM came during the burst: some writes were still pending";
    EXPECT_EQ(text.find("AddressSanitizer"), std::string::npos) << text;
    EXPECT_EQ(text.find("LeakSanitizer"), std::string::npos) << text;
    EXPECT_EQ(text.find("runtime error:"), std::string::npos) << text;
    EXPECT_EQ(text.find(" E "), std::string::npos) << "an error was logged\n" << text;
}

}  // namespace
}  // namespace ghost::testing
