#include "engine/subprocess.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace {

namespace fs = std::filesystem;
using namespace ghost::engine;
using namespace std::chrono_literals;

spawn_options sh(const std::string& script) {
    spawn_options o;
    o.argv = {"/bin/sh", "-c", script};
    return o;
}

TEST(subprocess, captures_output_and_exit_code_with_env_and_cwd) {
    auto o = sh("echo out; echo err >&2; echo $GHOST_SUBPROCESS_TEST; pwd; exit 3");
    o.env = {{"GHOST_SUBPROCESS_TEST", "from-env"}};
    o.cwd = "/";
    auto r = run_capture(o);
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.output, "out\nerr\nfrom-env\n/\n");
}

TEST(subprocess, appends_to_a_file) {
    auto file = fs::temp_directory_path() / ("ghost-subprocess-" + std::to_string(::getpid()));
    fs::remove(file);
    for (int i = 0; i < 2; ++i) {
        auto o = sh("echo line");
        o.out = spawn_options::output::append_to_file;
        o.output_file = file;
        EXPECT_EQ(exit_code(wait(spawn(o).pid)), 0);
    }
    std::stringstream text;
    text << std::ifstream(file).rdbuf();
    EXPECT_EQ(text.str(), "line\nline\n");
    fs::remove(file);
}

TEST(subprocess, a_missing_binary_throws_naming_it) {
    spawn_options o;
    o.argv = {"/nonexistent/ghost-binary"};
    try {
        spawn(o);
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot start /nonexistent/ghost-binary: exec"),
                  std::string::npos)
            << e.what();
    }
}

TEST(subprocess, wait_for_times_out_and_terminate_stops_it) {
    auto o = sh("sleep 30 & wait");
    o.group = spawn_options::grouping::own_group;
    auto child = spawn(o);
    EXPECT_EQ(::getpgid(child.pid), child.pid);
    EXPECT_FALSE(wait_for(child.pid, 50ms));
    EXPECT_FALSE(try_wait(child.pid));
    int st = terminate(child.pid, 5s);
    ASSERT_TRUE(WIFSIGNALED(st));
    EXPECT_EQ(WTERMSIG(st), SIGTERM);
    EXPECT_EQ(exit_code(st), 128 + SIGTERM);
    EXPECT_EQ(describe_wait_status(st).rfind("killed by signal 15", 0), 0u);
    EXPECT_EQ(terminate(child.pid, 1s), -1);  // already reaped
}

}  // namespace
