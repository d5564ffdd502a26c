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
#include <string>
#include <sys/types.h>
#include <thread>
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
