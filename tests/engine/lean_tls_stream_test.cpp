// engine::lean_tls_stream: TLS for streams without idle buffers, through the pool (watches
// over TLS: chunks, a large body, cancellation, certificate checks) and on its own (nothing
// held while a read waits).
#include "engine/http_pool.hpp"
#include "engine/lean_tls_stream.hpp"
#include "engine/tls_context.hpp"

#include "ghost_testing/async_test.hpp"
#include "ghost_testing/loopback_http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>

#include <optional>

namespace {

namespace net = boost::asio;
namespace eng = ghost::engine;
namespace http = boost::beast::http;
using ghost::testing::loopback_http_server;
using ghost::testing::reply;
using ghost::testing::run_async;
using ghost::testing::wait_until;
using namespace std::chrono_literals;

eng::http_request get(std::string target) {
    eng::http_request r;
    r.method = http::verb::get;
    r.target = std::move(target);
    return r;
}

struct tls_server {
    ghost::testing::pem_pair pem = ghost::testing::make_self_signed_cert("localhost");
    eng::tls_options trusting() const {
        eng::tls_options o;
        o.ca_pem = pem.cert_pem;
        return o;
    }
};

TEST(lean_tls_stream, a_watch_over_tls_gets_every_chunk_and_a_large_body) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        tls_server t;
        // 300 KB in chunks of 60 KB: records split across reads, many per chunk.
        std::string big(60 * 1024, 'x');
        for (std::size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>('a' + i % 26);
        loopback_http_server server(ex, [&](const ghost::testing::http_message&, std::size_t) {
            reply r;
            r.stream = true;
            r.chunks = {"{\"a\":1}\n", big, big, big, big, big, "end\n"};
            return r;
        }, ghost::testing::make_server_tls_context(t.pem));
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), true}, t.trusting(), {});
        std::string got;
        auto r = co_await pool.async_stream(get("/watch"), [&](std::string_view d) { got += d; });
        CO_ASSERT_TRUE(r.has_value());
        EXPECT_EQ(*r, 200u);
        EXPECT_EQ(got, "{\"a\":1}\n" + big + big + big + big + big + "end\n");
        // Requests on the same pool still use the pooled (Beast) TLS connections.
        auto q = co_await pool.async_request(get("/plain"));
        EXPECT_TRUE(q.has_value());
    });
}

TEST(lean_tls_stream, an_untrusted_or_misnamed_server_fails_the_stream_with_tls_error) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        tls_server t;
        loopback_http_server server(ex, [](const ghost::testing::http_message&, std::size_t) {
            reply r;
            r.body = "{}";
            return r;
        }, ghost::testing::make_server_tls_context(t.pem));
        auto misnamed = t.trusting();
        misnamed.server_name = "apiserver.example";
        eng::tls_options other;
        other.ca_pem = ghost::testing::make_self_signed_cert("other").cert_pem;
        for (const auto& o : {misnamed, other}) {
            eng::http_pool pool(ex, {"127.0.0.1", server.port(), true}, o, {});
            auto r = co_await pool.async_stream(get("/watch"), [](std::string_view) {});
            CO_ASSERT_FALSE(r.has_value());
            EXPECT_EQ(r.error(), eng::errc::tls_error);
        }
        eng::tls_options skip;
        skip.insecure_skip_verify = true;
        eng::http_pool insecure(ex, {"127.0.0.1", server.port(), true}, skip, {});
        auto s = co_await insecure.async_stream(get("/watch"), [](std::string_view) {});
        EXPECT_TRUE(s.has_value());
    });
}

TEST(lean_tls_stream, a_waiting_tls_watch_is_cancelled_through_its_slot) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        tls_server t;
        loopback_http_server server(ex, [](const ghost::testing::http_message&, std::size_t) {
            reply r;
            r.stream = true;
            r.chunks = {"first\n"};
            r.hold_open = true;
            return r;
        }, ghost::testing::make_server_tls_context(t.pem));
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), true}, t.trusting(), {});
        net::cancellation_signal stop;
        std::optional<eng::result<unsigned>> outcome;
        std::string got;
        net::steady_timer done(ex, std::chrono::steady_clock::time_point::max());
        net::co_spawn(ex, pool.async_stream(get("/watch"), [&](std::string_view d) { got += d; }),
                      net::bind_cancellation_slot(
                          stop.slot(), [&](std::exception_ptr, eng::result<unsigned> r) {
                              outcome = r;
                              done.cancel();
                          }));
        EXPECT_TRUE(co_await wait_until([&] { return !got.empty(); }));
        EXPECT_FALSE(outcome.has_value());
        stop.emit(net::cancellation_type::terminal);
        co_await done.async_wait(net::as_tuple(net::use_awaitable));
        CO_ASSERT_TRUE(outcome.has_value());
        CO_ASSERT_FALSE(outcome->has_value());
        EXPECT_EQ(outcome->error(), eng::errc::cancelled);
    });
}

// On its own: a server that answers one request, then stays quiet; while the client waits
// for more, the stream holds no ciphertext buffer beyond a record header.
TEST(lean_tls_stream, holds_no_buffers_while_a_read_waits_and_sees_the_peer_close) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        tls_server t;
        auto server_ctx = ghost::testing::make_server_tls_context(t.pem);
        net::ip::tcp::acceptor acceptor(ex, {net::ip::make_address("127.0.0.1"), 0});
        auto port = acceptor.local_endpoint().port();
        net::steady_timer release(ex, std::chrono::steady_clock::time_point::max());
        net::co_spawn(ex, [&]() -> net::awaitable<void> {
            auto [aec, sock] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
            if (aec) co_return;
            net::ssl::stream<net::ip::tcp::socket> s(std::move(sock), *server_ctx);
            auto [hec] = co_await s.async_handshake(net::ssl::stream_base::server,
                                                    net::as_tuple(net::use_awaitable));
            if (hec) co_return;
            std::string hello = "hello over lean tls";
            co_await net::async_write(s, net::buffer(hello), net::as_tuple(net::use_awaitable));
            co_await release.async_wait(net::as_tuple(net::use_awaitable));
            // Closes the TCP connection without close_notify.
        }, net::detached);

        auto ctx = eng::make_client_tls_context(t.trusting());
        CO_ASSERT_TRUE(ctx.has_value());
        eng::lean_tls_stream s(ex, **ctx);
        auto [cec] = co_await s.next_layer().async_connect(
            net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
            net::as_tuple(net::use_awaitable));
        CO_ASSERT_FALSE(cec);
        s.verify_server("127.0.0.1");
        auto [hec] = co_await s.async_handshake(net::as_tuple(net::use_awaitable));
        CO_ASSERT_FALSE(hec);

        char buf[64];
        auto [rec, n] = co_await s.async_read_some(net::buffer(buf), net::as_tuple(net::use_awaitable));
        CO_ASSERT_FALSE(rec);
        EXPECT_EQ(std::string(buf, n), "hello over lean tls");

        std::optional<boost::system::error_code> end;
        net::co_spawn(ex, [&]() -> net::awaitable<void> {
            auto [e, m] = co_await s.async_read_some(net::buffer(buf), net::as_tuple(net::use_awaitable));
            end = e;
        }, net::detached);
        // TLS 1.3 session tickets may arrive first; then the read waits on a record header.
        EXPECT_TRUE(co_await wait_until([&] { return s.buffered_bytes() <= 64; }));
        EXPECT_LE(s.buffered_bytes(), 64u) << "a waiting read holds a record header at most";
        EXPECT_FALSE(end.has_value());
        release.cancel();
        EXPECT_TRUE(co_await wait_until([&] { return end.has_value(); }));
        CO_ASSERT_TRUE(end.has_value());
        EXPECT_TRUE(*end == net::ssl::error::stream_truncated || *end == net::error::eof)
            << end->message();
    });
}

}  // namespace
