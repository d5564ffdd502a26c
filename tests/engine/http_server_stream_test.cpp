// engine/http_server stream routes: a handler takes the connection over after the head (any
// method, bytes past the head handed on), chunked replies from engine/stream_reply, and the
// client certificate of a TLS session checked against a client CA.
#include "engine/http_pool.hpp"
#include "engine/http_server.hpp"
#include "engine/stream_reply.hpp"
#include "engine/tls_certs.hpp"
#include "engine/tls_context.hpp"

#include "ghost_testing/async_test.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

using namespace ghost::engine;
namespace asio = boost::asio;

namespace {

http_request request(boost::beast::http::verb method, std::string target, std::string body = {}) {
    http_request r;
    r.method = method;
    r.target = std::move(target);
    r.body = std::move(body);
    return r;
}

// Answers with what the handler saw: method, target, the client fields and the body (the bytes
// already read plus the rest up to Content-Length).
asio::awaitable<void> echo_head(request_head head, std::unique_ptr<byte_stream> s,
                                std::string already) {
    std::size_t want = 0;
    if (auto cl = head.header("content-length"); !cl.empty()) want = std::stoul(std::string(cl));
    boost::system::error_code ec;
    while (already.size() < want) {
        char buf[256];
        auto n = co_await s->read_some(asio::buffer(buf), ec);
        if (ec) co_return;
        already.append(buf, n);
    }
    std::string body = std::string(boost::beast::http::to_string(head.method)) + " " +
                       head.target + " verified=" + (head.client_verified ? "1" : "0") +
                       " cn=" + head.client_common_name + " body=" + already;
    stream_reply_head reply{200, "text/plain", "test"};  // named: GCC 12 and braced temporaries
    co_await write_whole_reply(*s, reply, std::move(body), ec);
}

}  // namespace

TEST(http_server_stream, a_stream_route_takes_any_method_with_its_body_and_other_routes_stay) {
    ghost::testing::run_async([&](auto ex) -> asio::awaitable<void> {
        http_server server(ex, "127.0.0.1", "0");
        server.route("/healthz", [] { return http_reply{200, "text/plain", "ok"}; });
        server.route_stream("/exec/", echo_head);
        asio::co_spawn(ex, server.async_run(), asio::detached);
        http_pool plain(ex, {"127.0.0.1", std::to_string(server.port()), false}, {}, {});
        using boost::beast::http::verb;
        auto posted = co_await plain.async_request(
            request(verb::post, "/exec/ns/pod/c?command=echo&command=hi", "payload"));
        CO_ASSERT_TRUE(posted.has_value());
        EXPECT_EQ(posted->status, 200u);
        EXPECT_EQ(posted->body, "POST /exec/ns/pod/c?command=echo&command=hi verified=0 cn= "
                                "body=payload");
        auto got = co_await plain.async_request(request(verb::get, "/exec/x"));
        CO_ASSERT_TRUE(got.has_value());
        EXPECT_EQ(got->body, "GET /exec/x verified=0 cn= body=");
        auto health = co_await plain.async_request(request(verb::get, "/healthz"));
        CO_ASSERT_TRUE(health.has_value());
        EXPECT_EQ(health->body, "ok");
        auto post_elsewhere = co_await plain.async_request(request(verb::post, "/healthz", "x"));
        CO_ASSERT_TRUE(post_elsewhere.has_value());
        EXPECT_EQ(post_elsewhere->status, 405u) << "GET routes keep refusing other methods";
        plain.close();
        server.close();
    });
}

TEST(http_server_stream, bytes_sent_right_after_the_head_reach_the_handler) {
    // An upgraded protocol's first frame may come in the same packet as the head.
    ghost::testing::run_async([&](auto ex) -> asio::awaitable<void> {
        http_server server(ex, "127.0.0.1", "0");
        server.route_stream("/attach/", echo_head);
        asio::co_spawn(ex, server.async_run(), asio::detached);
        asio::ip::tcp::socket client(ex);
        co_await client.async_connect({asio::ip::make_address("127.0.0.1"), server.port()},
                                      asio::use_awaitable);
        std::string req = "POST /attach/a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
        co_await asio::async_write(client, asio::buffer(req), asio::use_awaitable);
        std::string reply;
        boost::system::error_code ec;
        char buf[512];
        for (;;) {
            auto [e, n] = co_await client.async_read_some(asio::buffer(buf),
                                                          asio::as_tuple(asio::use_awaitable));
            if (e) break;
            reply.append(buf, n);
        }
        EXPECT_NE(reply.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << reply;
        EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos) << reply;
        EXPECT_NE(reply.find("\r\n\r\nPOST /attach/a verified=0 cn= body=hello"), std::string::npos)
            << reply;
        server.close();
    });
}

TEST(http_server_stream, a_chunked_reply_is_read_by_an_http_client_as_it_comes) {
    ghost::testing::run_async([&](auto ex) -> asio::awaitable<void> {
        http_server server(ex, "127.0.0.1", "0");
        server.route_stream("/containerLogs/", [](request_head, std::unique_ptr<byte_stream> s,
                                                  std::string) -> asio::awaitable<void> {
            boost::system::error_code ec;
            auto head = format_reply_head({200, "text/plain", "test"}, true);
            co_await s->write(asio::buffer(head), ec);
            for (std::string line : {"one\n", "", "two\n"}) {
                auto chunk = format_chunk(line);
                co_await s->write(asio::buffer(chunk), ec);
            }
            co_await s->write(asio::buffer(last_chunk.data(), last_chunk.size()), ec);
        });
        asio::co_spawn(ex, server.async_run(), asio::detached);
        http_pool plain(ex, {"127.0.0.1", std::to_string(server.port()), false}, {}, {});
        std::string body;
        auto status = co_await plain.async_stream(
            request(boost::beast::http::verb::get, "/containerLogs/ns/p/c?follow=true"),
            [&](std::string_view d) { body.append(d); });
        CO_ASSERT_TRUE(status.has_value());
        EXPECT_EQ(*status, 200u);
        EXPECT_EQ(body, "one\ntwo\n");
        plain.close();
        server.close();
    });
}

TEST(http_server_stream, close_ends_a_handler_waiting_for_the_client) {
    ghost::testing::run_async([&](auto ex) -> asio::awaitable<void> {
        http_server server(ex, "127.0.0.1", "0");
        bool started = false, read_failed = false;
        server.route_stream("/portForward/", [&](request_head, std::unique_ptr<byte_stream> s,
                                                 std::string) -> asio::awaitable<void> {
            started = true;
            char c;
            boost::system::error_code ec;
            co_await s->read_some(asio::buffer(&c, 1), ec);
            read_failed = static_cast<bool>(ec);
        });
        asio::co_spawn(ex, server.async_run(), asio::detached);
        asio::ip::tcp::socket client(ex);
        co_await client.async_connect({asio::ip::make_address("127.0.0.1"), server.port()},
                                      asio::use_awaitable);
        std::string req = "GET /portForward/ns/p HTTP/1.1\r\nHost: x\r\n\r\n";
        co_await asio::async_write(client, asio::buffer(req), asio::use_awaitable);
        CO_ASSERT_TRUE(co_await ghost::testing::wait_until([&] { return started; }));
        server.close();
        CO_ASSERT_TRUE(co_await ghost::testing::wait_until([&] { return server.open_sessions() == 0; }));
        EXPECT_TRUE(read_failed);
    });
}

TEST(http_server_stream, a_client_certificate_the_client_ca_issued_is_verified_with_its_name) {
    auto server_ca = issue_certificate({"server-ca", {}, true, {}, {}});
    auto serving = issue_certificate({"ghostlet", {}, false, {"serverAuth"}, {"IP:127.0.0.1"}},
                                     &server_ca);
    auto client_ca = issue_certificate({"client-ca", {}, true, {}, {}});
    auto apiserver = issue_certificate({"kube-apiserver-kubelet-client", {"system:masters"}, false,
                                        {"clientAuth"}, {}}, &client_ca);
    auto stranger_ca = issue_certificate({"stranger-ca", {}, true, {}, {}});
    auto stranger = issue_certificate({"stranger", {}, false, {"clientAuth"}, {}}, &stranger_ca);
    ghost::testing::run_async([&](auto ex) -> asio::awaitable<void> {
        auto ctx = make_server_tls_context(serving);
        trust_client_certificates(*ctx, client_ca.cert_pem, "test client CA");
        http_server server(ex, "127.0.0.1", "0", ctx);
        server.route_stream("/exec/", echo_head);
        asio::co_spawn(ex, server.async_run(), asio::detached);
        const auto port = std::to_string(server.port());
        auto get = request(boost::beast::http::verb::get, "/exec/ns/p/c");

        tls_options with_cert;
        with_cert.ca_pem = server_ca.cert_pem;
        with_cert.cert_pem = apiserver.cert_pem;
        with_cert.key_pem = apiserver.key_pem;
        http_pool trusted(ex, {"127.0.0.1", port, true}, with_cert, {});
        auto a = co_await trusted.async_request(get);
        CO_ASSERT_TRUE(a.has_value());
        EXPECT_EQ(a->body, "GET /exec/ns/p/c verified=1 cn=kube-apiserver-kubelet-client body=");

        tls_options no_cert;
        no_cert.ca_pem = server_ca.cert_pem;
        http_pool anonymous(ex, {"127.0.0.1", port, true}, no_cert, {});
        auto b = co_await anonymous.async_request(get);
        CO_ASSERT_TRUE(b.has_value());  // a client without a certificate still connects
        EXPECT_EQ(b->body, "GET /exec/ns/p/c verified=0 cn= body=");

        tls_options wrong = no_cert;
        wrong.cert_pem = stranger.cert_pem;
        wrong.key_pem = stranger.key_pem;
        http_pool untrusted(ex, {"127.0.0.1", port, true}, wrong, {});
        auto c = co_await untrusted.async_request(get);
        EXPECT_FALSE(c.has_value()) << "a certificate the client CA did not issue fails the handshake";

        http_pool plain(ex, {"127.0.0.1", port, false}, {}, {});
        auto d = co_await plain.async_request(get);
        CO_ASSERT_TRUE(d.has_value());
        EXPECT_EQ(d->body, "GET /exec/ns/p/c verified=0 cn= body=");
        for (auto* p : {&trusted, &anonymous, &untrusted, &plain}) p->close();
        server.close();
    });
}

TEST(http_server_stream, a_client_ca_file_without_a_certificate_is_a_one_line_error_naming_it) {
    auto ctx = make_server_tls_context(issue_certificate({"x", {}, false, {"serverAuth"}, {}}));
    try {
        trust_client_certificates(*ctx, "not a certificate\n", "/etc/ca.crt");
        FAIL() << "expected an error";
    } catch (const std::exception& e) {
        std::string what = e.what();
        EXPECT_EQ(what.rfind("/etc/ca.crt: ", 0), 0u) << what;
        EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
    try {
        trust_client_certificates_file(*ctx, "/nonexistent/ca.crt");
        FAIL() << "expected an error";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/ca.crt"), std::string::npos);
    }
}

TEST(stream_reply, chunks_and_heads_are_http_1_1) {
    EXPECT_EQ(format_chunk("hello"), "5\r\nhello\r\n");
    EXPECT_EQ(format_chunk(std::string(26, 'a')).substr(0, 4), "1a\r\n");
    EXPECT_EQ(format_chunk(""), "") << "an empty chunk would end the body";
    EXPECT_EQ(format_reply_head({404, "text/plain", "s"}, false, 3),
              "HTTP/1.1 404 Not Found\r\nServer: s\r\nContent-Type: text/plain\r\n"
              "Content-Length: 3\r\nConnection: close\r\n\r\n");
    EXPECT_NE(format_reply_head({200, "text/plain", "s"}, true).find("Transfer-Encoding: chunked\r\n"),
              std::string::npos);
}
