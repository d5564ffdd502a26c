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

// ---- spawn_stdio: the interactive children of exec and port-forward ----

namespace {

std::string read_fd(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) out.append(buf, static_cast<std::size_t>(n));
        else if (n == 0 || errno != EINTR) break;
    }
    return out;
}

std::string spawn_error(const stdio_options& o) {
    auto r = spawn_stdio(o);
    if (auto* c = std::get_if<stdio_child>(&r)) {
        close_fds(*c);
        wait(c->pid);
        return "started";
    }
    return std::get<std::string>(r);
}

}  // namespace

TEST(spawn_stdio, pipes_carry_stdin_stdout_and_stderr_apart) {
    stdio_options o;
    o.argv = {"sh", "-c", "read line; echo \"out:$line:$GHOST_X\"; echo err >&2; pwd; exit 4"};
    o.env = {{"GHOST_X", "env"}};
    o.cwd = "/tmp";
    o.want_stdin = o.want_stdout = o.want_stderr = true;
    auto r = spawn_stdio(o);
    ASSERT_TRUE(std::holds_alternative<stdio_child>(r)) << std::get<std::string>(r);
    auto c = std::get<stdio_child>(r);
    ASSERT_EQ(::write(c.stdin_fd, "hello\n", 6), 6);
    ::close(c.stdin_fd);
    c.stdin_fd = -1;
    EXPECT_EQ(read_fd(c.stdout_fd), "out:hello:env\n/tmp\n");
    EXPECT_EQ(read_fd(c.stderr_fd), "err\n");
    EXPECT_EQ(exit_code(wait(c.pid)), 4);
    close_fds(c);
}

TEST(spawn_stdio, unwanted_streams_are_dev_null_and_the_child_leads_a_group) {
    stdio_options o;
    o.argv = {"sh", "-c", "cat; ps -o pgid= -p $$"};
    o.want_stdout = true;
    auto r = spawn_stdio(o);
    ASSERT_TRUE(std::holds_alternative<stdio_child>(r)) << std::get<std::string>(r);
    auto c = std::get<stdio_child>(r);
    EXPECT_EQ(c.stdin_fd, -1);
    // cat reads /dev/null (ends at once); the group id is the child's pid.
    EXPECT_EQ(std::stoi(read_fd(c.stdout_fd)), c.pid);
    EXPECT_EQ(exit_code(wait(c.pid)), 0);
    close_fds(c);
}

TEST(spawn_stdio, a_pty_is_the_childs_terminal_with_its_size) {
    stdio_options o;
    o.argv = {"sh", "-c", "stty size; tty -s && echo is-a-tty"};
    o.pty = true;
    o.columns = 91;
    o.rows = 17;
    auto r = spawn_stdio(o);
    ASSERT_TRUE(std::holds_alternative<stdio_child>(r)) << std::get<std::string>(r);
    auto c = std::get<stdio_child>(r);
    EXPECT_EQ(c.stdin_fd, c.pty_fd);
    // The master reads EIO once the child has gone: read_fd stops there.
    std::string out = read_fd(c.pty_fd);
    EXPECT_EQ(out, "17 91\r\nis-a-tty\r\n");
    EXPECT_EQ(exit_code(wait(c.pid)), 0);
    close_fds(c);
}

TEST(spawn_stdio, failures_are_text_naming_what_failed) {
    stdio_options o;
    o.argv = {"no-such-command-ghost"};
    EXPECT_EQ(spawn_error(o),
              "exec: \"no-such-command-ghost\": executable file not found in $PATH");
    o.argv = {"/no/such/binary"};
    EXPECT_EQ(spawn_error(o), "exec: No such file or directory");
    o.argv = {"true"};
    o.cwd = "/no/such/dir";
    EXPECT_EQ(spawn_error(o), "chdir /no/such/dir: No such file or directory");
    o.cwd.clear();
    o.argv.clear();
    EXPECT_EQ(spawn_error(o), "exec: no command");
}

TEST(spawn_stdio, runs_as_the_given_user_and_group) {
    stdio_options o;
    o.argv = {"sh", "-c", "id -u; id -g; id -G"};
    o.want_stdout = true;
    o.uid = 65534;
    o.gid = 65533;
    auto r = spawn_stdio(o);
    if (::geteuid() != 0) {
        // Not root: changing users is refused, and that is the error.
        ASSERT_TRUE(std::holds_alternative<std::string>(r));
        EXPECT_EQ(std::get<std::string>(r), "setgid 65533: Operation not permitted");
        return;
    }
    ASSERT_TRUE(std::holds_alternative<stdio_child>(r)) << std::get<std::string>(r);
    auto c = std::get<stdio_child>(r);
    EXPECT_EQ(read_fd(c.stdout_fd), "65534\n65533\n65533\n");  // supplementary groups dropped
    EXPECT_EQ(exit_code(wait(c.pid)), 0);
    close_fds(c);
}

TEST(spawn_stdio, an_impossible_user_is_an_error) {
    stdio_options o;
    o.argv = {"true"};
    o.uid = 4294967295u;  // (uid_t)-1: no such id, setuid refuses it even for root
    EXPECT_EQ(spawn_error(o), "setuid 4294967295: Invalid argument");
}
