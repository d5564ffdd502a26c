#include "kube/bulk_writer.hpp"

#include "ghost_testing/async_test.hpp"
#include "ghost_testing/loopback_http_server.hpp"
#include "tests/kube/local_access.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using namespace ghost::kube;
using ghost::testing::http_message;
using ghost::testing::loopback_http_server;
using ghost::testing::reply;
using ghost::testing::run_async;

}  // namespace

TEST(bulk_writer, bounded_parallelism_and_every_op_once) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        std::multiset<std::string> seen;
        loopback_http_server server(ex, [&](const http_message& m, std::size_t) {
            seen.insert(std::string(m.method_string()) + " " + std::string(m.target()));
            // 409 AlreadyExists / 404 are "done" and not retried.
            reply r{201, "{}"};
            if (m.target() == "/c/3") r = {409, R"({"reason":"AlreadyExists"})"};
            if (m.target() == "/o/5") r.status = 404;
            r.delay = 5ms;
            return r;
        });
        auto pool = make_http_pool(ex, ghost::kube::test_support::local_access(server));
        api_client client(*pool);
        std::size_t results = 0, made = 0;
        bulk_options options;
        options.parallelism = 3;
        co_await async_bulk_write(
            client, 10,
            [&](std::size_t i) {
                ++made;
                bulk_op op;
                if (i % 2) op.k = bulk_op::kind::remove;
                op.path = (i % 2 ? "/o/" : "/c/") + std::to_string(i);
                op.body = "{}";
                return op;
            },
            [&](std::size_t, const bulk_op&, const api_result<api_response>&) { ++results; },
            options);
        EXPECT_EQ(made, 10u);
        EXPECT_EQ(results, 10u);
        EXPECT_EQ(seen.size(), 10u);
        EXPECT_EQ(seen.count("POST /c/0"), 1u);
        EXPECT_EQ(seen.count("DELETE /o/5"), 1u);
        EXPECT_EQ(server.max_concurrent_requests(), 3u);
    });
}

TEST(bulk_writer, retries_transient_failures_and_stops_on_request) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        std::map<std::string, int> tries;
        loopback_http_server server(ex, [&](const http_message& m, std::size_t) {
            int n = ++tries[std::string(m.target())];
            if (m.target() == "/c/0" && n < 3) return reply{503, "{}"};
            if (m.target() == "/c/1") return reply{400, "{}"};  // permanent: once
            return reply{201, "{}"};
        });
        auto pool = make_http_pool(ex, ghost::kube::test_support::local_access(server));
        api_client client(*pool);
        bulk_options options;
        options.parallelism = 1;
        options.max_attempts = 5;
        options.backoff = 1ms;
        std::size_t done = 0;
        options.stop = [&] { return done >= 2; };
        co_await async_bulk_write(
            client, 10,
            [&](std::size_t i) {
                bulk_op op;
                op.path = "/c/" + std::to_string(i);
                return op;
            },
            [&](std::size_t, const bulk_op&, const api_result<api_response>& r) {
                if (r || !is_transient(r.error().ec)) ++done;
            },
            options);
        EXPECT_EQ(tries["/c/0"], 3);
        EXPECT_EQ(tries["/c/1"], 1);
        EXPECT_EQ(tries.count("/c/2"), 0u);  // stopped
    });
}
