#include "apps/ghostctl/process.hpp"
#include "engine/subprocess.hpp"
#include "ghost_testing/poll.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

namespace ghost::ghostctl {
namespace {

namespace fs = std::filesystem;
using ghost::testing::poll_until;

class process_test : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("ghostctl-proc-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

TEST_F(process_test, spawn_log_pid_and_stop) {
    spawn_spec s{"/bin/sh", {"-c", "echo hello-from-child; exec sleep 60", dir_.string()},
                 dir_ / "logs" / "x.log", dir_ / "pids" / "x.pid", dir_};
    pid_t pid = spawn_daemon(s);
    ASSERT_GT(pid, 0);
    EXPECT_EQ(read_pid_file(s.pid_file), pid);
    EXPECT_EQ(::getsid(pid), pid);  // own session: survives the parent
    poll_until([&] { return !tail_lines(s.log_file, 5).empty(); });
    EXPECT_EQ(tail_lines(s.log_file, 5), "hello-from-child\n");
    EXPECT_TRUE(pid_alive(pid));
    // After exec the cmdline is sleep's: a pid check with the wrong binary must say no.
    poll_until([&] {  // (empty while the exec is under way: seen under load)
        auto cmdline = proc_cmdline(pid);
        return !cmdline.empty() && cmdline[0] == "sleep";
    });
    EXPECT_FALSE(pid_runs_binary(pid, "/bin/sh"));
    EXPECT_TRUE(pid_runs_binary(pid, "sleep"));
    EXPECT_TRUE(stop_process(pid, std::chrono::seconds(5)));
    EXPECT_FALSE(pid_alive(pid));
}

TEST_F(process_test, exit_status_is_reported) {
    spawn_spec s{"/bin/sh", {"-c", "exit 3"}, dir_ / "l.log", dir_ / "p.pid", dir_};
    pid_t pid = spawn_daemon(s);
    std::optional<int> st;
    poll_until([&] { return (st = engine::try_wait(pid)).has_value(); });
    ASSERT_TRUE(st);
    EXPECT_EQ(engine::describe_wait_status(*st), "exit status 3");
}

TEST_F(process_test, missing_binary_throws) {
    spawn_spec s{(dir_ / "nope").string(), {}, dir_ / "l.log", dir_ / "p.pid", dir_};
    EXPECT_THROW(spawn_daemon(s), std::runtime_error);
    EXPECT_FALSE(fs::exists(s.pid_file));
}

TEST_F(process_test, sweep_finds_processes_by_path) {
    std::string marker = (dir_ / "marker-arg").string();
    spawn_spec s{"/bin/sh", {"-c", "sleep 60; true", "sh", marker}, dir_ / "l.log",
                 dir_ / "p.pid", dir_};
    pid_t pid = spawn_daemon(s);
    std::vector<pid_t> found;
    for (int i = 0; i < 100; ++i) {
        found = find_processes_mentioning(marker);
        if (!found.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // (sh's own forked child may briefly show the same argv before it execs sleep)
    EXPECT_NE(std::find(found.begin(), found.end(), pid), found.end());
    EXPECT_TRUE(stop_process(pid, std::chrono::seconds(2)));
    EXPECT_TRUE(find_processes_mentioning(marker).empty());
}

TEST_F(process_test, tail_keeps_last_lines) {
    {
        std::ofstream f(dir_ / "t.log");
        for (int i = 0; i < 50; ++i) f << "line " << i << "\n";
    }
    EXPECT_EQ(tail_lines(dir_ / "t.log", 2), "line 48\nline 49\n");
    EXPECT_EQ(tail_lines(dir_ / "missing.log", 2), "");
}

}  // namespace
}  // namespace ghost::ghostctl
