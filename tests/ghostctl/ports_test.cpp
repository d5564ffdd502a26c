#include "apps/ghostctl/ports.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ghost::ghostctl {
namespace {

// Listens on 127.0.0.1:port; -1 when the port could not be taken.
int occupy(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 1) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

TEST(ports, descending_scan_returns_distinct_free_ports) {
    auto p = choose_ports(3, {});
    ASSERT_EQ(p.size(), 3u);
    EXPECT_GT(p[0], p[1]);
    EXPECT_GT(p[1], p[2]);
    EXPECT_LE(p[0], first_scan_port);
    for (auto x : p) EXPECT_TRUE(port_is_free(x));
}

TEST(ports, occupied_port_is_skipped) {
    // Pick a currently free port, occupy it, and scan from it: it must be skipped.
    auto free_now = choose_ports(1, {}, 31000).at(0);
    int fd = occupy(free_now);
    ASSERT_GE(fd, 0);
    EXPECT_FALSE(port_is_free(free_now));
    EXPECT_TRUE(port_is_listening(free_now));
    auto p = choose_ports(1, {}, free_now).at(0);
    EXPECT_LT(p, free_now);
    ::close(fd);
    EXPECT_TRUE(port_is_free(free_now));
    EXPECT_FALSE(port_is_listening(free_now));
}

TEST(ports, reserved_ports_are_skipped) {
    auto first = choose_ports(1, {}, 30500).at(0);
    auto p = choose_ports(1, {first}, first).at(0);
    EXPECT_LT(p, first);
}

}  // namespace
}  // namespace ghost::ghostctl
