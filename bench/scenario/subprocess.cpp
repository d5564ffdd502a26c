#include "bench/scenario/subprocess.hpp"

#include "engine/subprocess.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

namespace ghost::bench {
namespace {

engine::spawn_options log_to(const std::vector<std::string>& argv,
                             const std::filesystem::path& log) {
    engine::spawn_options o;
    o.argv = argv;
    o.out = engine::spawn_options::output::append_to_file;
    o.output_file = log;
    return o;
}

}  // namespace

int run_command(const std::vector<std::string>& argv, const std::filesystem::path& log,
                std::chrono::seconds timeout) {
    pid_t pid = -1;
    try {
        pid = engine::spawn(log_to(argv, log)).pid;
    } catch (const std::exception& e) {
        std::ofstream(log, std::ios::app) << e.what() << "\n";
        return -1;
    }
    if (auto st = engine::wait_for(pid, timeout)) return engine::exit_code(*st);
    engine::terminate(pid, std::chrono::seconds(5));
    return 124;
}

pid_t spawn_background(const std::vector<std::string>& argv, const std::filesystem::path& log) {
    auto o = log_to(argv, log);
    o.group = engine::spawn_options::grouping::own_group;
    o.die_with_parent = true;  // a background simulator must not outlive a crashed runner
    return engine::spawn(o).pid;
}

void stop_child(pid_t pid, std::chrono::milliseconds grace) {
    if (pid > 0) engine::terminate(pid, grace);
}

std::uint16_t free_port() {
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(s);
        throw std::runtime_error("cannot find a free port");
    }
    ::close(s);
    return ntohs(addr.sin_port);
}

std::string join_command(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& a : argv) {
        if (!out.empty()) out += ' ';
        out += a.find_first_of(" \"'") == std::string::npos ? a : "'" + a + "'";
    }
    return out;
}

}  // namespace ghost::bench
