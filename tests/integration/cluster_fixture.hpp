#pragma once
// Shared by the integration tests: runs the built ghostctl (and through it kubectl) as a
// subprocess with the test's own GHOST_WORKDIR/KUBECONFIG, and deletes every cluster the test
// created in TearDown, also when an assertion failed.

#include "ghost_testing/control_plane.hpp"

#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>
#include <sys/types.h>
#include <thread>
#include <utility>
#include <vector>

namespace ghost::testing {

struct run_result {
    int exit_code = -1;
    std::string output;  ///< stdout + stderr
};

/// Runs `argv` (argv[0] a path) and collects its output; the environment is the test's.
run_result run_process(const std::vector<std::string>& argv);

/// The string at `path` in a JSON document ("" when absent or not a string).
std::string str(const boost::json::value& v, std::initializer_list<const char*> path);

/// The whole file ("" when it cannot be read).
std::string read_text(const std::filesystem::path& p);

/// A background command (killed with the test) whose output is appended to `log`.
struct background {
    background(std::vector<std::string> argv, std::filesystem::path log_file);
    ~background();
    background(const background&) = delete;
    background& operator=(const background&) = delete;
    /// SIGINT, then the exit code (-1 if it did not exit within 30 s).
    int interrupt();

    pid_t pid = -1;
    std::filesystem::path log;
};

/// A command whose output lines are kept with the time each arrived (read on a thread of its
/// own); terminated with the test.
class timed_command {
public:
    using line = std::pair<std::chrono::steady_clock::time_point, std::string>;
    explicit timed_command(std::vector<std::string> argv);
    ~timed_command();
    timed_command(const timed_command&) = delete;
    timed_command& operator=(const timed_command&) = delete;
    /// The exit code (-1 when it did not exit within `timeout`).
    int wait(std::chrono::milliseconds timeout);
    /// Terminates it (if still running) and reads what is left.
    void stop();
    std::vector<line> lines();
    /// Every line so far, each ended by '\n'.
    std::string output();

private:
    pid_t pid_ = -1;
    int output_fd_ = -1;
    std::thread reader_;
    std::mutex mu_;
    std::vector<line> lines_;
};

/// Polls `done` every 500 ms until it returns true or `timeout` passes.
bool wait_for(std::chrono::milliseconds timeout, const std::function<bool()>& done);

/// GET http://127.0.0.1:<port><path>; the body, empty on any error.
std::string http_get(unsigned short port, const std::string& path);

/// The value of the metric line "<name> <value>" (name with its labels, if any), or -1.
double metric_value(const std::string& metrics_text, const std::string& name);

class cluster_fixture : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    /// `ghostctl create cluster --name <unique> extra...`; fails the test on error.
    void create_cluster(const std::string& suffix, std::vector<std::string> extra = {});
    /// ghostctl with --name of the created cluster.
    run_result ghostctl(std::vector<std::string> args);
    run_result kubectl(std::vector<std::string> args);
    /// kubectl ... -o json, parsed; fails the test (and returns {"items":[]}) on error.
    boost::json::value kubectl_json(std::vector<std::string> args);
    /// The name of the first node the API lists, waiting up to 60 s for one ("" if none).
    std::string first_node_name();
    /// kubectl apply of a manifest text.
    void apply(const std::string& manifest);
    /// SIGKILL a component through its pid file, as a crash would.
    void kill_component(const std::string& component);
    /// The port of the /metrics server of the ghostlet ghostctl started (from its command line).
    unsigned short ghostlet_metrics_port();

    std::filesystem::path work_;
    std::string name_;
};

}  // namespace ghost::testing
