#include "engine/http_pool.hpp"

#include "ghost_testing/async_test.hpp"
#include "ghost_testing/loopback_http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <gtest/gtest.h>

#include <optional>

namespace {

namespace net = boost::asio;
namespace eng = ghost::engine;
using ghost::testing::run_async;
using ghost::testing::sleep_for;
using ghost::testing::wait_until;
using ghost::testing::loopback_http_server;
using ghost::testing::reply;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

eng::http_request get(std::string target) {
    eng::http_request r;
    r.method = boost::beast::http::verb::get;
    r.target = std::move(target);
    return r;
}

reply echo(const ghost::testing::http_message& m, std::size_t conn) {
    reply r;
    r.body = std::string(m.target()) + "@" + std::to_string(conn);
    return r;
}

TEST(http_pool, sequential_requests_reuse_one_connection) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        loopback_http_server server(ex, echo);
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, {});
        for (int i = 0; i < 5; ++i) {
            auto r = co_await pool.async_request(get("/r" + std::to_string(i)));
            EXPECT_TRUE(r.has_value()) << r.error().message();
            if (!r)
                co_return;
            EXPECT_EQ(r->status, 200u);
            EXPECT_EQ(r->body, "/r" + std::to_string(i) + "@1");
            EXPECT_EQ(r->content_type, "application/json");
        }
        auto st = pool.stats();
        EXPECT_EQ(st.connections_opened, 1u);
        EXPECT_EQ(st.requests_sent, 5u);
        EXPECT_EQ(st.reuses, 4u);
        EXPECT_EQ(st.idle_connections, 1u);
        EXPECT_EQ(server.connections_accepted(), 1u);
    });
}

TEST(http_pool, sends_method_body_and_headers) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        std::string seen;
        loopback_http_server server(ex, [&](const ghost::testing::http_message& m, std::size_t) {
            seen = std::string(m.method_string()) + " " + std::string(m.target()) + " " +
                   std::string(m[boost::beast::http::field::content_type]) + " " +
                   std::string(m["Authorization"]) + " " + std::string(m["X-Extra"]) + " " +
                   std::string(m[boost::beast::http::field::user_agent]) + " " + m.body();
            reply r;
            r.status = 201;
            return r;
        });
        eng::pool_config cfg;
        cfg.user_agent = "ghostlet/test";
        cfg.default_headers = {{"Authorization", "Bearer abc"}};
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, cfg);
        eng::http_request req;
        req.method = boost::beast::http::verb::patch;
        req.target = "/x";
        req.content_type = "application/merge-patch+json";
        req.body = R"({"a":1})";
        req.headers = {{"X-Extra", "yes"}};
        auto r = co_await pool.async_request(req);
        EXPECT_TRUE(r.has_value());
        if (r) {
            EXPECT_EQ(r->status, 201u);
        }
        EXPECT_EQ(seen, R"(PATCH /x application/merge-patch+json Bearer abc yes ghostlet/test {"a":1})");
    });
}

TEST(http_pool, request_headers_override_defaults_and_lengths_follow_the_body) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        std::vector<std::string> seen;
        loopback_http_server server(ex, [&](const ghost::testing::http_message& m, std::size_t) {
            std::string auth;
            int auth_fields = 0;
            for (const auto& f : m) {
                if (boost::beast::iequals(f.name_string(), "authorization")) {
                    ++auth_fields;
                    auth = std::string(f.value());
                }
            }
            auto length = m.find(boost::beast::http::field::content_length);
            seen.push_back(std::string(m.method_string()) + " auth=" + auth + " x" +
                           std::to_string(auth_fields) + " host=" +
                           std::string(m[boost::beast::http::field::host]) + " length=" +
                           (length == m.end() ? "none" : std::string(length->value())));
            return reply{};
        });
        eng::pool_config cfg;
        cfg.default_headers = {{"Authorization", "Bearer default"}};
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, cfg);
        auto over = get("/a");
        over.headers = {{"authorization", "Bearer mine"}};  // other case, same field
        co_await pool.async_request(over);
        co_await pool.async_request(get("/b"));
        eng::http_request post;
        post.method = boost::beast::http::verb::post;
        post.target = "/c";
        co_await pool.async_request(post);
        CO_ASSERT_EQ(seen.size(), 3u);
        const std::string host = "host=127.0.0.1:" + server.port();
        EXPECT_EQ(seen[0], "GET auth=Bearer mine x1 " + host + " length=none");
        EXPECT_EQ(seen[1], "GET auth=Bearer default x1 " + host + " length=none");
        EXPECT_EQ(seen[2], "POST auth=Bearer default x1 " + host + " length=0");
    });
}

TEST(http_pool, max_connections_bounds_concurrency) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        loopback_http_server server(ex, [](const ghost::testing::http_message& m, std::size_t c) {
            auto r = echo(m, c);
            r.delay = 30ms;
            return r;
        });
        eng::pool_config cfg;
        cfg.max_connections = 2;
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, cfg);
        int ok = 0;
        int finished = 0;
        const int n = 8;
        net::steady_timer all_done(ex, clock_type::time_point::max());
        for (int i = 0; i < n; ++i) {
            net::co_spawn(
                ex,
                [&, i]() -> net::awaitable<void> {
                    auto r = co_await pool.async_request(get("/c" + std::to_string(i)));
                    if (r && r->status == 200)
                        ++ok;
                    if (++finished == n)
                        all_done.cancel();
                },
                net::detached);
        }
        EXPECT_TRUE(co_await wait_until(
            [&] { return pool.stats().waiters == static_cast<std::size_t>(n - 2); }));
        co_await all_done.async_wait(net::as_tuple(net::use_awaitable));
        EXPECT_EQ(ok, n);
        EXPECT_EQ(server.max_concurrent_requests(), 2u);
        EXPECT_EQ(server.connections_accepted(), 2u);
        EXPECT_EQ(pool.stats().connections_opened, 2u);
        EXPECT_EQ(pool.stats().open_connections, 2u);
        EXPECT_EQ(pool.stats().waiters, 0u);
    });
}

TEST(http_pool, server_closed_idle_connection_is_retried_once) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        loopback_http_server server(ex, echo);
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, {});
        auto first = co_await pool.async_request(get("/a"));
        EXPECT_TRUE(first.has_value());
        server.close_connections();
        EXPECT_TRUE(co_await wait_until([&] { return server.open_connections() == 0; }));
        auto second = co_await pool.async_request(get("/b"));
        EXPECT_TRUE(second.has_value()) << second.error().message();
        if (second) {
            EXPECT_EQ(second->body, "/b@2");
        }
        auto st = pool.stats();
        EXPECT_EQ(st.retries, 1u);
        EXPECT_EQ(st.connections_opened, 2u);
    });
}

TEST(http_pool, connection_close_response_is_not_pooled) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        loopback_http_server server(ex, [](const ghost::testing::http_message& m, std::size_t c) {
            auto r = echo(m, c);
            r.close_after = true;
            return r;
        });
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, {});
        for (int i = 0; i < 3; ++i) {
            auto r = co_await pool.async_request(get("/x"));
            EXPECT_TRUE(r.has_value());
        }
        EXPECT_EQ(pool.stats().connections_opened, 3u);
        EXPECT_EQ(pool.stats().reuses, 0u);
        EXPECT_EQ(pool.stats().retries, 0u);
    });
}

TEST(http_pool, request_timeout) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        loopback_http_server server(ex, [](const ghost::testing::http_message& m, std::size_t c) {
            auto r = echo(m, c);
            if (m.target() == "/slow")
                r.delay = 2s;
            return r;
        });
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, {});
        auto r = co_await pool.async_request(get("/slow"), 100ms);
        EXPECT_FALSE(r.has_value());
        if (!r) {
            EXPECT_EQ(r.error(), eng::errc::timeout);
        }
        EXPECT_EQ(pool.stats().timeouts, 1u);
        // The timed-out connection is discarded; the pool still works.
        auto ok = co_await pool.async_request(get("/fast"));
        EXPECT_TRUE(ok.has_value());
        EXPECT_EQ(pool.stats().connections_opened, 2u);
    });
}

TEST(http_pool, connect_refused_is_an_error_and_frees_the_slot) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        std::string port;
        {
            loopback_http_server closed(ex, echo);
            port = closed.port();
        }
        eng::pool_config cfg;
        cfg.max_connections = 1;
        eng::http_pool pool(ex, {"127.0.0.1", port, false}, {}, cfg);
        for (int i = 0; i < 2; ++i) {
            auto r = co_await pool.async_request(get("/x"), 1s);
            EXPECT_FALSE(r.has_value());
        }
        EXPECT_EQ(pool.stats().connect_failures, 2u);
        EXPECT_EQ(pool.stats().open_connections, 0u);
    });
}

TEST(http_pool, stream_delivers_chunks_incrementally) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        loopback_http_server server(ex, [](const ghost::testing::http_message&, std::size_t) {
            reply r;
            r.stream = true;
            r.chunks = {"{\"a\":1}\n", "{\"b\":2}\n", "{\"c\":3}\n"};
            r.chunk_interval = 60ms;
            return r;
        });
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, {});
        std::string got;
        std::vector<clock_type::time_point> arrivals;
        unsigned head_status = 0;
        auto r = co_await pool.async_stream(
            get("/watch"),
            [&](std::string_view d) {
                got += d;
                arrivals.push_back(clock_type::now());
            },
            [&](const eng::http_response& h) { head_status = h.status; });
        EXPECT_TRUE(r.has_value());
        if (r) {
            EXPECT_EQ(*r, 200u);
        }
        EXPECT_EQ(head_status, 200u);
        EXPECT_EQ(got, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
        EXPECT_GE(arrivals.size(), 3u);
        if (arrivals.size() >= 2) {
            EXPECT_GE(arrivals.back() - arrivals.front(), 90ms);   // not buffered until the end
        }
        EXPECT_EQ(pool.stats().streams_opened, 1u);
    });
}

TEST(http_pool, stream_non_200_body_is_delivered) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        loopback_http_server server(ex, [](const ghost::testing::http_message&, std::size_t) {
            reply r;
            r.status = 410;
            r.body = R"({"kind":"Status","code":410})";
            return r;
        });
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, {});
        std::string got;
        auto r = co_await pool.async_stream(get("/watch"), [&](std::string_view d) { got += d; });
        EXPECT_TRUE(r.has_value());
        if (r) {
            EXPECT_EQ(*r, 410u);
        }
        EXPECT_EQ(got, R"({"kind":"Status","code":410})");
    });
}

TEST(http_pool, stream_is_cancelled_through_its_slot) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        loopback_http_server server(ex, [](const ghost::testing::http_message&, std::size_t) {
            reply r;
            r.stream = true;
            r.chunks = {"first\n"};
            r.hold_open = true;
            return r;
        });
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, {});
        net::cancellation_signal stop;
        std::optional<eng::result<unsigned>> outcome;
        std::string got;
        net::steady_timer done(ex, clock_type::time_point::max());
        net::co_spawn(ex, pool.async_stream(get("/watch"), [&](std::string_view d) { got += d; }),
                      net::bind_cancellation_slot(
                          stop.slot(), [&](std::exception_ptr, eng::result<unsigned> r) {
                              outcome = r;
                              done.cancel();
                          }));
        EXPECT_TRUE(co_await wait_until([&] { return !got.empty(); }));
        EXPECT_EQ(got, "first\n");
        EXPECT_FALSE(outcome.has_value());
        stop.emit(net::cancellation_type::terminal);
        co_await done.async_wait(net::as_tuple(net::use_awaitable));
        EXPECT_TRUE(outcome.has_value());
        if (outcome) {
            EXPECT_FALSE(outcome->has_value());
            if (!outcome->has_value()) {
                EXPECT_EQ(outcome->error(), eng::errc::cancelled);
            }
        }
    });
}

// The shutdown race: cancellation emitted after a read completed but before the coroutine
// resumed (here: from the data callback) reaches no operation; the next read must not start.
TEST(http_pool, stream_cancelled_between_reads_stops_before_the_next_read) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        loopback_http_server server(ex, [](const ghost::testing::http_message&, std::size_t) {
            reply r;
            r.stream = true;
            r.chunks = {"first\n", "second\n"};
            r.chunk_interval = 50ms;
            return r;
        });
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, {});
        net::cancellation_signal stop;
        std::optional<eng::result<unsigned>> outcome;
        std::string got;
        net::steady_timer done(ex, clock_type::time_point::max());
        net::co_spawn(ex,
                      pool.async_stream(get("/watch"),
                                        [&](std::string_view d) {
                                            got += d;
                                            stop.emit(net::cancellation_type::terminal);
                                        }),
                      net::bind_cancellation_slot(
                          stop.slot(), [&](std::exception_ptr, eng::result<unsigned> r) {
                              outcome = r;
                              done.cancel();
                          }));
        co_await done.async_wait(net::as_tuple(net::use_awaitable));
        CO_ASSERT_TRUE(outcome.has_value());
        EXPECT_EQ(got, "first\n") << "the stream read on after it was cancelled";
        CO_ASSERT_FALSE(outcome->has_value());
        EXPECT_EQ(outcome->error(), eng::errc::cancelled);
    });
}

TEST(http_pool, tls_with_ca_verification) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        auto pem = ghost::testing::make_self_signed_cert("localhost");
        loopback_http_server server(ex, echo, ghost::testing::make_server_tls_context(pem));
        eng::tls_options tls;
        tls.ca_pem = pem.cert_pem;
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), true}, tls, {});
        for (int i = 0; i < 2; ++i) {
            auto r = co_await pool.async_request(get("/tls"));
            EXPECT_TRUE(r.has_value()) << r.error().message();
            if (r) {
                EXPECT_EQ(r->body, "/tls@1");
            }
        }
        EXPECT_EQ(pool.stats().connections_opened, 1u);

        // Same CA, but the name we expect is not in the certificate.
        eng::tls_options wrong = tls;
        wrong.server_name = "apiserver.example";
        eng::http_pool bad(ex, {"127.0.0.1", server.port(), true}, wrong, {});
        auto r = co_await bad.async_request(get("/tls"));
        EXPECT_FALSE(r.has_value());
        if (!r) {
            EXPECT_EQ(r.error(), eng::errc::tls_error);
        }

        // Unknown CA fails; skipping verification succeeds.
        eng::tls_options other;
        other.ca_pem = ghost::testing::make_self_signed_cert("other").cert_pem;
        eng::http_pool untrusted(ex, {"127.0.0.1", server.port(), true}, other, {});
        auto u = co_await untrusted.async_request(get("/tls"));
        EXPECT_FALSE(u.has_value());
        eng::tls_options skip;
        skip.insecure_skip_verify = true;
        eng::http_pool insecure(ex, {"127.0.0.1", server.port(), true}, skip, {});
        auto s = co_await insecure.async_request(get("/tls"));
        EXPECT_TRUE(s.has_value());
    });
}

TEST(http_pool, bad_pem_throws_at_construction) {
    net::io_context ioc;
    eng::tls_options tls;
    tls.ca_pem = "not a certificate";
    EXPECT_THROW(eng::http_pool(ioc.get_executor(), {"127.0.0.1", "1", true}, tls, {}),
                 boost::system::system_error);
}

TEST(http_pool, parse_retry_after) {
    EXPECT_EQ(eng::parse_retry_after("5"), std::chrono::seconds(5));
    EXPECT_EQ(eng::parse_retry_after(" 12 "), std::chrono::seconds(12));
    EXPECT_FALSE(eng::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
    EXPECT_FALSE(eng::parse_retry_after(""));
    EXPECT_FALSE(eng::parse_retry_after("-3"));
}

TEST(http_pool, retry_after_header_is_parsed) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        loopback_http_server server(ex, [](const ghost::testing::http_message&, std::size_t) {
            reply r;
            r.status = 429;
            r.headers = {{"Retry-After", "3"}};
            return r;
        });
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, {});
        auto r = co_await pool.async_request(get("/"));
        EXPECT_TRUE(r.has_value());
        if (r) {
            EXPECT_EQ(r->status, 429u);
            EXPECT_EQ(r->retry_after, std::chrono::seconds(3));
        }
    });
}

TEST(http_pool, close_fails_waiters) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        loopback_http_server server(ex, [](const ghost::testing::http_message& m, std::size_t c) {
            auto r = echo(m, c);
            r.delay = 50ms;
            return r;
        });
        eng::pool_config cfg;
        cfg.max_connections = 1;
        eng::http_pool pool(ex, {"127.0.0.1", server.port(), false}, {}, cfg);
        std::optional<eng::result<eng::http_response>> first, second;
        net::co_spawn(ex, pool.async_request(get("/1")),
                      [&](std::exception_ptr, eng::result<eng::http_response> r) { first = r; });
        net::co_spawn(ex, pool.async_request(get("/2")),
                      [&](std::exception_ptr, eng::result<eng::http_response> r) { second = r; });
        EXPECT_TRUE(co_await wait_until([&] { return pool.stats().waiters == 1u; }));
        pool.close();
        EXPECT_TRUE(co_await wait_until([&] { return first && second; }));
        CO_ASSERT_TRUE(first && second);
        EXPECT_TRUE(first->has_value());   // the request in flight still completes
        CO_ASSERT_FALSE(second->has_value());
        EXPECT_EQ(second->error(), eng::errc::pool_closed);
        EXPECT_EQ(pool.stats().open_connections, 0u);
        auto after = co_await pool.async_request(get("/3"));
        CO_ASSERT_FALSE(after.has_value());
        EXPECT_EQ(after.error(), eng::errc::pool_closed);
    });
}

}  // namespace
