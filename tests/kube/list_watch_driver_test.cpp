#include "kube/api_client.hpp"
#include "kube/list_watch.hpp"

#include "ghost_testing/loopback_http_server.hpp"
#include "ghost_testing/async_test.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

namespace net = boost::asio;
using namespace ghost::kube;
using namespace std::chrono_literals;
using ghost::testing::run_async;
using ghost::testing::wait_until;
using ghost::testing::http_message;
using ghost::testing::loopback_http_server;
using ghost::testing::reply;

std::string pod(const std::string& name, const std::string& rv) {
    return R"({"metadata":{"namespace":"ns","name":")" + name + R"(","resourceVersion":")" + rv +
           R"("}})";
}

std::string event(const std::string& type, const std::string& obj) {
    return R"({"type":")" + type + R"(","object":)" + obj + "}\n";
}

}  // namespace

TEST(list_watch_driver, list_watch_gone_relist_and_cancel) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        std::vector<std::string> targets;
        int lists = 0;
        int watches = 0;
        loopback_http_server server(ex, [&](const http_message& m, std::size_t) {
            std::string t(m.target());
            targets.push_back(t);
            reply r;
            if (t.find("watch=true") == std::string::npos) {
                ++lists;
                if (lists == 1) return reply{500, R"({"kind":"Status","code":500})"};
                if (lists == 2)
                    r.body = R"({"metadata":{"resourceVersion":"10"},"items":[)" + pod("a", "5") +
                             "," + pod("b", "6") + "]}";
                else
                    r.body = R"({"metadata":{"resourceVersion":"30"},"items":[)" + pod("a", "12") +
                             "," + pod("c", "11") + "]}";
                return r;
            }
            ++watches;
            r.stream = true;
            if (watches == 1) {
                std::string s = event("ADDED", pod("c", "11")) + event("MODIFIED", pod("a", "12")) +
                                event("BOOKMARK", R"({"metadata":{"resourceVersion":"20"}})") +
                                event("ERROR", R"({"kind":"Status","code":410,"reason":"Expired"})");
                // Split mid-line to exercise the decoder through the real stream.
                r.chunks = {s.substr(0, 37), s.substr(37, 100), s.substr(137)};
            } else {
                r.chunks = {event("DELETED", pod("a", "31"))};
                r.hold_open = true;
            }
            return r;
        });
        cluster_access access;
        access.ep = {"127.0.0.1", server.port(), false};
        auto pool = make_http_pool(ex, access);
        api_client client(*pool);

        list_watch_params p;
        p.path = "/api/v1/pods";
        p.options.field_selector = "spec.nodeName!=";
        p.backoff = {10ms, 50ms, 2.0};
        std::vector<std::string> got;
        bool finished = false;
        std::exception_ptr error;
        net::cancellation_signal stop;
        net::co_spawn(ex,
                      async_run_list_watch(client, std::move(p),
                                           [&](event_kind k, boost::json::object&& obj) {
                                               got.push_back(
                                                   std::string(to_string(k)) + ":" +
                                                   std::string(obj["metadata"]
                                                                   .as_object()["name"]
                                                                   .as_string()));
                                           }),
                      net::bind_cancellation_slot(stop.slot(), [&](std::exception_ptr e) {
                          finished = true;
                          error = e;
                      }));
        co_await wait_until([&] { return got.size() >= 8; });
        stop.emit(net::cancellation_type::terminal);
        EXPECT_TRUE(co_await wait_until([&] { return finished; }))
            << "driver did not stop on cancellation";
        if (error) {
            try {
                std::rethrow_exception(error);
            } catch (const std::exception& e) {
                ADD_FAILURE() << "driver threw: " << e.what();
            }
        }
        EXPECT_EQ(got, (std::vector<std::string>{"sync:a", "sync:b", "added:c", "modified:a",
                                                 "sync:a", "sync:c", "deleted:b", "deleted:a"}));
        EXPECT_EQ(targets.size(), 5u);
        if (targets.size() != 5) co_return;
        EXPECT_EQ(targets[0], "/api/v1/pods?fieldSelector=spec.nodeName%21%3D&resourceVersion=0");
        EXPECT_EQ(targets[1], targets[0]);   // retried after the 500
        EXPECT_EQ(targets[2], "/api/v1/pods?fieldSelector=spec.nodeName%21%3D&resourceVersion=10"
                              "&watch=true&allowWatchBookmarks=true&timeoutSeconds=300");
        EXPECT_EQ(targets[3], "/api/v1/pods?fieldSelector=spec.nodeName%21%3D&limit=500");
        EXPECT_EQ(targets[4], "/api/v1/pods?fieldSelector=spec.nodeName%21%3D&resourceVersion=30"
                              "&watch=true&allowWatchBookmarks=true&timeoutSeconds=300");
    });
}

// A caller that listed already (a snapshot): the driver watches from that resourceVersion at
// once, and a relist after 410 reports what vanished from the keys it was given.
TEST(list_watch_driver, starts_with_a_watch_after_the_callers_own_list) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        std::vector<std::string> targets;
        loopback_http_server server(ex, [&](const http_message& m, std::size_t) {
            std::string t(m.target());
            targets.push_back(t);
            reply r;
            if (t.find("watch=true") == std::string::npos) {
                r.body = R"({"metadata":{"resourceVersion":"30"},"items":[)" + pod("b", "25") + "]}";
                return r;
            }
            r.stream = true;
            if (targets.size() == 1) {
                r.chunks = {event("ADDED", pod("c", "21")) +
                            event("ERROR", R"({"kind":"Status","code":410,"reason":"Expired"})")};
            } else {
                r.hold_open = true;
            }
            return r;
        });
        cluster_access access;
        access.ep = {"127.0.0.1", server.port(), false};
        auto pool = make_http_pool(ex, access);
        api_client client(*pool);

        list_watch_params p;
        p.path = "/api/v1/pods";
        p.backoff = {10ms, 50ms, 2.0};
        p.listed = list_watch_params::listed_state{"20", {"ns/a", "ns/b"}};
        std::vector<std::string> got;
        bool finished = false;
        net::cancellation_signal stop;
        net::co_spawn(ex,
                      async_run_list_watch(client, std::move(p),
                                           [&](event_kind k, boost::json::object&& obj) {
                                               got.push_back(std::string(to_string(k)) + ":" +
                                                             std::string(obj["metadata"]
                                                                             .as_object()["name"]
                                                                             .as_string()));
                                           }),
                      net::bind_cancellation_slot(stop.slot(),
                                                  [&](std::exception_ptr) { finished = true; }));
        co_await wait_until([&] { return targets.size() >= 3; });
        stop.emit(net::cancellation_type::terminal);
        EXPECT_TRUE(co_await wait_until([&] { return finished; }));
        EXPECT_EQ(got, (std::vector<std::string>{"added:c", "sync:b", "deleted:a", "deleted:c"}));
        EXPECT_GE(targets.size(), 3u);
        if (targets.size() < 2) co_return;
        EXPECT_EQ(targets[0], "/api/v1/pods?resourceVersion=20&watch=true"
                              "&allowWatchBookmarks=true&timeoutSeconds=300");
        EXPECT_EQ(targets[1], "/api/v1/pods?limit=500");
    });
}

// kubelet mode's pacing hook: asked before every list and every watch, and the request waits
// for the delay it returns.
TEST(list_watch_driver, every_request_waits_for_its_pace) {
    run_async([](net::any_io_executor ex) -> net::awaitable<void> {
        std::vector<std::string> targets;
        loopback_http_server server(ex, [&](const http_message& m, std::size_t) {
            std::string t(m.target());
            targets.push_back(t);
            reply r;
            if (t.find("watch=true") == std::string::npos) {
                r.body = R"({"metadata":{"resourceVersion":"30"},"items":[]})";
                return r;
            }
            r.stream = true;
            r.hold_open = true;
            return r;
        });
        cluster_access access;
        access.ep = {"127.0.0.1", server.port(), false};
        auto pool = make_http_pool(ex, access);
        api_client client(*pool);

        list_watch_params p;
        p.path = "/api/v1/pods";
        p.options.field_selector = "spec.nodeName=n1";
        int paced = 0;
        // The first request (the list) waits 300 ms; the watch after it goes at once.
        p.pace = [&]() -> std::chrono::milliseconds { return ++paced == 1 ? 300ms : 0ms; };
        bool finished = false;
        net::cancellation_signal stop;
        net::co_spawn(ex,
                      async_run_list_watch(client, std::move(p),
                                           [](event_kind, boost::json::object&&) {}),
                      net::bind_cancellation_slot(stop.slot(),
                                                  [&](std::exception_ptr) { finished = true; }));
        co_await wait_until([&] { return paced >= 1; });
        EXPECT_TRUE(targets.empty());  // the list still waits for its pace
        co_await wait_until([&] { return targets.size() >= 2; });
        EXPECT_GE(paced, 2);  // the list, then the watch
        stop.emit(net::cancellation_type::terminal);
        EXPECT_TRUE(co_await wait_until([&] { return finished; }));
        EXPECT_GE(targets.size(), 2u);
        if (targets.empty()) co_return;
        EXPECT_EQ(targets[0], "/api/v1/pods?fieldSelector=spec.nodeName%3Dn1&resourceVersion=0");
    });
}
