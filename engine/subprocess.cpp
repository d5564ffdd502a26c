#include "engine/subprocess.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace ghost::engine {
namespace {

// After fork only async-signal-safe calls: report `what: strerror` through the pipe and exit.
[[noreturn]] void child_fail(int pipe_fd, const char* what) {
    int e = errno;
    char buf[256];
    int n = std::snprintf(buf, sizeof buf, "%s: %s", what, std::strerror(e));
    if (n > 0) (void)!::write(pipe_fd, buf, static_cast<std::size_t>(n));
    ::_exit(127);
}

std::vector<std::string> child_environment(const spawn_options& o) {
    std::vector<std::string> out;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view kv(*e);
        auto name = kv.substr(0, kv.find('='));
        bool replaced = false;
        for (const auto& [k, v] : o.env) replaced = replaced || k == name;
        if (!replaced) out.emplace_back(kv);
    }
    for (const auto& [k, v] : o.env) out.push_back(k + "=" + v);
    return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

}  // namespace

child_process spawn(const spawn_options& o) {
    if (o.argv.empty()) throw std::invalid_argument("spawn: empty argv");
    // Everything the child needs is prepared before fork.
    std::vector<std::string> argv_s = o.argv;
    auto argv = pointers(argv_s);
    std::vector<std::string> env_s;
    std::vector<char*> envp;
    if (!o.env.empty()) {
        env_s = child_environment(o);
        envp = pointers(env_s);
    }
    std::string out_file = o.output_file.string();
    std::string cwd = o.cwd.string();
    using output = spawn_options::output;

    int err_pipe[2];
    if (::pipe2(err_pipe, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    int out_pipe[2] = {-1, -1};
    if (o.out == output::capture && ::pipe2(out_pipe, O_CLOEXEC) != 0) {
        int e = errno;
        ::close(err_pipe[0]);
        ::close(err_pipe[1]);
        throw std::runtime_error(std::string("pipe: ") + std::strerror(e));
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        int e = errno;
        for (int fd : {err_pipe[0], err_pipe[1], out_pipe[0], out_pipe[1]})
            if (fd >= 0) ::close(fd);
        throw std::runtime_error(std::string("fork: ") + std::strerror(e));
    }
    if (pid == 0) {
        int report = err_pipe[1];
        if (o.group == spawn_options::grouping::own_session) ::setsid();
        if (o.group == spawn_options::grouping::own_group) ::setpgid(0, 0);
        if (o.die_with_parent) ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        ::signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        int in = ::open("/dev/null", O_RDONLY);
        if (in < 0) child_fail(report, "opening /dev/null");
        ::dup2(in, 0);
        int out = -1;
        switch (o.out) {
        case output::inherit: break;
        case output::discard: out = ::open("/dev/null", O_WRONLY); break;
        case output::append_to_file:
            out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            break;
        case output::capture: out = out_pipe[1]; break;
        }
        if (o.out != output::inherit) {
            if (out < 0) child_fail(report, "opening the output file");
            ::dup2(out, 1);
            ::dup2(out, 2);
        }
        if (o.close_other_fds) {
            for (int fd = 3; fd < 1024; ++fd)
                if (fd != report) ::close(fd);
        }
        if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) child_fail(report, "chdir");
        if (envp.empty()) {
            ::execv(argv[0], argv.data());
        } else {
            ::execve(argv[0], argv.data(), envp.data());
        }
        child_fail(report, "exec");
    }
    ::close(err_pipe[1]);
    if (out_pipe[1] >= 0) ::close(out_pipe[1]);
    char buf[512];
    ssize_t n;
    do {
        n = ::read(err_pipe[0], buf, sizeof buf);
    } while (n < 0 && errno == EINTR);
    ::close(err_pipe[0]);
    if (n > 0) {
        if (out_pipe[0] >= 0) ::close(out_pipe[0]);
        wait(pid);
        throw std::runtime_error("cannot start " + o.argv[0] + ": " +
                                 std::string(buf, static_cast<std::size_t>(n)));
    }
    return child_process{pid, out_pipe[0]};
}

std::string read_all(int fd) {
    std::string out;
    if (fd < 0) return out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            out.append(buf, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            break;
        }
    }
    ::close(fd);
    return out;
}

namespace {

enum class reaped { exited, running, not_ours };

reaped reap(pid_t pid, int flags, int& status) {
    pid_t r;
    do {
        r = ::waitpid(pid, &status, flags);
    } while (r < 0 && errno == EINTR);
    if (r == pid) return reaped::exited;
    return r == 0 ? reaped::running : reaped::not_ours;
}

// Polls until the child exits, is found not to be ours, or the deadline passes.
reaped reap_within(pid_t pid, std::chrono::milliseconds timeout, int& status) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto r = reap(pid, WNOHANG, status);
        if (r != reaped::running || std::chrono::steady_clock::now() >= deadline) return r;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace

std::optional<int> try_wait(pid_t pid) {
    int st = 0;
    if (reap(pid, WNOHANG, st) == reaped::exited) return st;
    return std::nullopt;
}

int wait(pid_t pid) {
    int st = 0;
    return reap(pid, 0, st) == reaped::exited ? st : -1;
}

std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout) {
    int st = 0;
    if (reap_within(pid, timeout, st) == reaped::exited) return st;
    return std::nullopt;
}

int exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string describe_wait_status(int status) {
    if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char* name = ::strsignal(sig);
        return "killed by signal " + std::to_string(sig) +
               (name != nullptr ? std::string(" (") + name + ")" : "");
    }
    return "wait status " + std::to_string(status);
}

void signal_process(pid_t pid, int sig) {
    if (pid <= 1) return;
    if (::getpgid(pid) == pid) ::kill(-pid, sig);
    ::kill(pid, sig);
}

int terminate(pid_t pid, std::chrono::milliseconds grace) {
    if (pid <= 1) return -1;
    int st = 0;
    auto r = reap(pid, WNOHANG, st);
    if (r != reaped::running) return r == reaped::exited ? st : -1;
    signal_process(pid, SIGTERM);
    r = reap_within(pid, grace, st);
    if (r != reaped::running) return r == reaped::exited ? st : -1;
    signal_process(pid, SIGKILL);
    return wait(pid);
}

run_output run_capture(spawn_options options) {
    options.out = spawn_options::output::capture;
    auto child = spawn(options);
    run_output r;
    r.output = read_all(child.output_fd);
    int st = wait(child.pid);
    r.exit_code = st < 0 ? -1 : exit_code(st);
    return r;
}

namespace {

// Go's exec.LookPath: a name with a slash is used as is, others are searched in our $PATH.
std::optional<std::string> look_path(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    const char* path = std::getenv("PATH");
    std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    while (true) {
        auto colon = dirs.find(':');
        std::string dir(dirs.substr(0, colon));
        std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
        if (colon == std::string_view::npos) break;
        dirs.remove_prefix(colon + 1);
    }
    return std::nullopt;
}

void close_range_except(int keep) {
    // close_range(2) (Linux 5.9); the loop is the fallback for older kernels.
    if (::syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u) == 0 &&
        ::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u) == 0)
        return;
    for (int fd = 3; fd < 4096; ++fd)
        if (fd != keep) ::close(fd);
}

}  // namespace

void set_window_size(int pty_fd, std::uint16_t columns, std::uint16_t rows) {
    if (pty_fd < 0) return;
    struct winsize ws {};
    ws.ws_col = columns;
    ws.ws_row = rows;
    ::ioctl(pty_fd, TIOCSWINSZ, &ws);
}

void close_fds(stdio_child& c) {
    for (int* fd : {&c.stdin_fd, &c.stdout_fd, &c.stderr_fd}) {
        if (*fd >= 0 && *fd != c.pty_fd) ::close(*fd);
        *fd = -1;
    }
    if (c.pty_fd >= 0) ::close(c.pty_fd);
    c.pty_fd = -1;
}

std::variant<stdio_child, std::string> spawn_stdio(const stdio_options& o) {
    using failure = std::variant<stdio_child, std::string>;
    auto fail = [](std::string text) { return failure(std::in_place_index<1>, std::move(text)); };
    if (o.argv.empty()) return fail("exec: no command");
    auto program = look_path(o.argv[0]);
    if (!program)
        return fail("exec: \"" + o.argv[0] + "\": executable file not found in $PATH");
    // Everything the child needs is prepared before fork (only async-signal-safe calls after).
    std::string exe = *program;
    std::vector<std::string> argv_s = o.argv;
    auto argv = pointers(argv_s);
    spawn_options env_options;
    env_options.env = o.env;
    std::vector<std::string> env_s = child_environment(env_options);
    auto envp = pointers(env_s);
    std::string cwd = o.cwd.string();
    const std::string chdir_what = "chdir " + cwd;
    const std::string setgid_what = o.gid ? "setgid " + std::to_string(*o.gid) : "";
    const std::string setuid_what = o.uid ? "setuid " + std::to_string(*o.uid) : "";
    const bool drop_groups = (o.uid || o.gid) && ::geteuid() == 0;

    stdio_child c;
    std::vector<int> child_ends;  // closed in the parent after fork
    auto cleanup = [&](const char* what) {
        std::string text = std::string(what) + ": " + std::strerror(errno);
        close_fds(c);
        for (int fd : child_ends) ::close(fd);
        return fail(text);
    };
    int child_in = -1, child_out = -1, child_err = -1;
    std::string slave_name;
    if (o.pty) {
        c.pty_fd = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (c.pty_fd < 0) return cleanup("posix_openpt");
        if (::grantpt(c.pty_fd) != 0 || ::unlockpt(c.pty_fd) != 0) return cleanup("unlockpt");
        char name[128];
        if (::ptsname_r(c.pty_fd, name, sizeof name) != 0) return cleanup("ptsname");
        slave_name = name;
        if (o.columns != 0 && o.rows != 0) set_window_size(c.pty_fd, o.columns, o.rows);
        c.stdin_fd = c.pty_fd;
    } else {
        auto make = [&](bool wanted, bool child_reads, int& parent_end, int& child_end) {
            if (!wanted) return true;
            int p[2];
            if (::pipe2(p, O_CLOEXEC) != 0) return false;
            parent_end = child_reads ? p[1] : p[0];
            child_end = child_reads ? p[0] : p[1];
            child_ends.push_back(child_end);
            return true;
        };
        if (!make(o.want_stdin, true, c.stdin_fd, child_in) ||
            !make(o.want_stdout, false, c.stdout_fd, child_out) ||
            !make(o.want_stderr, false, c.stderr_fd, child_err))
            return cleanup("pipe");
    }
    int report_pipe[2];
    if (::pipe2(report_pipe, O_CLOEXEC) != 0) return cleanup("pipe");
    c.pid = ::fork();
    if (c.pid < 0) {
        ::close(report_pipe[0]);
        ::close(report_pipe[1]);
        return cleanup("fork");
    }
    if (c.pid == 0) {
        int report = report_pipe[1];
        ::signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        if (o.pty) {
            if (::setsid() < 0) child_fail(report, "setsid");
            int slave = ::open(slave_name.c_str(), O_RDWR);
            if (slave < 0) child_fail(report, "opening the terminal");
            if (::ioctl(slave, TIOCSCTTY, 0) != 0) child_fail(report, "TIOCSCTTY");
            child_in = child_out = child_err = slave;
        } else {
            ::setpgid(0, 0);
            int null_fd = ::open("/dev/null", O_RDWR);
            if (null_fd < 0) child_fail(report, "opening /dev/null");
            if (child_in < 0) child_in = null_fd;
            if (child_out < 0) child_out = null_fd;
            if (child_err < 0) child_err = null_fd;
        }
        // dup2 clears close-on-exec on the copies.
        if (::dup2(child_in, 0) < 0 || ::dup2(child_out, 1) < 0 || ::dup2(child_err, 2) < 0)
            child_fail(report, "dup2");
        close_range_except(report);
        if (drop_groups && ::setgroups(0, nullptr) != 0) child_fail(report, "setgroups");
        if (o.gid && ::setgid(*o.gid) != 0) child_fail(report, setgid_what.c_str());
        if (o.uid && ::setuid(*o.uid) != 0) child_fail(report, setuid_what.c_str());
        // After the credential change, which clears it.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) child_fail(report, chdir_what.c_str());
        ::execve(exe.c_str(), argv.data(), envp.data());
        child_fail(report, "exec");
    }
    ::close(report_pipe[1]);
    for (int fd : child_ends) ::close(fd);
    child_ends.clear();
    char buf[512];
    ssize_t n;
    do {
        n = ::read(report_pipe[0], buf, sizeof buf);
    } while (n < 0 && errno == EINTR);
    ::close(report_pipe[0]);
    if (n > 0) {
        close_fds(c);
        wait(c.pid);
        return fail(std::string(buf, static_cast<std::size_t>(n)));
    }
    return c;
}

}  // namespace ghost::engine
