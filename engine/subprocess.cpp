#include "engine/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
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

}  // namespace ghost::engine
