#include "kube/api_client.hpp"

#include "ghost_testing/loopback_http_server.hpp"
#include "tests/kube/local_access.hpp"
#include "ghost_testing/async_test.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <vector>

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using namespace ghost::kube;
using ghost::testing::run_async;
using ghost::testing::http_message;
using ghost::testing::loopback_http_server;
using ghost::testing::reply;

struct seen_request {
    std::string method, target, content_type, body, accept, auth, user_agent;
};

seen_request record(const http_message& m) {
    return {std::string(m.method_string()),     std::string(m.target()),
            std::string(m[http::field::content_type]), m.body(),
            std::string(m[http::field::accept]),       std::string(m[http::field::authorization]),
            std::string(m[http::field::user_agent])};
}

cluster_access local(const loopback_http_server& s) {
    return ghost::kube::test_support::local_access(s, "tok");
}

}  // namespace

TEST(api_client, get_sends_headers_and_returns_body) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        std::vector<seen_request> seen;
        loopback_http_server server(ex, [&](const http_message& m, std::size_t) {
            seen.push_back(record(m));
            return reply{200, R"({"kind":"Node"})"};
        });
        auto pool = make_http_pool(ex, local(server));
        api_client c(*pool);
        auto r = co_await c.async_get("/api/v1/nodes/n1");
        EXPECT_TRUE(r);
        if (!r) co_return;
        EXPECT_EQ(r->http_status, 200u);
        EXPECT_EQ(r->body, R"({"kind":"Node"})");
        EXPECT_EQ(seen.size(), 1u);
        EXPECT_EQ(seen[0].method, "GET");
        EXPECT_EQ(seen[0].target, "/api/v1/nodes/n1");
        EXPECT_EQ(seen[0].accept, "application/json");
        EXPECT_EQ(seen[0].auth, "Bearer tok");
        EXPECT_EQ(seen[0].user_agent.rfind("ghostlet/", 0), 0u);
    });
}

TEST(api_client, errors_carry_errc_and_status) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        loopback_http_server server(ex, [&](const http_message& m, std::size_t) {
            if (m.target() == "/missing")
                return reply{404, R"({"kind":"Status","status":"Failure","message":"nodes \"x\")"
                                  R"( not found","reason":"NotFound","code":404})"};
            if (m.target() == "/exists")
                return reply{409, R"({"kind":"Status","reason":"AlreadyExists","code":409})"};
            reply r{429, "slow down", "text/plain"};
            r.headers.emplace_back("Retry-After", "3");
            return r;
        });
        auto pool = make_http_pool(ex, local(server));
        api_client c(*pool);
        auto r = co_await c.async_get("/missing");
        EXPECT_FALSE(r);
        if (r) co_return;
        EXPECT_EQ(r.error().ec, errc::not_found);
        EXPECT_EQ(r.error().http_status, 404u);
        EXPECT_EQ(r.error().status.reason, "NotFound");
        EXPECT_EQ(r.error().status.message, "nodes \"x\" not found");
        auto c2 = co_await c.async_create("/exists", "{}");
        EXPECT_EQ(c2.error().ec, errc::already_exists);
        auto c3 = co_await c.async_get("/busy");
        EXPECT_EQ(c3.error().ec, errc::too_many_requests);
        EXPECT_EQ(c3.error().status.code, 429);
        EXPECT_EQ(c3.error().retry_after, std::chrono::seconds(3));
        EXPECT_THROW(c3.value(), boost::system::system_error);
    });
}

TEST(api_client, list_follows_continue) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        std::vector<std::string> targets;
        loopback_http_server server(ex, [&](const http_message& m, std::size_t) {
            targets.emplace_back(m.target());
            if (m.target().find("continue=") == std::string_view::npos)
                return reply{200, R"({"kind":"PodList","metadata":{"resourceVersion":"41",)"
                                  R"("continue":"tok+1"},"items":[{"metadata":{"name":"a"}},)"
                                  R"({"metadata":{"name":"b"}}]})"};
            return reply{200, R"({"kind":"PodList","metadata":{"resourceVersion":"41"},)"
                              R"("items":[{"metadata":{"name":"c"}}]})"};
        });
        auto pool = make_http_pool(ex, local(server));
        api_client c(*pool);
        list_options o;
        o.limit = 2;
        o.field_selector = "spec.nodeName=n1";
        auto r = co_await c.async_list("/api/v1/pods", o);
        EXPECT_TRUE(r);
        if (!r) co_return;
        EXPECT_EQ(r->resource_version, "41");
        EXPECT_EQ(r->items.size(), 3u);
        EXPECT_EQ(r->items[2].at("metadata").at("name"), "c");
        EXPECT_EQ(targets, (std::vector<std::string>{
                               "/api/v1/pods?fieldSelector=spec.nodeName%3Dn1&limit=2",
                               "/api/v1/pods?fieldSelector=spec.nodeName%3Dn1&limit=2&continue=tok%2B1"}));
    });
}

TEST(api_client, write_verbs) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        std::vector<seen_request> seen;
        loopback_http_server server(ex, [&](const http_message& m, std::size_t) {
            seen.push_back(record(m));
            return reply{m.method() == http::verb::post ? 201u : 200u, "{}"};
        });
        auto pool = make_http_pool(ex, local(server));
        api_client c(*pool, {.base_path = "/prefix"});
        EXPECT_TRUE(co_await c.async_create("/api/v1/namespaces/ns/pods", R"({"a":1})"));
        EXPECT_TRUE(co_await c.async_put("/api/v1/nodes/n", R"({"b":2})"));
        EXPECT_TRUE(co_await c.async_patch("/api/v1/nodes/n/status", patch_type::strategic, "{}"));
        EXPECT_TRUE(co_await c.async_patch("/api/v1/nodes/n", patch_type::apply, "{}"));
        EXPECT_TRUE(co_await c.async_delete("/api/v1/namespaces/ns/pods/p", 0));
        EXPECT_TRUE(co_await c.async_delete("/api/v1/namespaces/ns/pods/q"));
        EXPECT_EQ(seen.size(), 6u);
        if (seen.size() != 6) co_return;
        EXPECT_EQ(seen[0].method, "POST");
        EXPECT_EQ(seen[0].target, "/prefix/api/v1/namespaces/ns/pods");
        EXPECT_EQ(seen[0].content_type, "application/json");
        EXPECT_EQ(seen[0].body, R"({"a":1})");
        EXPECT_EQ(seen[1].method, "PUT");
        EXPECT_EQ(seen[1].body, R"({"b":2})");
        EXPECT_EQ(seen[2].method, "PATCH");
        EXPECT_EQ(seen[2].content_type, "application/strategic-merge-patch+json");
        EXPECT_EQ(seen[3].content_type, "application/apply-patch+yaml");
        EXPECT_EQ(seen[3].target, "/prefix/api/v1/nodes/n?fieldManager=ghostlet&force=true");
        EXPECT_EQ(seen[4].method, "DELETE");
        EXPECT_EQ(boost::json::parse(seen[4].body).at("gracePeriodSeconds"), 0);
        EXPECT_EQ(seen[5].body, "");
    });
}

TEST(api_client, watch_streams_events_across_chunk_splits) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        std::string target;
        loopback_http_server server(ex, [&](const http_message& m, std::size_t) {
            target = std::string(m.target());
            reply r;
            r.stream = true;
            r.chunks = {R"({"type":"ADDED","object":{"metadata":{"name":"a","resour)",
                        R"(ceVersion":"5"}}})" "\n" R"({"type":"BOOKMARK","object":{"meta)",
                        R"(data":{"resourceVersion":"9"}}})" "\n"};
            return r;
        });
        auto pool = make_http_pool(ex, local(server));
        api_client c(*pool);
        std::vector<std::string> got;
        list_options o;
        o.resource_version = "4";
        o.allow_watch_bookmarks = true;
        auto r = co_await c.async_watch("/api/v1/nodes", o, [&](const watch_event& e) {
            got.push_back(std::string(to_string(e.type)) + ":" + std::string(e.name) + "@" +
                          std::string(e.resource_version));
        });
        EXPECT_TRUE(r);
        if (r) {
            EXPECT_EQ(*r, 200u);
        }
        EXPECT_EQ(target, "/api/v1/nodes?resourceVersion=4&watch=true&allowWatchBookmarks=true");
        EXPECT_EQ(got, (std::vector<std::string>{"ADDED:a@5", "BOOKMARK:@9"}));
    });
}

TEST(api_client, watch_http_410_is_gone) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        loopback_http_server server(ex, [&](const http_message&, std::size_t) {
            return reply{410, R"({"kind":"Status","reason":"Expired","message":"too old","code":410})"};
        });
        auto pool = make_http_pool(ex, local(server));
        api_client c(*pool);
        int events = 0;
        auto r = co_await c.async_watch("/api/v1/nodes", {}, [&](const watch_event&) { ++events; });
        EXPECT_FALSE(r);
        if (r) co_return;
        EXPECT_EQ(r.error().ec, errc::gone);
        EXPECT_EQ(r.error().status.reason, "Expired");
        EXPECT_EQ(events, 0);
    });
}
