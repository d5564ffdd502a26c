// port-forward: the LOCAL:PORT argument, kwokctl's port names, and the TCP relay over loopback
// (bytes both ways, half-closes passed on, a refusing target, stop with pairs open).
#include "apps/ghostctl/cluster.hpp"
#include "apps/ghostctl/port_forward.hpp"
#include "apps/ghostctl/tcp_relay.hpp"
#include "ghost_testing/async_test.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <optional>
#include <sstream>

namespace ghost::ghostctl {
namespace {

namespace net = boost::asio;
using net::ip::tcp;
using ghost::testing::run_async;
using ghost::testing::wait_until;
constexpr auto nothrow = net::as_tuple(net::use_awaitable);

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

TEST(port_forward, mapping_is_local_port_and_a_name_or_number) {
    using mapping = std::pair<std::uint16_t, std::string>;
    EXPECT_EQ(parse_port_mapping("8443:https"), (mapping{8443, "https"}));
    EXPECT_EQ(parse_port_mapping("0:32764"), (mapping{0, "32764"}));
    EXPECT_EQ(error_of([] { parse_port_mapping("8443"); }),
              "port-forward: invalid port mapping \"8443\": expected "
              "LOCAL-PORT:PORT-NAME-OR-NUMBER, e.g. 8443:https");
    EXPECT_NE(error_of([] { parse_port_mapping("1:2:3"); }).find("invalid port mapping \"1:2:3\""),
              std::string::npos);
    EXPECT_EQ(error_of([] { parse_port_mapping("x:https"); }),
              "port-forward: invalid local port \"x\" in \"x:https\": expected a number from 0 "
              "(any free port) to 65535");
    EXPECT_NE(error_of([] { parse_port_mapping("70000:https"); }).find("invalid local port"),
              std::string::npos);
    EXPECT_NE(error_of([] { parse_port_mapping("80:"); }).find("no port after ':'"),
              std::string::npos);
}

TEST(port_forward, kwokctl_port_names_select_the_components_ports) {
    component etcd{"etcd", "/b/etcd", {}, {32765, 32766}};
    component api{"kube-apiserver", "/b/kube-apiserver", {}, {32764}};
    component ghostlet{"ghostlet", "/b/ghostlet", {}, {32763}};
    EXPECT_EQ(resolve_component_port(etcd, "http"), 32765);
    EXPECT_EQ(resolve_component_port(etcd, "peer-http"), 32766);
    EXPECT_EQ(resolve_component_port(api, "https"), 32764);
    EXPECT_EQ(resolve_component_port(ghostlet, "http"), 32763);
    EXPECT_EQ(resolve_component_port(api, "6443"), 6443) << "a number is used as it is";
    EXPECT_EQ(error_of([&] { resolve_component_port(api, "http"); }),
              "port-forward: kube-apiserver has no port named \"http\" (ports: https (32764))");
    EXPECT_EQ(error_of([&] { resolve_component_port(etcd, "client"); }),
              "port-forward: etcd has no port named \"client\" (ports: http (32765), "
              "peer-http (32766))");
    EXPECT_NE(error_of([&] { resolve_component_port(api, "0"); }).find("port \"0\""),
              std::string::npos);
}

TEST(port_forward, unknown_component_and_bad_address_are_one_line) {
    cluster_state s;
    s.name = "c";
    s.components = {component{"etcd", "/b/etcd", {}, {1, 2}}};
    std::ostringstream out, err;
    port_forward_options o;
    o.component = "kube-scheduler";
    o.target = "https";
    EXPECT_EQ(error_of([&] { run_port_forward(s, o, false, out, err); }),
              "port-forward: no component \"kube-scheduler\" in cluster \"c\" (components: etcd)");
    o.component = "etcd";
    o.target = "http";
    o.address = "localhost";
    EXPECT_EQ(error_of([&] { run_port_forward(s, o, false, out, err); }),
              "port-forward: --address: expected an IP address, got \"localhost\"");
    o.address = "127.0.0.1";
    o.local_port = 8080;
    EXPECT_EQ(run_port_forward(s, o, true, out, err), 0);
    EXPECT_EQ(out.str(), "# Forward 127.0.0.1:8080 to etcd (http) at 127.0.0.1:1\n"
                         "socat TCP-LISTEN:8080,bind=127.0.0.1,fork,reuseaddr TCP:127.0.0.1:1\n");
}

tcp::endpoint loopback(unsigned short port = 0) {
    return {net::ip::make_address("127.0.0.1"), port};
}

// Reads until end of file; the bytes read.
net::awaitable<std::string> read_to_eof(tcp::socket& s) {
    std::string got;
    char buf[8192];
    for (;;) {
        auto [ec, n] = co_await s.async_read_some(net::buffer(buf), nothrow);
        got.append(buf, n);
        if (ec) co_return got;
    }
}

TEST(tcp_relay, relays_both_ways_and_passes_half_closes_on) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        tcp::acceptor target(ex, loopback());
        // The target answers once the client half-closed: only a passed-on EOF lets it.
        std::string seen;
        net::co_spawn(ex, [&]() -> net::awaitable<void> {
            auto [ec, s] = co_await target.async_accept(nothrow);
            if (ec) co_return;
            seen = co_await read_to_eof(s);
            std::string reply = "got " + std::to_string(seen.size()) + " bytes";
            co_await net::async_write(s, net::buffer(reply), nothrow);
        }, net::detached);
        tcp_relay relay(ex, loopback(), target.local_endpoint());
        bool ran = false;
        net::co_spawn(ex, relay.run(), [&](std::exception_ptr) { ran = true; });

        tcp::socket client(ex);
        auto [cec] = co_await client.async_connect(relay.local_endpoint(), nothrow);
        CO_ASSERT_FALSE(cec);
        const std::string payload(1 << 20, 'x');  // more than one read's worth
        co_await net::async_write(client, net::buffer(payload), nothrow);
        client.shutdown(tcp::socket::shutdown_send);
        auto reply = co_await read_to_eof(client);
        EXPECT_EQ(reply, "got 1048576 bytes");
        EXPECT_EQ(seen, payload);
        CO_ASSERT_TRUE(co_await wait_until([&] { return relay.stats().open == 0; }));
        auto st = relay.stats();
        EXPECT_EQ(st.accepted, 1u);
        EXPECT_EQ(st.bytes_to_target, payload.size());
        EXPECT_EQ(st.bytes_to_client, reply.size());
        EXPECT_FALSE(ran) << "the relay keeps listening after a pair closed";
        relay.stop();
        CO_ASSERT_TRUE(co_await wait_until([&] { return ran; }));
    });
}

TEST(tcp_relay, a_refusing_target_ends_that_connection_only) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        auto closed = std::make_unique<tcp::acceptor>(ex, loopback());
        const auto target_ep = closed->local_endpoint();
        closed.reset();  // nothing listens there now
        std::vector<std::string> warnings;
        tcp_relay relay(ex, loopback(), target_ep,
                        [&](const std::string& w) { warnings.push_back(w); });
        net::co_spawn(ex, relay.run(), net::detached);

        tcp::socket first(ex);
        co_await first.async_connect(relay.local_endpoint(), nothrow);
        auto got = co_await read_to_eof(first);
        EXPECT_EQ(got, "") << "the client is closed when the target refuses";
        EXPECT_EQ(relay.stats().connect_failures, 1u);
        CO_ASSERT_EQ(warnings.size(), 1u);
        EXPECT_NE(warnings[0].find("connecting to 127.0.0.1:" + std::to_string(target_ep.port())),
                  std::string::npos)
            << warnings[0];

        // The target comes up: the next connection is relayed.
        tcp::acceptor target(ex);
        target.open(tcp::v4());
        target.set_option(net::socket_base::reuse_address(true));
        target.bind(target_ep);
        target.listen();
        net::co_spawn(ex, [&]() -> net::awaitable<void> {
            auto [ec, s] = co_await target.async_accept(nothrow);
            if (!ec) co_await net::async_write(s, net::buffer(std::string("up")), nothrow);
        }, net::detached);
        tcp::socket second(ex);
        co_await second.async_connect(relay.local_endpoint(), nothrow);
        EXPECT_EQ(co_await read_to_eof(second), "up");
        EXPECT_EQ(relay.stats().accepted, 2u);
        relay.stop();
    });
}

TEST(tcp_relay, stop_closes_open_pairs_and_run_completes) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        tcp::acceptor target(ex, loopback());
        std::optional<tcp::socket> held;  // the target keeps its end open
        std::string first_byte;
        net::co_spawn(ex, [&]() -> net::awaitable<void> {
            auto [ec, s] = co_await target.async_accept(nothrow);
            if (ec) co_return;
            held.emplace(std::move(s));
            char c = 0;
            auto [rec, n] = co_await held->async_read_some(net::buffer(&c, 1), nothrow);
            if (n == 1) first_byte = std::string(1, c);
        }, net::detached);
        tcp_relay relay(ex, loopback(), target.local_endpoint());
        bool ran = false;
        net::co_spawn(ex, relay.run(), [&](std::exception_ptr) { ran = true; });
        const auto listening = relay.local_endpoint();
        tcp::socket client(ex);
        co_await client.async_connect(listening, nothrow);
        co_await net::async_write(client, net::buffer(std::string("a")), nothrow);
        CO_ASSERT_TRUE(co_await wait_until([&] { return first_byte == "a"; }));
        EXPECT_EQ(relay.stats().open, 1u);
        relay.stop();
        auto rest = co_await read_to_eof(client);
        EXPECT_EQ(rest, "");
        CO_ASSERT_TRUE(co_await wait_until([&] { return ran; }));
        EXPECT_EQ(relay.stats().open, 0u);
        // Nothing listens any more.
        tcp::socket late(ex);
        auto [lec] = co_await late.async_connect(listening, nothrow);
        EXPECT_TRUE(lec);
    });
}

}  // namespace
}  // namespace ghost::ghostctl
