// exec, attach and port-forward served over a real loopback socket, driven by a small SPDY/3.1
// client built on engine/spdy_frames (the way client-go's executors open their streams).

#include "apps/ghostlet/pod_streams.hpp"
#include "engine/spdy_frames.hpp"

#include "ghost_testing/async_test.hpp"
#include "ghost_testing/tcp_byte_stream.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace {

namespace net = boost::asio;
namespace spdy = ghost::engine::spdy;
using net::awaitable;
using net::ip::tcp;
using net::use_awaitable;
using namespace std::chrono_literals;
using ghost::testing::run_async;
using ghost::testing::wait_until;

using ghost::testing::tcp_byte_stream;

// A client-go-like peer: opens streams with odd ids, collects what comes back.
struct spdy_client {
    tcp::socket socket;
    spdy::frame_writer writer;
    spdy::frame_reader reader;
    std::string head;  // the HTTP reply head
    std::map<std::uint32_t, std::string> data;
    std::set<std::uint32_t> replied, finished, reset;
    std::vector<std::uint32_t> pings;
    bool goaway = false, eof = false;

    explicit spdy_client(tcp::socket s) : socket(std::move(s)) {}

    awaitable<void> read_head() {
        std::string buf;
        boost::system::error_code ec;
        std::size_t n = co_await net::async_read_until(socket, net::dynamic_buffer(buf), "\r\n\r\n",
                                                       net::redirect_error(use_awaitable, ec));
        if (ec) co_return;
        head = buf.substr(0, n);
        reader.feed(std::string_view(buf).substr(n));
    }
    // Frames are queued, then sent by until(): braced lists inside a co_await expression trip
    // GCC 12 ("array used as initializer").
    std::string pending;
    void send(std::initializer_list<spdy::frame> frames) {
        for (const auto& f : frames) writer.write(f, pending);
    }
    void open(std::uint32_t id, spdy::header_block headers) {
        writer.write(spdy::syn_stream{id, 0, 0, 0, std::move(headers)}, pending);
    }
    void take_frames() {
        for (;;) {
            auto f = reader.next();
            if (!f || !*f) return;
            std::visit(
                [&](auto& v) {
                    using T = std::decay_t<decltype(v)>;
                    if constexpr (std::is_same_v<T, spdy::syn_reply>) {
                        replied.insert(v.stream_id);
                    } else if constexpr (std::is_same_v<T, spdy::data>) {
                        data[v.stream_id] += v.payload;
                        if (v.flags & spdy::flag_fin) finished.insert(v.stream_id);
                    } else if constexpr (std::is_same_v<T, spdy::rst_stream>) {
                        reset.insert(v.stream_id);
                    } else if constexpr (std::is_same_v<T, spdy::goaway>) {
                        goaway = true;
                    } else if constexpr (std::is_same_v<T, spdy::ping>) {
                        pings.push_back(v.id);
                    }
                },
                **f);
        }
    }
    /// Reads frames until `pred()` holds or the server closes; the result is pred().
    template <class Pred>
    awaitable<bool> until(Pred pred) {
        std::array<char, 8192> buf;
        if (!pending.empty()) {
            std::string out;
            out.swap(pending);
            boost::system::error_code ec;
            co_await net::async_write(socket, net::buffer(out),
                                      net::redirect_error(use_awaitable, ec));
        }
        take_frames();
        while (!pred() && !eof) {
            boost::system::error_code ec;
            std::size_t n = co_await socket.async_read_some(net::buffer(buf),
                                                            net::redirect_error(use_awaitable, ec));
            reader.feed(std::string_view(buf.data(), n));
            take_frames();
            if (ec) eof = true;
        }
        co_return pred();
    }
};

ghost::engine::request_head upgrade_head(std::string target, std::string protocols) {
    ghost::engine::request_head h;
    h.method = boost::beast::http::verb::post;
    h.target = std::move(target);
    h.headers = {{"Connection", "Upgrade"}, {"Upgrade", "SPDY/3.1"}};
    if (!protocols.empty()) h.headers.emplace_back("X-Stream-Protocol-Version", protocols);
    return h;
}

/// A connected pair: the client's socket and the server's stream.
awaitable<std::pair<tcp::socket, std::unique_ptr<ghost::engine::byte_stream>>> connect_pair() {
    auto ex = co_await net::this_coro::executor;
    tcp::acceptor acceptor(ex, {net::ip::address_v4::loopback(), 0});
    tcp::socket client(ex);
    co_await client.async_connect(acceptor.local_endpoint(), use_awaitable);
    auto server = co_await acceptor.async_accept(use_awaitable);
    co_return std::make_pair(std::move(client),
                             std::make_unique<tcp_byte_stream>(std::move(server)));
}

using served_fn = std::function<awaitable<void>(std::unique_ptr<ghost::engine::byte_stream>)>;

/// Runs the server side concurrently; `done` turns true when it returned.
awaitable<spdy_client> start(served_fn serve, std::shared_ptr<bool> done) {
    auto ex = co_await net::this_coro::executor;
    auto [client, server] = co_await connect_pair();
    net::co_spawn(ex, serve(std::move(server)), [done](std::exception_ptr e) {
        *done = true;
        if (e) ADD_FAILURE() << "server side threw";
    });
    co_return spdy_client(std::move(client));
}

boost::json::value status_of(const spdy_client& c, std::uint32_t error_id) {
    auto it = c.data.find(error_id);
    if (it == c.data.end()) return nullptr;
    return boost::json::parse(it->second);
}

constexpr const char* all_versions = "v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io";

// Not a coroutine (string literals as coroutine parameters trip GCC 12).
awaitable<spdy_client> exec(const char* query, ghost::ghostlet::exec_target target,
                            std::shared_ptr<bool> done, const char* versions = all_versions) {
    auto head = upgrade_head(std::string("/exec/default/pod/app?") + query, versions);
    served_fn serve = [head, target](std::unique_ptr<ghost::engine::byte_stream> s) mutable {
        std::string nothing_read;
        return ghost::ghostlet::serve_exec(std::move(head), std::move(s), std::move(nothing_read),
                                           std::move(target));
    };
    return start(std::move(serve), std::move(done));
}

ghost::ghostlet::exec_target command(std::vector<std::string> argv) {
    ghost::ghostlet::exec_target t;
    t.command = std::move(argv);
    return t;
}

}  // namespace

TEST(PodStreams, ExecEchoHiReturnsOutputAndSuccess) {
    run_async([](net::any_io_executor) -> awaitable<void> {
        auto done = std::make_shared<bool>(false);
        auto t = command({"echo", "hi"});
        auto c = co_await exec("command=echo&command=hi&output=1&error=1", std::move(t), done);
        co_await c.read_head();
        EXPECT_EQ(c.head.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u) << c.head;
        EXPECT_NE(c.head.find("X-Stream-Protocol-Version: v4.channel.k8s.io"), std::string::npos);
        // client-go's order: error stream first, then the others.
        c.open(1, {{"streamtype", "error"}});
        c.open(3, {{"streamtype", "stdout"}});
        c.send({spdy::ping{1}});
        c.open(5, {{"streamtype", "stderr"}});
        CO_ASSERT_TRUE(co_await c.until([&] { return c.goaway; }));
        EXPECT_EQ(c.replied, (std::set<std::uint32_t>{1, 3, 5}));
        EXPECT_EQ(c.data[3], "hi\n");
        EXPECT_EQ(c.data[5], "");
        EXPECT_EQ(c.finished, (std::set<std::uint32_t>{1, 3, 5}));
        EXPECT_EQ(c.pings, std::vector<std::uint32_t>{1});
        EXPECT_EQ(status_of(c, 1).at("status"), "Success");
        c.socket.close();  // the client closes once it has everything
        CO_ASSERT_TRUE(co_await wait_until([&] { return *done; }));
    });
}

TEST(PodStreams, ExecReportsTheExitCode) {
    run_async([](net::any_io_executor) -> awaitable<void> {
        auto done = std::make_shared<bool>(false);
        auto t = command({"sh", "-c", "echo oops >&2; exit 3"});
        auto c = co_await exec("output=1&error=1", std::move(t), done);
        co_await c.read_head();
        c.open(1, {{"streamtype", "error"}});
        c.open(3, {{"streamtype", "stdout"}});
        c.open(5, {{"streamtype", "stderr"}});
        CO_ASSERT_TRUE(co_await c.until([&] { return c.goaway; }));
        EXPECT_EQ(c.data[5], "oops\n");
        auto status = status_of(c, 1);
        EXPECT_EQ(status.at("status"), "Failure");
        EXPECT_EQ(status.at("reason"), "NonZeroExitCode");
        EXPECT_EQ(status.at("details").at("causes").at(0).at("reason"), "ExitCode");
        EXPECT_EQ(status.at("details").at("causes").at(0).at("message"), "3");
        c.socket.close();
        CO_ASSERT_TRUE(co_await wait_until([&] { return *done; }));
    });
}

TEST(PodStreams, ExecPipesStdinWithWorkDirAndEnv) {
    run_async([](net::any_io_executor) -> awaitable<void> {
        auto done = std::make_shared<bool>(false);
        auto t = command({"sh", "-c", "cat; echo \"$GHOST_POD_STREAMS:$(pwd)\""});
        t.work_dir = "/tmp";
        t.envs = {{"GHOST_POD_STREAMS", "set"}};
        auto c = co_await exec("input=1&output=1&error=1", std::move(t), done);
        co_await c.read_head();
        c.open(1, {{"streamtype", "error"}});
        c.open(3, {{"streamtype", "stdin"}});
        c.send({spdy::data{3, 0, "abc\n"}, spdy::data{3, spdy::flag_fin, ""}});
        c.open(5, {{"streamtype", "stdout"}});
        c.open(7, {{"streamtype", "stderr"}});
        CO_ASSERT_TRUE(co_await c.until([&] { return c.goaway; }));
        EXPECT_EQ(c.data[5], "abc\nset:/tmp\n");
        EXPECT_EQ(status_of(c, 1).at("status"), "Success");
        c.socket.close();
        CO_ASSERT_TRUE(co_await wait_until([&] { return *done; }));
    });
}

TEST(PodStreams, ExecWithATerminalSizedByTheResizeStream) {
    run_async([](net::any_io_executor) -> awaitable<void> {
        auto done = std::make_shared<bool>(false);
        auto t = command({"sh", "-c", "stty size; read line; echo got:$line"});
        auto c = co_await exec("tty=1&input=1&output=1&error=1", std::move(t), done);
        co_await c.read_head();
        c.open(1, {{"streamtype", "error"}});
        c.open(3, {{"streamtype", "stdin"}});
        c.open(5, {{"streamtype", "stdout"}});
        c.open(7, {{"streamtype", "resize"}});  // no stderr with a terminal
        c.send({spdy::data{7, 0, "{\"Width\":100,\"Height\":30}"}});
        CO_ASSERT_TRUE(
            co_await c.until([&] { return c.data[5].find("30 100") != std::string::npos; }));
        c.send({spdy::data{3, 0, "hello\r"}});
        CO_ASSERT_TRUE(co_await c.until([&] { return c.goaway; }));
        EXPECT_NE(c.data[5].find("got:hello\r\n"), std::string::npos) << c.data[5];
        EXPECT_EQ(status_of(c, 1).at("status"), "Success");
        c.socket.close();
        CO_ASSERT_TRUE(co_await wait_until([&] { return *done; }));
    });
}

TEST(PodStreams, ExecThatCannotStartIsAnInternalError) {
    run_async([](net::any_io_executor) -> awaitable<void> {
        auto done = std::make_shared<bool>(false);
        auto t = command({"no-such-command-ghost"});
        auto c = co_await exec("output=1", std::move(t), done);
        co_await c.read_head();
        c.open(1, {{"streamtype", "error"}});
        c.open(3, {{"streamtype", "stdout"}});
        CO_ASSERT_TRUE(co_await c.until([&] { return c.goaway; }));
        auto status = status_of(c, 1);
        EXPECT_EQ(status.at("reason"), "InternalError");
        EXPECT_EQ(status.at("message"),
                  "Internal error occurred: error executing command in container: exec: "
                  "\"no-such-command-ghost\": executable file not found in $PATH");
        c.socket.close();
        CO_ASSERT_TRUE(co_await wait_until([&] { return *done; }));
    });
}

TEST(PodStreams, OlderProtocolsGetTextStatus) {
    run_async([](net::any_io_executor) -> awaitable<void> {
        auto done = std::make_shared<bool>(false);
        auto t = command({"sh", "-c", "exit 2"});
        auto c = co_await exec("output=1", std::move(t), done,
                               "v2.channel.k8s.io");
        co_await c.read_head();
        EXPECT_NE(c.head.find("X-Stream-Protocol-Version: v2.channel.k8s.io"), std::string::npos);
        c.open(1, {{"streamtype", "error"}});
        c.open(3, {{"streamtype", "stdout"}});
        CO_ASSERT_TRUE(co_await c.until([&] { return c.goaway; }));
        EXPECT_EQ(c.data[1], "command terminated with non-zero exit code: exit status 2");
        c.socket.close();
        CO_ASSERT_TRUE(co_await wait_until([&] { return *done; }));
    });
}

TEST(PodStreams, BadUpgradesAreRefusedAndNothingRuns) {
    run_async([](net::any_io_executor) -> awaitable<void> {
        const auto marker = std::filesystem::temp_directory_path() / "ghost_pod_streams_ran";
        std::filesystem::remove(marker);
        auto t = command({"touch", marker.string()});
        for (auto [query, versions, want] :
             {std::tuple{"output=1", "", "HTTP/1.1 400 Bad Request"},
              std::tuple{"tty=1", all_versions, "HTTP/1.1 400 Bad Request"},
              std::tuple{"output=1", "v9.channel.k8s.io", "HTTP/1.1 403 Forbidden"}}) {
            auto done = std::make_shared<bool>(false);
            auto c = co_await exec(query, t, done, versions);
            co_await c.read_head();
            EXPECT_EQ(c.head.rfind(want, 0), 0u) << c.head;
            CO_ASSERT_TRUE(co_await wait_until([&] { return *done; }));
        }
        EXPECT_FALSE(std::filesystem::exists(marker));
    });
}

TEST(PodStreams, AttachStreamsAndFollowsTheFile) {
    run_async([](net::any_io_executor) -> awaitable<void> {
        const auto file = std::filesystem::temp_directory_path() / "ghost_pod_streams_attach.log";
        std::ofstream(file) << "line1\n";
        auto done = std::make_shared<bool>(false);
        auto head = upgrade_head("/attach/default/pod/app?output=1&error=1", all_versions);
        served_fn serve = [head, file](std::unique_ptr<ghost::engine::byte_stream> s) mutable {
            std::string nothing_read, path = file.string();
            return ghost::ghostlet::serve_attach(std::move(head), std::move(s),
                                                 std::move(nothing_read), std::move(path));
        };
        auto c = co_await start(std::move(serve), done);
        co_await c.read_head();
        c.open(1, {{"streamtype", "error"}});
        c.open(3, {{"streamtype", "stdout"}});
        c.open(5, {{"streamtype", "stderr"}});
        CO_ASSERT_TRUE(co_await c.until([&] { return c.data[3] == "line1\n"; }));
        std::ofstream(file, std::ios::app) << "line2\n";
        CO_ASSERT_TRUE(co_await c.until([&] { return c.data[3] == "line1\nline2\n"; }));
        c.socket.close();
        CO_ASSERT_TRUE(co_await wait_until([&] { return *done; }));
        std::filesystem::remove(file);
    });
}

TEST(PodStreams, AttachToAMissingFileIsAnError) {
    run_async([](net::any_io_executor) -> awaitable<void> {
        auto done = std::make_shared<bool>(false);
        auto head = upgrade_head("/attach/default/pod/app?output=1", all_versions);
        served_fn serve = [head](std::unique_ptr<ghost::engine::byte_stream> s) mutable {
            std::string nothing_read, missing = "/no/such/ghost.log";
            return ghost::ghostlet::serve_attach(std::move(head), std::move(s),
                                                 std::move(nothing_read), std::move(missing));
        };
        auto c = co_await start(std::move(serve), done);
        co_await c.read_head();
        c.open(1, {{"streamtype", "error"}});
        c.open(3, {{"streamtype", "stdout"}});
        CO_ASSERT_TRUE(co_await c.until([&] { return c.goaway; }));
        EXPECT_EQ(status_of(c, 1).at("message"),
                  "Internal error occurred: error attaching to container: open "
                  "/no/such/ghost.log: No such file or directory");
        c.socket.close();
        CO_ASSERT_TRUE(co_await wait_until([&] { return *done; }));
    });
}

namespace {

// A local echo listener (the port-forward target): echoes until the peer half-closes.
awaitable<void> echo_once(tcp::acceptor& acceptor) {
    auto s = co_await acceptor.async_accept(use_awaitable);
    std::array<char, 4096> buf;
    for (;;) {
        boost::system::error_code ec;
        std::size_t n = co_await s.async_read_some(net::buffer(buf),
                                                   net::redirect_error(use_awaitable, ec));
        if (n > 0)
            co_await net::async_write(s, net::buffer(buf.data(), n),
                                      net::redirect_error(use_awaitable, ec));
        if (ec) break;
    }
}

awaitable<spdy_client> port_forward(ghost::ghostlet::forward_lookup lookup,
                                    std::shared_ptr<bool> done) {
    auto head = upgrade_head("/portForward/default/pod", "portforward.k8s.io");
    served_fn serve = [head, lookup](std::unique_ptr<ghost::engine::byte_stream> s) mutable {
        std::string nothing_read;
        return ghost::ghostlet::serve_port_forward(std::move(head), std::move(s),
                                                   std::move(nothing_read), std::move(lookup));
    };
    return start(std::move(serve), std::move(done));
}

}  // namespace

TEST(PodStreams, PortForwardToALocalEchoListener) {
    run_async([](net::any_io_executor ex) -> awaitable<void> {
        tcp::acceptor echo(ex, {net::ip::address_v4::loopback(), 0});
        const auto echo_port = echo.local_endpoint().port();
        net::co_spawn(ex, echo_once(echo), net::detached);
        auto done = std::make_shared<bool>(false);
        std::vector<std::uint16_t> asked;
        auto c = co_await port_forward(
            [&](std::uint16_t port) -> std::optional<ghost::ghostlet::forward_target> {
                asked.push_back(port);
                return ghost::ghostlet::forward_target{"127.0.0.1", echo_port, {}};
            },
            done);
        co_await c.read_head();
        EXPECT_NE(c.head.find("X-Stream-Protocol-Version: portforward.k8s.io"), std::string::npos);
        // kubectl: an error stream, then the data stream, with one requestID.
        c.open(1, {{"streamtype", "error"}, {"port", "80"}, {"requestid", "0"}});
        c.open(3, {{"streamtype", "data"}, {"port", "80"}, {"requestid", "0"}});
        c.send({spdy::data{3, 0, "ping over spdy"}});
        CO_ASSERT_TRUE(co_await c.until([&] { return c.data[3] == "ping over spdy"; }));
        EXPECT_EQ(asked, std::vector<std::uint16_t>{80});
        c.send({spdy::data{3, spdy::flag_fin, ""}});
        // The listener sees the end, closes; both streams end.
        CO_ASSERT_TRUE(
            co_await c.until([&] { return c.finished.count(3) && c.finished.count(1); }));
        EXPECT_EQ(c.data[1], "");
        c.socket.close();
        CO_ASSERT_TRUE(co_await wait_until([&] { return *done; }));
    });
}

TEST(PodStreams, PortForwardThroughACommand) {
    run_async([](net::any_io_executor) -> awaitable<void> {
        auto done = std::make_shared<bool>(false);
        auto c = co_await port_forward(
            [](std::uint16_t) -> std::optional<ghost::ghostlet::forward_target> {
                return ghost::ghostlet::forward_target{"", 0, {"sh", "-c", "read l; echo got:$l"}};
            },
            done);
        co_await c.read_head();
        c.open(1, {{"streamtype", "error"}, {"port", "8080"}, {"requestid", "7"}});
        c.open(3, {{"streamtype", "data"}, {"port", "8080"}, {"requestid", "7"}});
        c.send({spdy::data{3, 0, "abc\n"}});
        CO_ASSERT_TRUE(
            co_await c.until([&] { return c.finished.count(3) && c.finished.count(1); }));
        EXPECT_EQ(c.data[3], "got:abc\n");
        c.socket.close();
        CO_ASSERT_TRUE(co_await wait_until([&] { return *done; }));
    });
}

TEST(PodStreams, PortForwardThroughACommandThatExitsAtOnce) {
    // The command is gone (and reaped) by the time its output ends: the forward still ends.
    run_async([](net::any_io_executor) -> awaitable<void> {
        auto done = std::make_shared<bool>(false);
        auto c = co_await port_forward(
            [](std::uint16_t) -> std::optional<ghost::ghostlet::forward_target> {
                return ghost::ghostlet::forward_target{"", 0, {"echo", "hi"}};
            },
            done);
        co_await c.read_head();
        c.open(1, {{"streamtype", "error"}, {"port", "8080"}, {"requestid", "1"}});
        c.open(3, {{"streamtype", "data"}, {"port", "8080"}, {"requestid", "1"}});
        CO_ASSERT_TRUE(
            co_await c.until([&] { return c.finished.count(3) && c.finished.count(1); }));
        EXPECT_EQ(c.data[3], "hi\n");
        c.socket.close();
        CO_ASSERT_TRUE(co_await wait_until([&] { return *done; }));
    });
}

TEST(PodStreams, PortForwardWithoutATargetOrWithBadStreams) {
    run_async([](net::any_io_executor) -> awaitable<void> {
        auto done = std::make_shared<bool>(false);
        auto c = co_await port_forward(
            [](std::uint16_t) -> std::optional<ghost::ghostlet::forward_target> {
                return std::nullopt;
            },
            done);
        co_await c.read_head();
        c.open(1, {{"streamtype", "data"}});  // no port: refused
        c.open(3, {{"streamtype", "error"}, {"port", "81"}, {"requestid", "0"}});
        c.open(5, {{"streamtype", "data"}, {"port", "81"}, {"requestid", "0"}});
        CO_ASSERT_TRUE(co_await c.until([&] { return c.finished.count(3) && c.reset.count(5); }));
        EXPECT_TRUE(c.reset.count(1));
        EXPECT_EQ(c.data[3], "error forwarding port 81: no PortForward target for this port");
        c.socket.close();
        CO_ASSERT_TRUE(co_await wait_until([&] { return *done; }));
    });
}
