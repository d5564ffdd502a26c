// The SPDY connection driver over a loopback socket: answers flow back, a client that never
// closes is cut off after the linger grace, a cancelled waiter ends.
#include "engine/spdy_connection.hpp"

#include "ghost_testing/async_test.hpp"
#include "ghost_testing/tcp_byte_stream.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <gtest/gtest.h>

namespace {

namespace net = boost::asio;
namespace spdy = ghost::engine::spdy;
using net::awaitable;
using net::ip::tcp;
using net::use_awaitable;
using namespace std::chrono_literals;

using ghost::testing::tcp_byte_stream;

awaitable<std::pair<tcp::socket, std::unique_ptr<ghost::engine::byte_stream>>> connect_pair() {
    auto ex = co_await net::this_coro::executor;
    tcp::acceptor acceptor(ex, {net::ip::address_v4::loopback(), 0});
    tcp::socket client(ex);
    co_await client.async_connect(acceptor.local_endpoint(), use_awaitable);
    auto server = co_await acceptor.async_accept(use_awaitable);
    co_return std::make_pair(std::move(client),
                             std::make_unique<tcp_byte_stream>(std::move(server)));
}

// Reads from the client socket until EOF; everything the server sent.
awaitable<std::string> read_to_eof(tcp::socket& s) {
    std::string all;
    std::array<char, 4096> buf;
    for (;;) {
        boost::system::error_code ec;
        std::size_t n = co_await s.async_read_some(net::buffer(buf),
                                                   net::redirect_error(use_awaitable, ec));
        all.append(buf.data(), n);
        if (ec) co_return all;
    }
}

}  // namespace

TEST(SpdyConnection, ALingeringClientIsCutOffAfterTheGrace) {
    ghost::testing::run_async([](net::any_io_executor) -> awaitable<void> {
        using namespace boost::asio::experimental::awaitable_operators;
        auto [client, server] = co_await connect_pair();
        spdy::connection conn(std::move(server));
        std::vector<std::uint32_t> opened;
        conn.on_open = [&](spdy::stream_opened& ev) {
            opened.push_back(ev.id);
            conn.session.reply(ev.id);
            conn.accept(ev.id);
        };
        spdy::frame_writer w;
        std::string hello;
        w.write(spdy::syn_stream{1, 0, 0, 0, {{"streamtype", "stdin"}}}, hello);
        w.write(spdy::data{1, 0, "typed"}, hello);
        w.write(spdy::ping{3}, hello);
        co_await net::async_write(client, net::buffer(hello), use_awaitable);
        std::string received;
        auto serve = [&]() -> awaitable<void> {
            std::string nothing_read;
            co_await (conn.read_loop(std::move(nothing_read)) && [&]() -> awaitable<void> {
                auto* q = conn.find(1);
                while (q == nullptr || q->bytes != "typed") {
                    co_await conn.changed.wait();
                    q = conn.find(1);
                }
                conn.session.send_data(1, "bye", true);
                conn.session.go_away();
                // The client never closes: linger gives up after the grace and closes.
                co_await conn.linger(50ms);
            }());
        };
        auto client_side = [&]() -> awaitable<void> { received = co_await read_to_eof(client); };
        co_await (serve() && client_side());
        EXPECT_EQ(opened, std::vector<std::uint32_t>{1});
        EXPECT_TRUE(conn.disconnected);
        spdy::frame_reader r;
        r.feed(received);
        std::vector<std::size_t> kinds;
        for (;;) {
            auto f = r.next();
            CO_ASSERT_TRUE(f.has_value());
            if (!*f) break;
            kinds.push_back((*f)->index());
        }
        // SYN_REPLY and the PING answer (in either order: one read or two), then DATA "bye"
        // with FIN, then GOAWAY.
        CO_ASSERT_EQ(kinds.size(), 4u);
        EXPECT_EQ(std::min(kinds[0], kinds[1]), 1u);
        EXPECT_EQ(std::max(kinds[0], kinds[1]), 4u);
        EXPECT_EQ(kinds[2], 8u);
        EXPECT_EQ(kinds[3], 5u);
    });
}

TEST(SpdyConnection, ACancelledWaiterEnds) {
    ghost::testing::run_async([](net::any_io_executor) -> awaitable<void> {
        using namespace boost::asio::experimental::awaitable_operators;
        auto [client, server] = co_await connect_pair();
        spdy::connection conn(std::move(server));
        int wakeups = 0;
        auto forever = [&]() -> awaitable<void> {
            for (;;) {
                co_await conn.changed.wait();
                ++wakeups;
            }
        };
        auto notify_then_time_out = [&]() -> awaitable<void> {
            co_await spdy::sleep_for(5ms);
            conn.changed.notify();
            co_await spdy::sleep_for(20ms);
        };
        co_await (forever() || notify_then_time_out());
        EXPECT_EQ(wakeups, 1);  // woken by the notify, ended by the cancellation
    });
}
