#include "apps/ghostctl/ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace ghost::ghostctl {

bool port_is_free(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok && !port_is_listening(port);
}

bool port_is_listening(std::uint16_t port) {
    for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        std::ifstream in(file);
        std::string line;
        std::getline(in, line);  // header
        while (std::getline(in, line)) {
            // "  sl  local_address rem_address   st ..." ; local is HEXIP:HEXPORT
            std::istringstream ls(line);
            std::string sl, local, remote, st;
            ls >> sl >> local >> remote >> st;
            auto colon = local.rfind(':');
            if (colon == std::string::npos || st != "0A") continue;
            if (std::stoul(local.substr(colon + 1), nullptr, 16) == port) return true;
        }
    }
    return false;
}

std::vector<std::uint16_t> choose_ports(std::size_t count, const std::set<std::uint16_t>& reserved,
                                        std::uint16_t start) {
    std::vector<std::uint16_t> out;
    for (std::uint32_t p = start; p >= 1024 && out.size() < count; --p) {
        auto port = static_cast<std::uint16_t>(p);
        if (reserved.count(port) != 0) continue;
        if (!port_is_free(port)) continue;
        out.push_back(port);
    }
    if (out.size() < count) {
        throw std::runtime_error("no free TCP ports left on 127.0.0.1 below " +
                                 std::to_string(start));
    }
    return out;
}

}  // namespace ghost::ghostctl
