// engine/http_server with TLS: HTTPS and plain HTTP on one port, certificates from
// engine/tls_certs, and the one-line start-up errors of load_server_tls_context.
#include "engine/http_pool.hpp"
#include "engine/http_server.hpp"
#include "engine/tls_certs.hpp"
#include "engine/tls_context.hpp"

#include "ghost_testing/async_test.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace ghost::engine;

namespace {

pem_pair serving_cert(const pem_pair* issuer = nullptr) {
    return issue_certificate({"ghostlet", {}, false, {"serverAuth"}, {"IP:127.0.0.1", "DNS:localhost"}},
                             issuer);
}

http_request get(std::string target) {
    http_request r;
    r.target = std::move(target);
    return r;
}

struct temp_dir {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("ghost-tls-" + std::to_string(::getpid()) + "-" +
                                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    temp_dir() { std::filesystem::create_directories(path); }
    ~temp_dir() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(path / name) << text;
        return (path / name).string();
    }
};

std::string error_of(const std::string& cert_file, const std::string& key_file) {
    try {
        load_server_tls_context(cert_file, key_file);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(http_server_tls, https_and_plain_http_share_one_port) {
    auto cert = serving_cert();
    ghost::testing::run_async([&](auto ex) -> boost::asio::awaitable<void> {
        http_server server(ex, "127.0.0.1", "0", make_server_tls_context(cert));
        server.route("/healthz", [] { return http_reply{200, "text/plain", "ok"}; });
        boost::asio::co_spawn(ex, server.async_run(), boost::asio::detached);
        const auto port = std::to_string(server.port());
        tls_options trust;
        trust.ca_pem = cert.cert_pem;
        http_pool https(ex, {"127.0.0.1", port, true}, trust, {});
        http_pool plain(ex, {"127.0.0.1", port, false}, {}, {});
        for (int i = 0; i < 2; ++i) {  // both keep their connection alive across requests
            auto s = co_await https.async_request(get("/healthz"));
            CO_ASSERT_TRUE(s.has_value());
            EXPECT_EQ(s->status, 200u);
            EXPECT_EQ(s->body, "ok");
            auto p = co_await plain.async_request(get("/healthz"));
            CO_ASSERT_TRUE(p.has_value());
            EXPECT_EQ(p->status, 200u);
            EXPECT_EQ(p->body, "ok");
        }
        EXPECT_EQ(https.stats().connections_opened, 1u);
        EXPECT_EQ(plain.stats().connections_opened, 1u);
        auto missing = co_await https.async_request(get("/nope"));
        CO_ASSERT_TRUE(missing.has_value());
        EXPECT_EQ(missing->status, 404u);
        https.close();
        plain.close();
        server.close();
    });
}

TEST(http_server_tls, a_client_that_does_not_trust_the_certificate_fails_and_others_go_on) {
    auto ca = issue_certificate({"test-ca", {}, true, {}, {}});
    auto leaf = serving_cert(&ca);
    auto stranger = serving_cert();
    ghost::testing::run_async([&](auto ex) -> boost::asio::awaitable<void> {
        http_server server(ex, "127.0.0.1", "0", make_server_tls_context(leaf));
        server.route("/livez", [] { return http_reply{200, "text/plain", "ok"}; });
        boost::asio::co_spawn(ex, server.async_run(), boost::asio::detached);
        const auto port = std::to_string(server.port());
        tls_options wrong;
        wrong.ca_pem = stranger.cert_pem;
        http_pool untrusting(ex, {"127.0.0.1", port, true}, wrong, {});
        auto bad = co_await untrusting.async_request(get("/livez"));
        CO_ASSERT_FALSE(bad.has_value());
        EXPECT_EQ(bad.error(), errc::tls_error);
        tls_options by_ca;  // the leaf chains to the CA that issued it
        by_ca.ca_pem = ca.cert_pem;
        http_pool trusting(ex, {"127.0.0.1", port, true}, by_ca, {});
        auto good = co_await trusting.async_request(get("/livez"));
        CO_ASSERT_TRUE(good.has_value());
        EXPECT_EQ(good->body, "ok");
        untrusting.close();
        trusting.close();
        server.close();
    });
}

TEST(http_server_tls, without_a_tls_context_a_tls_client_gets_no_reply) {
    ghost::testing::run_async([&](auto ex) -> boost::asio::awaitable<void> {
        http_server server(ex, "127.0.0.1", "0");
        server.route("/healthz", [] { return http_reply{200, "text/plain", "ok"}; });
        boost::asio::co_spawn(ex, server.async_run(), boost::asio::detached);
        tls_options skip;
        skip.insecure_skip_verify = true;
        http_pool https(ex, {"127.0.0.1", std::to_string(server.port()), true}, skip, {});
        auto r = co_await https.async_request(get("/healthz"), std::chrono::seconds(10));
        EXPECT_FALSE(r.has_value());
        https.close();
        server.close();
    });
}

TEST(http_server_tls, certificate_files_load_and_bad_ones_are_one_line_errors_naming_the_file) {
    temp_dir dir;
    auto cert = serving_cert();
    auto other = serving_cert();
    auto crt = dir.write("tls.crt", cert.cert_pem);
    auto key = dir.write("tls.key", cert.key_pem);
    EXPECT_NE(load_server_tls_context(crt, key), nullptr);

    auto missing = (dir.path / "missing.crt").string();
    auto e1 = error_of(missing, key);
    EXPECT_NE(e1.find(missing), std::string::npos) << e1;
    EXPECT_NE(e1.find("cannot read"), std::string::npos) << e1;

    auto garbage = dir.write("garbage.crt", "not a certificate\n");
    auto e2 = error_of(garbage, key);
    EXPECT_NE(e2.find(garbage + ": not a PEM certificate"), std::string::npos) << e2;

    auto other_key = dir.write("other.key", other.key_pem);
    auto e3 = error_of(crt, other_key);
    EXPECT_NE(e3.find(other_key + ": not a PEM private key matching " + crt), std::string::npos)
        << e3;
    for (const auto& e : {e1, e2, e3}) EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

TEST(http_server_tls, a_head_route_sees_the_host_header_and_whether_the_connection_is_tls) {
    auto cert = serving_cert();
    ghost::testing::run_async([&](auto ex) -> boost::asio::awaitable<void> {
        http_server server(ex, "127.0.0.1", "0", make_server_tls_context(cert));
        server.route_with_head("/whoami", [](const request_head& head) {
            return http_reply{200, "text/plain",
                              std::string(head.header("host")) + (head.tls ? " tls" : " plain")};
        });
        boost::asio::co_spawn(ex, server.async_run(), boost::asio::detached);
        const auto port = std::to_string(server.port());
        tls_options trust;
        trust.ca_pem = cert.cert_pem;
        http_pool https(ex, {"127.0.0.1", port, true}, trust, {});
        http_pool plain(ex, {"127.0.0.1", port, false}, {}, {});
        auto s = co_await https.async_request(get("/whoami"));
        CO_ASSERT_TRUE(s.has_value());
        EXPECT_EQ(s->body, "127.0.0.1:" + port + " tls");
        auto renamed = get("/whoami?x=1");  // a proxy's Host, and a query the route ignores
        renamed.headers.emplace_back("Host", "node-7.example:10250");
        auto p = co_await plain.async_request(std::move(renamed));
        CO_ASSERT_TRUE(p.has_value());
        EXPECT_EQ(p->body, "node-7.example:10250 plain");
        https.close();
        plain.close();
        server.close();
    });
}

TEST(http_server_tls, an_async_prefix_route_may_suspend_and_the_longest_prefix_still_wins) {
    ghost::testing::run_async([&](auto ex) -> boost::asio::awaitable<void> {
        http_server server(ex, "127.0.0.1", "0");
        server.route_prefix_async("/metrics/", [ex](const request_head& head)
                                                   -> boost::asio::awaitable<http_reply> {
            for (int i = 0; i < 3; ++i) co_await boost::asio::post(ex, boost::asio::use_awaitable);
            co_return http_reply{200, "text/plain", "async " + head.target};
        });
        server.route_prefix("/metrics/plain/", [](std::string_view path, std::string_view) {
            return http_reply{200, "text/plain", "plain " + std::string(path)};
        });
        server.route("/metrics/exact", [] { return http_reply{200, "text/plain", "exact"}; });
        boost::asio::co_spawn(ex, server.async_run(), boost::asio::detached);
        http_pool plain(ex, {"127.0.0.1", std::to_string(server.port()), false}, {}, {});
        auto body = [&](std::string target) -> boost::asio::awaitable<std::string> {
            auto r = co_await plain.async_request(get(std::move(target)));
            co_return r ? r->body : std::string("error");
        };
        auto suspended = co_await body("/metrics/nodes/n1?x=1");
        EXPECT_EQ(suspended, "async /metrics/nodes/n1?x=1");
        auto longer = co_await body("/metrics/plain/a");
        EXPECT_EQ(longer, "plain /metrics/plain/a");
        auto exact = co_await body("/metrics/exact");
        EXPECT_EQ(exact, "exact");
        // dispatch() is the synchronous routes only.
        EXPECT_FALSE(server.dispatch("/metrics/nodes/n1").has_value());
        EXPECT_TRUE(server.dispatch("/metrics/plain/b").has_value());
        plain.close();
        server.close();
    });
}
