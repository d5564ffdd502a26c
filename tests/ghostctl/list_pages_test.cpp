// list_pages against a loopback API server: pages follow `continue`, and an expired continue
// token (410) falls back to one full list without repeating objects already handed on.

#include "apps/ghostctl/snapshot_client.hpp"
#include "apps/ghostctl/cluster.hpp"

#include "ghost_testing/async_test.hpp"
#include "ghost_testing/loopback_http_server.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
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

listing list_with(std::function<reply(const std::string& target)> answer) {
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
        out.rv = co_await list_pages(client, pods(), 2, [&](boost::json::object& o) {
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
    auto l = list_with([](const std::string& t) {
        if (t.find("continue=c1") != std::string::npos) {
            return reply{410, R"({"kind":"Status","status":"Failure","reason":"Expired",)"
                              R"("message":"The provided continue parameter is too old","code":410})"};
        }
        if (t.find("limit=") == std::string::npos)  // the full list: b changed, d is new
            return reply{200, pod_list({"a", "b", "c", "d"}, "", "9")};
        return reply{200, pod_list({"a", "b"}, "c1", "7")};
    });
    EXPECT_EQ(l.names, (std::vector<std::string>{"a", "b", "c", "d"})) << "none repeated";
    EXPECT_EQ(l.rv, "9") << "the full list's resourceVersion (a watch resumes from it)";
    ASSERT_EQ(l.targets.size(), 3u);
    EXPECT_EQ(l.targets[2].find("continue="), std::string::npos) << l.targets[2];
    EXPECT_NE(l.warning.find("continue token expired after 2 objects"), std::string::npos)
        << l.warning;
}

TEST(list_pages, other_failures_still_fail) {
    EXPECT_THROW(list_with([](const std::string&) {
                     return reply{403, R"({"kind":"Status","reason":"Forbidden","code":403})"};
                 }),
                 ghostctl_error);
}

}  // namespace
}  // namespace ghost::ghostctl
