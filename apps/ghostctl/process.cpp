#include "apps/ghostctl/process.hpp"

#include "apps/ghostctl/pki.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ghost::ghostctl {
namespace {

// Process state letter from /proc/<pid>/stat ('\0' when gone).
char proc_state(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string s;
    if (!std::getline(in, s)) return '\0';
    auto rp = s.rfind(')');
    if (rp == std::string::npos || rp + 2 >= s.size()) return '\0';
    return s[rp + 2];
}

[[noreturn]] void child_fail(int pipe_fd, const char* what) {
    int e = errno;
    char buf[256];
    int n = std::snprintf(buf, sizeof buf, "%s: %s", what, std::strerror(e));
    if (n > 0) (void)!::write(pipe_fd, buf, static_cast<std::size_t>(n));
    ::_exit(127);
}

}  // namespace

pid_t spawn_daemon(const spawn_spec& spec) {
    std::filesystem::create_directories(spec.log_file.parent_path());
    std::filesystem::create_directories(spec.pid_file.parent_path());
    // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
    std::vector<std::string> argv_s;
    argv_s.push_back(spec.binary);
    argv_s.insert(argv_s.end(), spec.args.begin(), spec.args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string log = spec.log_file.string();
    std::string cwd = spec.cwd.string();

    int err_pipe[2];
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        int e = errno;
        ::close(err_pipe[0]);
        ::close(err_pipe[1]);
        throw std::runtime_error(std::string("fork: ") + std::strerror(e));
    }
    if (pid == 0) {
        ::close(err_pipe[0]);
        ::setsid();
        ::signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        int in = ::open("/dev/null", O_RDONLY);
        int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (in < 0 || out < 0) child_fail(err_pipe[1], "opening the log file");
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(out, 2);
        // Close everything else (inherited pipes would keep a caller's capture open forever).
        int keep = err_pipe[1];
        for (int fd = 3; fd < 1024; ++fd) {
            if (fd != keep) ::close(fd);
        }
        if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) child_fail(keep, "chdir");
        ::execv(argv[0], argv.data());
        child_fail(keep, "exec");
    }
    ::close(err_pipe[1]);
    char buf[512];
    ssize_t n;
    do {
        n = ::read(err_pipe[0], buf, sizeof buf);
    } while (n < 0 && errno == EINTR);
    ::close(err_pipe[0]);
    if (n > 0) {
        int st = 0;
        ::waitpid(pid, &st, 0);
        throw std::runtime_error("cannot start " + spec.binary + ": " +
                                 std::string(buf, static_cast<std::size_t>(n)));
    }
    write_file(spec.pid_file, std::to_string(pid) + "\n");
    return pid;
}

std::optional<int> poll_child(pid_t pid) {
    int st = 0;
    pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid) return st;
    return std::nullopt;
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

bool pid_alive(pid_t pid) {
    if (pid <= 0) return false;
    if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
    char s = proc_state(pid);
    if (s == '\0') return false;
    if (s != 'Z' && s != 'X') return true;
    // A zombie leader of a multi-threaded program (Go) whose other threads are still exiting
    // still holds its sockets; it is gone only once the leader is the last task left.
    std::error_code ec;
    std::size_t tasks = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task",
                                                       ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        ++tasks;
    }
    return tasks > 1;
}

std::vector<std::string> proc_cmdline(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::vector<std::string> out;
    std::string part;
    while (std::getline(in, part, '\0')) out.push_back(part);
    return out;
}

bool pid_runs_binary(pid_t pid, const std::string& binary) {
    if (!pid_alive(pid)) return false;
    auto cmd = proc_cmdline(pid);
    if (cmd.empty()) return false;
    if (cmd[0] == binary) return true;
    // Fall back to the executable link (argv[0] could be rewritten by the program).
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
    return !ec && exe == std::filesystem::weakly_canonical(binary, ec);
}

std::optional<pid_t> read_pid_file(const std::filesystem::path& file) {
    std::ifstream in(file);
    long v = 0;
    if (!(in >> v) || v <= 1) return std::nullopt;
    return static_cast<pid_t>(v);
}

bool stop_process(pid_t pid, std::chrono::milliseconds grace) {
    if (pid <= 1) return true;
    auto signal_it = [&](int sig) {
        // A component leads its own process group; signal the group so helpers go too.
        if (::getpgid(pid) == pid) ::kill(-pid, sig);
        ::kill(pid, sig);
    };
    auto gone = [&] {
        poll_child(pid);  // reaps when it is our child, no-op otherwise
        return !pid_alive(pid);
    };
    if (gone()) return true;
    signal_it(SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        if (gone()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    signal_it(SIGKILL);
    deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (gone()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

std::vector<pid_t> find_processes_mentioning(const std::string& needle) {
    std::vector<pid_t> out;
    pid_t self = ::getpid();
    DIR* d = ::opendir("/proc");
    if (d == nullptr) return out;
    while (dirent* e = ::readdir(d)) {
        char* end = nullptr;
        long v = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0' || v <= 1 || v == self) continue;
        auto pid = static_cast<pid_t>(v);
        for (auto& a : proc_cmdline(pid)) {
            if (a.find(needle) != std::string::npos) {
                if (pid_alive(pid)) out.push_back(pid);
                break;
            }
        }
    }
    ::closedir(d);
    return out;
}

std::string tail_lines(const std::filesystem::path& file, std::size_t n) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return "";
    std::deque<std::string> lines;
    std::string l;
    while (std::getline(in, l)) {
        lines.push_back(std::move(l));
        if (lines.size() > n) lines.pop_front();
    }
    std::string out;
    for (auto& x : lines) out += x + "\n";
    return out;
}

}  // namespace ghost::ghostctl
