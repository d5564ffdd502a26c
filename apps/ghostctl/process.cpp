#include "apps/ghostctl/process.hpp"

#include "apps/ghostctl/pki.hpp"
#include "engine/subprocess.hpp"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <fstream>
#include <sstream>
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

}  // namespace

pid_t spawn_daemon(const spawn_spec& spec) {
    std::filesystem::create_directories(spec.log_file.parent_path());
    std::filesystem::create_directories(spec.pid_file.parent_path());
    engine::spawn_options o;
    o.argv.push_back(spec.binary);
    o.argv.insert(o.argv.end(), spec.args.begin(), spec.args.end());
    o.cwd = spec.cwd;
    o.env = spec.env;
    o.out = engine::spawn_options::output::append_to_file;
    o.output_file = spec.log_file;
    o.group = engine::spawn_options::grouping::own_session;
    // Inherited pipes would keep a caller's capture open forever.
    o.close_other_fds = true;
    pid_t pid = engine::spawn(o).pid;
    write_file(spec.pid_file, std::to_string(pid) + "\n");
    return pid;
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
    // A component leads its own process group; the group is signalled so helpers go too.
    auto signal_it = [&](int sig) { engine::signal_process(pid, sig); };
    auto gone = [&] {
        engine::try_wait(pid);  // reaps when it is our child, no-op otherwise
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
