// ghostlet's debugging routes on a loopback server: containerLogs from --config Logs documents
// (whole, tailed, --previous, followed while lines are appended), kubelet-style errors with
// nothing read, client-certificate authentication with --client-ca-file, kwok's disabled
// paths, and exec/attach/portForward resolved before pod_streams answers the upgrade.

#include "apps/ghostlet/debug_routes.hpp"
#include "engine/http_pool.hpp"
#include "engine/tls_certs.hpp"
#include "engine/tls_context.hpp"

#include "ghost_testing/async_test.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using ghost::engine::http_pool;
using ghost::engine::http_request;
using ghost::ghostlet::debug_routes;

struct debug_routes_test : ::testing::Test {
    fs::path dir = fs::temp_directory_path() /
                   ("ghost-debug-" + std::to_string(::getpid()) + "-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::vector<ghost::sim::write_op> writes;
    ghost::sim::simulation::write_sink sink = [this](ghost::sim::write_op op) {
        writes.push_back(std::move(op));
    };

    void SetUp() override { fs::create_directories(dir); }
    void TearDown() override { fs::remove_all(dir); }
    std::string write(const std::string& name, const std::string& text) {
        std::ofstream(dir / name) << text;
        return (dir / name).string();
    }
    ghost::ghostlet::options opts(std::vector<std::string> extra = {}) {
        auto current = write("current.log", "2026-01-01T00:00:01Z stdout F one\n"
                                            "2026-01-01T00:00:02Z stderr F two\n"
                                            "2026-01-01T00:00:03Z stdout F three\n");
        auto previous = write("previous.log", "before the restart\n");
        auto config = write("debug.yaml", R"(kind: Logs
apiVersion: kwok.x-k8s.io/v1alpha1
metadata: {name: web, namespace: default}
spec:
  logs:
  - containers: [app]
    logsFile: )" + current + R"(
    previousLogsFile: )" + previous + R"(
  - logsFile: )" + (dir / "missing.log").string() + R"(
---
kind: ClusterExec
apiVersion: kwok.x-k8s.io/v1alpha1
metadata: {name: all}
spec:
  selector: {matchNamespaces: [default]}
  execs:
  - local: {workDir: /tmp}
---
kind: ClusterLogs
apiVersion: kwok.x-k8s.io/v1alpha1
metadata: {name: broken}
spec:
  logs:
  - logsFile: [not, a, string]
)");
        std::vector<std::string> args{"--manage-all-nodes", "-c", config};
        args.insert(args.end(), extra.begin(), extra.end());
        return ghost::ghostlet::parse_options(args);
    }
};

http_request get(std::string target) {
    http_request r;
    r.target = std::move(target);
    return r;
}

// One server with the routes, a plain-HTTP pool to it, and `body` run against them.
template <class Body>
void with_server(debug_routes& routes, Body body,
                 std::shared_ptr<asio::ssl::context> tls = nullptr) {
    ghost::testing::run_async([&](auto ex) -> asio::awaitable<void> {
        ghost::engine::http_server server(ex, "127.0.0.1", "0", tls);
        routes.install(server, "ghostlet/test");
        asio::co_spawn(ex, server.async_run(), asio::detached);
        co_await body(ex, server);
        server.close();
    });
}

}  // namespace

TEST_F(debug_routes_test, container_logs_whole_tailed_previous_and_kubelet_errors) {
    asio::io_context unused;
    http_pool api(unused.get_executor(), {"127.0.0.1", "1", false}, {}, {});
    ghost::kube::api_client client(api, {});
    debug_routes routes(opts(), client, sink);
    EXPECT_EQ(routes.catalog().size(), 2u) << "the broken ClusterLogs is left out";
    with_server(routes, [&](auto ex, ghost::engine::http_server& server) -> asio::awaitable<void> {
        http_pool pool(ex, {"127.0.0.1", std::to_string(server.port()), false}, {}, {});
        auto whole = co_await pool.async_request(get("/containerLogs/default/web/app"));
        CO_ASSERT_TRUE(whole.has_value());
        EXPECT_EQ(whole->status, 200u);
        EXPECT_EQ(whole->body, "one\ntwo\nthree\n");
        auto tail = co_await pool.async_request(
            get("/containerLogs/default/web/app?tailLines=1&timestamps=true"));
        CO_ASSERT_TRUE(tail.has_value());
        EXPECT_EQ(tail->body, "2026-01-01T00:00:03Z three\n");
        auto previous = co_await pool.async_request(get("/containerLogs/default/web/app?previous=true"));
        CO_ASSERT_TRUE(previous.has_value());
        EXPECT_EQ(previous->body, "before the restart\n");

        auto no_logs = co_await pool.async_request(get("/containerLogs/default/other/app"));
        CO_ASSERT_TRUE(no_logs.has_value());
        EXPECT_EQ(no_logs->status, 400u);
        EXPECT_EQ(no_logs->body, "no logs found for container \"app\" in pod \"default/other\"\n");
        auto missing = co_await pool.async_request(get("/containerLogs/default/web/sidecar"));
        CO_ASSERT_TRUE(missing.has_value());
        EXPECT_EQ(missing->status, 400u);
        EXPECT_NE(missing->body.find("failed to open log file \"" + (dir / "missing.log").string() +
                                     "\": No such file or directory"),
                  std::string::npos)
            << missing->body;
        auto no_previous = co_await pool.async_request(
            get("/containerLogs/default/web/sidecar?previous=1"));
        CO_ASSERT_TRUE(no_previous.has_value());
        EXPECT_EQ(no_previous->body,
                  "previous terminated container \"sidecar\" in pod \"web\" not found\n");
        auto bad_query = co_await pool.async_request(get("/containerLogs/default/web/app?tailLines=x"));
        CO_ASSERT_TRUE(bad_query.has_value());
        EXPECT_EQ(bad_query->status, 400u);
        auto again = co_await pool.async_request(get("/containerLogs/default/web/app?limitBytes=3"));
        CO_ASSERT_TRUE(again.has_value());
        EXPECT_EQ(again->body, "one") << "the server keeps serving after errors";
        pool.close();
    });
}

TEST_F(debug_routes_test, follow_sends_appended_lines_until_the_client_leaves) {
    asio::io_context unused;
    http_pool api(unused.get_executor(), {"127.0.0.1", "1", false}, {}, {});
    ghost::kube::api_client client(api, {});
    debug_routes routes(opts(), client, sink);
    routes.set_follow_poll_interval(std::chrono::milliseconds(5));
    with_server(routes, [&](auto ex, ghost::engine::http_server& server) -> asio::awaitable<void> {
        ghost::engine::pool_config cfg;
        http_pool pool(ex, {"127.0.0.1", std::to_string(server.port()), false}, {}, cfg);
        std::string received;
        bool ended = false;
        asio::cancellation_signal stop;
        asio::co_spawn(ex, pool.async_stream(get("/containerLogs/default/web/app?follow=true&tailLines=1"),
                                             [&](std::string_view d) { received.append(d); }),
                       asio::bind_cancellation_slot(stop.slot(), [&](auto&&...) { ended = true; }));
        CO_ASSERT_TRUE(co_await ghost::testing::wait_until([&] { return received == "three\n"; }));
        std::ofstream(dir / "current.log", std::ios::app) << "2026-01-01T00:00:04Z stdout F four\n";
        CO_ASSERT_TRUE(co_await ghost::testing::wait_until([&] { return received == "three\nfour\n"; }));
        std::ofstream(dir / "current.log", std::ios::app) << "2026-01-01T00:00:05Z stdout P fi";
        std::ofstream(dir / "current.log", std::ios::app) << "\n2026-01-01T00:00:05Z stdout F ve\n";
        CO_ASSERT_TRUE(co_await ghost::testing::wait_until(
            [&] { return received == "three\nfour\nfive\n"; }));
        EXPECT_EQ(server.open_sessions(), 1u);
        stop.emit(asio::cancellation_type::terminal);  // the client goes away
        CO_ASSERT_TRUE(co_await ghost::testing::wait_until([&] { return ended; }));
        CO_ASSERT_TRUE(co_await ghost::testing::wait_until([&] { return server.open_sessions() == 0; }));
        pool.close();
    });
}

TEST_F(debug_routes_test, with_a_client_ca_only_verified_clients_are_served) {
    auto ca = ghost::engine::issue_certificate({"ghost-ca", {}, true, {}, {}});
    auto apiserver = ghost::engine::issue_certificate(
        {"kube-apiserver-kubelet-client", {}, false, {"clientAuth"}, {}}, &ca);
    auto ca_file = write("ca.crt", ca.cert_pem);
    auto serving = ghost::engine::issue_certificate({"ghostlet", {}, false, {"serverAuth"}, {"IP:127.0.0.1"}});
    auto tls = ghost::engine::make_server_tls_context(serving);
    ghost::engine::trust_client_certificates_file(*tls, ca_file);
    asio::io_context unused;
    http_pool api(unused.get_executor(), {"127.0.0.1", "1", false}, {}, {});
    ghost::kube::api_client client(api, {});
    debug_routes routes(opts({"--client-ca-file", ca_file}), client, sink);
    with_server(routes, [&](auto ex, ghost::engine::http_server& server) -> asio::awaitable<void> {
        auto port = std::to_string(server.port());
        http_pool plain(ex, {"127.0.0.1", port, false}, {}, {});
        auto refused = co_await plain.async_request(get("/containerLogs/default/web/app"));
        CO_ASSERT_TRUE(refused.has_value());
        EXPECT_EQ(refused->status, 401u);
        EXPECT_EQ(refused->body, "Unauthorized\n");
        ghost::engine::tls_options anonymous;
        anonymous.ca_pem = serving.cert_pem;
        http_pool no_cert(ex, {"127.0.0.1", port, true}, anonymous, {});
        auto refused_tls = co_await no_cert.async_request(get("/exec/default/web/app?command=ls"));
        CO_ASSERT_TRUE(refused_tls.has_value());
        EXPECT_EQ(refused_tls->status, 401u);
        auto with_cert = anonymous;
        with_cert.cert_pem = apiserver.cert_pem;
        with_cert.key_pem = apiserver.key_pem;
        http_pool verified(ex, {"127.0.0.1", port, true}, with_cert, {});
        auto served = co_await verified.async_request(get("/containerLogs/default/web/app"));
        CO_ASSERT_TRUE(served.has_value());
        EXPECT_EQ(served->status, 200u);
        EXPECT_EQ(served->body, "one\ntwo\nthree\n");
        for (auto* p : {&plain, &no_cert, &verified}) p->close();
    }, tls);
}

TEST_F(debug_routes_test, disabled_paths_and_exec_attach_port_forward_resolution) {
    asio::io_context unused;
    http_pool api(unused.get_executor(), {"127.0.0.1", "1", false}, {}, {});
    ghost::kube::api_client client(api, {});
    debug_routes routes(opts(), client, sink);
    with_server(routes, [&](auto ex, ghost::engine::http_server& server) -> asio::awaitable<void> {
        http_pool pool(ex, {"127.0.0.1", std::to_string(server.port()), false}, {}, {});
        for (const char* p : {"/logs/", "/run/default/p/c", "/runningpods/"}) {
            auto r = co_await pool.async_request(get(p));
            CO_ASSERT_TRUE(r.has_value());
            EXPECT_EQ(r->status, 405u) << p;
            EXPECT_EQ(r->body, "Debug endpoints are disabled.\n") << p;
        }
        auto no_exec = co_await pool.async_request(get("/exec/kube-system/p/c?command=ls"));
        CO_ASSERT_TRUE(no_exec.has_value());
        EXPECT_EQ(no_exec->status, 400u);
        EXPECT_EQ(no_exec->body, "no exec found for container \"c\" in pod \"kube-system/p\"\n");
        auto no_command = co_await pool.async_request(get("/exec/default/p/uid/c"));
        CO_ASSERT_TRUE(no_command.has_value());
        EXPECT_EQ(no_command->status, 400u);
        auto exec = co_await pool.async_request(get("/exec/default/p/c?command=ls"));
        CO_ASSERT_TRUE(exec.has_value());
        EXPECT_EQ(exec->status, 400u) << "resolved, then handed to serve_exec";
        EXPECT_EQ(exec->body.find("no exec found"), std::string::npos) << exec->body;
        EXPECT_NE(exec->body.find("you must specify at least 1 of stdin, stdout, stderr"),
                  std::string::npos) << "pod_streams' own check: " << exec->body;
        auto attach = co_await pool.async_request(get("/attach/default/p/c"));
        CO_ASSERT_TRUE(attach.has_value());
        EXPECT_EQ(attach->status, 400u);
        EXPECT_EQ(attach->body, "no attaches found for container \"c\" in pod \"default/p\"\n");
        pool.close();
    });
    auto off = opts();
    off.enable_debugging_handlers = false;
    debug_routes disabled(off, client, sink);
    with_server(disabled, [&](auto ex, ghost::engine::http_server& server) -> asio::awaitable<void> {
        http_pool pool(ex, {"127.0.0.1", std::to_string(server.port()), false}, {}, {});
        auto r = co_await pool.async_request(get("/containerLogs/default/web/app"));
        CO_ASSERT_TRUE(r.has_value());
        EXPECT_EQ(r->status, 405u);
        EXPECT_EQ(r->body, "Debug endpoints are disabled.\n");
        pool.close();
    });
}

TEST_F(debug_routes_test, an_invalid_custom_resource_is_reported_and_the_others_serve) {
    asio::io_context unused;
    http_pool api(unused.get_executor(), {"127.0.0.1", "1", false}, {}, {});
    ghost::kube::api_client client(api, {});
    debug_routes routes(opts({"--enable-crds=Logs,ClusterLogs"}), client, sink);
    auto* cluster_logs = routes.watch_of("ClusterLogs");
    ASSERT_NE(cluster_logs, nullptr);
    EXPECT_EQ(routes.watch_of("Exec"), nullptr) << "not enabled";
    auto cr = [&](std::string file) {
        return boost::json::parse(R"({"apiVersion":"kwok.x-k8s.io/v1alpha1","kind":"ClusterLogs",
            "metadata":{"name":"live","uid":"u1","resourceVersion":"7"},
            "spec":{"logs":[{"logsFile":)" + file + "}]}}").as_object();
    };
    cluster_logs->on_upsert(cr("42"));
    EXPECT_EQ(cluster_logs->invalid(), 1u);
    ASSERT_EQ(writes.size(), 1u) << "a Warning Event";
    EXPECT_NE(writes[0].request.body.find("InvalidClusterLogs"), std::string::npos);
    EXPECT_NE(writes[0].request.body.find("spec.logs[0].logsFile: expected a string, got 42"),
              std::string::npos) << writes[0].request.body;
    EXPECT_EQ(routes.catalog().find_logs("ns", "p", "c").entry, nullptr);
    auto live = write("live.log", "live line\n");
    cluster_logs->on_upsert(cr("\"" + live + "\""));
    EXPECT_EQ(cluster_logs->invalid(), 0u);
    auto found = routes.catalog().find_logs("ns", "p", "c");
    ASSERT_NE(found.entry, nullptr) << found.error;
    EXPECT_EQ(found.entry->logs_file, live);
    cluster_logs->on_delete(cr("\"" + live + "\""));
    EXPECT_EQ(routes.catalog().find_logs("ns", "p", "c").entry, nullptr);
}
