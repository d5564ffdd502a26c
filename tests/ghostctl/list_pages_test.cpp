// list_pages against a loopback API server: pages follow `continue`, an expired continue
// token (410) falls back to one full list without repeating objects already handed on, and
// with --page-buffer-size N the fetching runs at most N pages ahead of a slow writer.

#include "apps/ghostctl/snapshot_client.hpp"
#include "apps/ghostctl/cluster.hpp"

#include "ghost_testing/async_test.hpp"
#include "ghost_testing/loopback_http_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ghost::ghostctl {
namespace {

namespace net = boost::asio;
using testing::http_message;
using testing::loopback_http_server;
using testing::reply;

std::string pod_list(const std::vector<std::string>& names, const std::string& cont,
                     const std::string& rv) {
    std::string items;
    for (const auto& n : names) {
        if (!items.empty()) items += ',';
        items += R"({"metadata":{"namespace":"default","name":")" + n + R"("}})";
    }
    return R"({"kind":"PodList","metadata":{"resourceVersion":")" + rv + R"(","continue":")" +
           cont + R"("},"items":[)" + items + "]}";
}

kube::api_resource pods() {
    kube::api_resource r;
    r.ref.version = "v1";
    r.ref.resource = "pods";
    r.kind = "Pod";
    r.ref.namespaced = true;
    return r;
}

struct listing {
    std::vector<std::string> names, targets;
    std::string rv, warning;
};

listing list_with(std::function<reply(const std::string& target)> answer,
                  std::size_t page_buffer = 10,
                  std::function<void(const boost::json::object&)> write = {}) {
    listing out;
    testing::run_async([&](net::any_io_executor ex) -> net::awaitable<void> {
        loopback_http_server server(ex, [&](const http_message& m, std::size_t) {
            out.targets.emplace_back(m.target());
            return answer(std::string(m.target()));
        });
        kube::cluster_access access;
        access.ep = {"127.0.0.1", server.port(), false};
        auto pool = kube::make_http_pool(ex, access);
        kube::api_client client(*pool);
        std::ostringstream warn;
        out.rv = co_await list_pages(client, pods(), 2, page_buffer, [&](boost::json::object& o) {
            if (write) write(o);
            out.names.emplace_back(o.at("metadata").at("name").as_string());
        }, "snapshot export", warn);
        out.warning = warn.str();
    });
    return out;
}

TEST(list_pages, follows_continue_tokens) {
    auto l = list_with([](const std::string& t) {
        if (t.find("continue=c1") != std::string::npos) return reply{200, pod_list({"c"}, "", "7")};
        return reply{200, pod_list({"a", "b"}, "c1", "7")};
    });
    EXPECT_EQ(l.names, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(l.rv, "7");
    ASSERT_EQ(l.targets.size(), 2u);
    EXPECT_NE(l.targets[0].find("limit=2"), std::string::npos) << l.targets[0];
    EXPECT_EQ(l.warning, "");
}

TEST(list_pages, expired_continue_token_falls_back_to_one_full_list) {
    for (std::size_t buffer : {1u, 10u}) {
        SCOPED_TRACE(buffer);
        auto l = list_with(
            [](const std::string& t) {
                if (t.find("continue=c1") != std::string::npos) {
                    return reply{410, R"({"kind":"Status","status":"Failure","reason":"Expired",)"
                                      R"("message":"The provided continue parameter is too old",)"
                                      R"("code":410})"};
                }
                if (t.find("limit=") == std::string::npos)  // the full list: b changed, d is new
                    return reply{200, pod_list({"a", "b", "c", "d"}, "", "9")};
                return reply{200, pod_list({"a", "b"}, "c1", "7")};
            },
            buffer);
        EXPECT_EQ(l.names, (std::vector<std::string>{"a", "b", "c", "d"})) << "none repeated";
        EXPECT_EQ(l.rv, "9") << "the full list's resourceVersion (a watch resumes from it)";
        ASSERT_EQ(l.targets.size(), 3u);
        EXPECT_EQ(l.targets[2].find("continue="), std::string::npos) << l.targets[2];
        EXPECT_NE(l.warning.find("continue token expired after 2 objects"), std::string::npos)
            << l.warning;
    }
}

TEST(list_pages, other_failures_still_fail) {
    EXPECT_THROW(list_with([](const std::string&) {
                     return reply{403, R"({"kind":"Status","reason":"Forbidden","code":403})"};
                 }),
                 ghostctl_error);
}

// `pages` pages of two pods each: page j (from 0) is asked for with continue=p<j>.
reply paged_pods(const std::string& target, int pages) {
    int j = 0;
    if (auto at = target.find("continue=p"); at != std::string::npos)
        j = std::stoi(target.substr(at + 10));
    const std::string cont = j + 1 < pages ? "p" + std::to_string(j + 1) : "";
    return reply{200, pod_list({"pod" + std::to_string(2 * j), "pod" + std::to_string(2 * j + 1)},
                               cont, "7")};
}

int page_of(const std::string& target) {
    auto at = target.find("continue=p");
    return at == std::string::npos ? 0 : std::stoi(target.substr(at + 10));
}

// A writer slower than the API server: the fetching runs ahead of it, but never further than
// the buffer. "Ahead" is counted when the server gets the request for page j: pages after the
// one being written (j minus the pages written completely).
TEST(list_pages, fetches_at_most_page_buffer_pages_ahead_of_a_slow_writer) {
    constexpr int pages = 16;
    for (std::size_t buffer : {1u, 3u}) {
        SCOPED_TRACE(buffer);
        std::atomic<int> items_written{0};
        std::vector<int> ahead;
        auto l = list_with(
            [&](const std::string& t) {
                ahead.push_back(page_of(t) - items_written.load() / 2);
                return paged_pods(t, pages);
            },
            buffer, [&](const boost::json::object&) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                ++items_written;
            });
        ASSERT_EQ(l.names.size(), 2u * pages);
        ASSERT_EQ(ahead.size(), std::size_t(pages));
        EXPECT_LE(*std::max_element(ahead.begin(), ahead.end()), int(buffer))
            << ::testing::PrintToString(ahead);
        // It did fetch ahead: at some request a full buffer was waiting on the writer.
        EXPECT_EQ(*std::max_element(ahead.begin(), ahead.end()), int(buffer))
            << ::testing::PrintToString(ahead);
    }
}

TEST(list_pages, output_is_the_same_for_any_page_buffer) {
    constexpr int pages = 24;
    auto slow = [](const boost::json::object&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    };
    auto one = list_with([](const std::string& t) { return paged_pods(t, pages); }, 1, slow);
    auto ten = list_with([](const std::string& t) { return paged_pods(t, pages); }, 10, slow);
    ASSERT_EQ(one.names.size(), 2u * pages);
    for (int i = 0; i < 2 * pages; ++i) EXPECT_EQ(one.names[i], "pod" + std::to_string(i));
    EXPECT_EQ(one.names, ten.names);
    EXPECT_EQ(one.targets, ten.targets);
    EXPECT_EQ(one.rv, ten.rv);
}

// A failed write (a full disk) fails the listing, and the fetching stops.
TEST(list_pages, a_write_failure_fails_the_list) {
    constexpr int pages = 50;
    std::size_t requests = 0;
    int items = 0;
    EXPECT_THROW(list_with(
                     [&](const std::string& t) {
                         ++requests;
                         return paged_pods(t, pages);
                     },
                     2,
                     [&](const boost::json::object&) {
                         if (++items == 3) throw ghostctl_error("snapshot export: disk full");
                     }),
                 ghostctl_error);
    EXPECT_LT(requests, std::size_t(pages));
}

}  // namespace
}  // namespace ghost::ghostctl
