// The kubelet's streaming protocols, sans-io: the SPDY upgrade handshake, remotecommand's
// stream set, resize messages and final statuses, port-forward's stream pairs.
#include "kube/portforward.hpp"
#include "kube/remotecommand.hpp"
#include "kube/stream_upgrade.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace rc = ghost::kube::remotecommand;
namespace pf = ghost::kube::portforward;
using ghost::engine::request_head;

namespace {

request_head upgrade_request(std::vector<std::string> versions) {
    request_head h;
    h.target = "/exec/ns/pod/c?command=echo&output=1";
    h.headers = {{"Connection", "Upgrade"}, {"Upgrade", "SPDY/3.1"}};
    for (auto& v : versions) h.headers.emplace_back("X-Stream-Protocol-Version", v);
    return h;
}

}  // namespace

TEST(StreamUpgrade, PicksTheClientsFirstProtocolWeSpeak) {
    // kubectl sends one header line per version, newest first.
    auto r = ghost::kube::negotiate_stream_upgrade(
        upgrade_request({"v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io"}),
        rc::protocols);
    ASSERT_TRUE(std::holds_alternative<std::string>(r));
    EXPECT_EQ(std::get<std::string>(r), "v4.channel.k8s.io");
    auto comma = ghost::kube::negotiate_stream_upgrade(
        upgrade_request({" v2.channel.k8s.io , channel.k8s.io"}), rc::protocols);
    EXPECT_EQ(std::get<std::string>(comma), "v2.channel.k8s.io");
}

TEST(StreamUpgrade, RefusalsAsTheKubelet) {
    auto none = ghost::kube::negotiate_stream_upgrade(upgrade_request({}), rc::protocols);
    ASSERT_TRUE(std::holds_alternative<ghost::kube::upgrade_refusal>(none));
    EXPECT_EQ(std::get<ghost::kube::upgrade_refusal>(none).status, 400u);

    auto other = ghost::kube::negotiate_stream_upgrade(upgrade_request({"v9.channel.k8s.io"}),
                                                       pf::protocols);
    auto& refusal = std::get<ghost::kube::upgrade_refusal>(other);
    EXPECT_EQ(refusal.status, 403u);
    EXPECT_NE(refusal.message.find("client supports [v9.channel.k8s.io], server accepts "
                                   "[portforward.k8s.io]"),
              std::string::npos);
    ASSERT_EQ(refusal.headers.size(), 1u);
    EXPECT_EQ(refusal.headers[0].second, "portforward.k8s.io");

    auto plain = upgrade_request({"portforward.k8s.io"});
    plain.headers[1].second = "websocket";
    auto not_spdy = ghost::kube::negotiate_stream_upgrade(plain, pf::protocols);
    EXPECT_EQ(std::get<ghost::kube::upgrade_refusal>(not_spdy).status, 400u);
}

TEST(StreamUpgrade, RepliesAndQueryValues) {
    auto ok = ghost::kube::switching_protocols_reply("portforward.k8s.io");
    EXPECT_EQ(ok.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u);
    EXPECT_NE(ok.find("Upgrade: SPDY/3.1\r\n"), std::string::npos);
    EXPECT_NE(ok.find("X-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n"), std::string::npos);
    auto err = ghost::kube::http_error_reply(404, "pod not found");
    EXPECT_EQ(err.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u);
    EXPECT_NE(err.find("Content-Length: 14\r\n"), std::string::npos);
    EXPECT_EQ(err.substr(err.size() - 14), "pod not found\n");

    auto cmd = ghost::kube::query_values("/exec/a/b/c?command=sh&command=-c&command=echo%20hi%3B"
                                         "exit%203&output=1",
                                         "command");
    EXPECT_EQ(cmd, (std::vector<std::string>{"sh", "-c", "echo hi;exit 3"}));
}

TEST(RemoteCommand, StreamOptionsFromTheQuery) {
    auto o = std::get<rc::stream_options>(rc::parse_stream_options("/x?input=1&output=1&error=1"));
    EXPECT_TRUE(o.stdin_ && o.stdout_ && o.stderr_);
    EXPECT_FALSE(o.tty);
    auto t = std::get<rc::stream_options>(rc::parse_stream_options("/x?tty=1&output=1&error=1"));
    EXPECT_TRUE(t.tty);
    EXPECT_FALSE(t.stderr_);  // the terminal carries it
    auto none = rc::parse_stream_options("/x?command=ls&tty=1");
    EXPECT_EQ(std::get<std::string>(none),
              "you must specify at least 1 of stdin, stdout, stderr");
}

TEST(RemoteCommand, StreamSetCountsWhatTheClientMustOpen) {
    rc::stream_options o;
    o.stdin_ = o.stdout_ = o.tty = true;
    rc::stream_set v4(o, rc::protocol_v4);
    EXPECT_EQ(v4.expected(), 4);  // error, stdin, stdout, resize
    EXPECT_TRUE(v4.json_status());
    rc::stream_set v2(o, rc::protocol_v2);
    EXPECT_EQ(v2.expected(), 3);  // no resize before v3
    EXPECT_FALSE(v2.json_status());

    EXPECT_EQ(v4.add(1, {{"streamtype", "error"}}), rc::stream_kind::error);
    EXPECT_EQ(v4.add(3, {{"streamtype", "stdin"}}), rc::stream_kind::stdin_);
    EXPECT_EQ(v4.add(5, {{"streamtype", "bogus"}}), std::nullopt);
    EXPECT_EQ(v4.add(7, {{"streamtype", "stdin"}}), std::nullopt);  // second stdin
    EXPECT_EQ(v4.add(9, {{"streamtype", "stdout"}}), rc::stream_kind::stdout_);
    EXPECT_FALSE(v4.complete());
    EXPECT_EQ(v4.add(11, {{"streamtype", "resize"}}), rc::stream_kind::resize);
    EXPECT_TRUE(v4.complete());
    EXPECT_EQ(v4.id_of(rc::stream_kind::stdin_), 3u);
    EXPECT_EQ(v4.kind_of(11), rc::stream_kind::resize);
    EXPECT_EQ(v4.id_of(rc::stream_kind::stderr_), std::nullopt);
}

TEST(RemoteCommand, ResizeMessagesInAnySplit) {
    const std::string wire =
        "{\"Width\":80,\"Height\":24}\n{\"width\":132, \"height\":43}{\"Width\":1}";
    for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
        rc::resize_decoder d;
        std::vector<rc::terminal_size> sizes;
        d.feed(wire.substr(0, cut), sizes);
        d.feed(wire.substr(cut), sizes);
        ASSERT_EQ(sizes.size(), 3u) << "cut at " << cut;
        EXPECT_EQ(sizes[0], (rc::terminal_size{80, 24}));
        EXPECT_EQ(sizes[1], (rc::terminal_size{132, 43}));
        EXPECT_EQ(sizes[2], (rc::terminal_size{1, 0}));
        EXPECT_FALSE(d.failed());
    }
    rc::resize_decoder bad;
    std::vector<rc::terminal_size> sizes;
    bad.feed("{\"Width\":70000}{\"Width\":5}", sizes);
    EXPECT_TRUE(bad.failed());
    EXPECT_TRUE(sizes.empty());
    rc::resize_decoder garbage;
    garbage.feed("[1,2]", sizes);
    EXPECT_TRUE(garbage.failed());
}

TEST(RemoteCommand, FinalStatusV4) {
    rc::stream_set s(rc::stream_options{false, true, false, false}, rc::protocol_v4);
    auto ok = boost::json::parse(rc::final_status(s, rc::exec_outcome::succeeded()));
    EXPECT_EQ(ok.at("status"), "Success");

    auto three = boost::json::parse(rc::final_status(s, rc::exec_outcome::exited(3)));
    EXPECT_EQ(three.at("status"), "Failure");
    EXPECT_EQ(three.at("reason"), "NonZeroExitCode");
    EXPECT_EQ(three.at("message"), "command terminated with non-zero exit code: exit status 3");
    const auto& cause = three.at("details").at("causes").at(0);
    EXPECT_EQ(cause.at("reason"), "ExitCode");
    EXPECT_EQ(cause.at("message"), "3");

    auto failed = boost::json::parse(rc::final_status(
        s, rc::exec_outcome::failed("user 4242: setuid: Operation not permitted")));
    EXPECT_EQ(failed.at("reason"), "InternalError");
    EXPECT_EQ(failed.at("code"), 500);
    EXPECT_EQ(failed.at("message"), "Internal error occurred: error executing command in "
                                    "container: user 4242: setuid: Operation not permitted");
}

TEST(RemoteCommand, FinalStatusBeforeV4IsTextOnFailureOnly) {
    rc::stream_set s(rc::stream_options{false, true, false, false}, rc::protocol_v3);
    EXPECT_EQ(rc::final_status(s, rc::exec_outcome::succeeded()), "");
    EXPECT_EQ(rc::final_status(s, rc::exec_outcome::exited(2)),
              "command terminated with non-zero exit code: exit status 2");
}

TEST(PortForward, StreamHeadersAreChecked) {
    auto ok = std::get<pf::stream_header>(
        pf::parse_stream(5, {{"streamtype", "data"}, {"port", "8080"}, {"requestid", "0"}}));
    EXPECT_EQ(ok.port, 8080);
    EXPECT_FALSE(ok.is_error);
    EXPECT_EQ(ok.request_id, "0");
    auto derived = std::get<pf::stream_header>(
        pf::parse_stream(5, {{"streamtype", "data"}, {"port", "80"}}));
    EXPECT_EQ(derived.request_id, "3");  // pairs with error stream 3
    EXPECT_EQ(std::get<std::string>(pf::parse_stream(1, {{"streamtype", "data"}})),
              "\"port\" header is required");
    EXPECT_EQ(std::get<std::string>(pf::parse_stream(1, {{"port", "x1"}})),
              "unable to parse \"x1\" as a port");
    EXPECT_EQ(std::get<std::string>(pf::parse_stream(1, {{"port", "70000"}})),
              "unable to parse \"70000\" as a port");
    EXPECT_EQ(std::get<std::string>(pf::parse_stream(1, {{"port", "0"}})),
              "port \"0\" must be > 0");
    EXPECT_EQ(std::get<std::string>(pf::parse_stream(1, {{"port", "1"}})),
              "\"streamType\" header is required");
    EXPECT_EQ(std::get<std::string>(pf::parse_stream(1, {{"port", "1"}, {"streamtype", "x"}})),
              "invalid stream type \"x\"");
}

TEST(PortForward, PairsByRequestId) {
    pf::pairing p;
    auto e0 = p.add(1, pf::stream_header{8080, true, "0"});
    EXPECT_FALSE(e0.complete);
    auto e1 = p.add(3, pf::stream_header{9090, true, "1"});
    EXPECT_EQ(p.pending(), 2u);
    auto dup = p.add(5, pf::stream_header{8080, true, "0"});
    EXPECT_FALSE(dup.complete);
    EXPECT_EQ(dup.error_id, 1u);
    EXPECT_NE(dup.error.find("error stream already assigned"), std::string::npos);
    auto d0 = p.add(7, pf::stream_header{8080, false, "0"});
    ASSERT_TRUE(d0.complete);
    EXPECT_EQ(d0.complete->data_id, 7u);
    EXPECT_EQ(d0.complete->error_id, 1u);
    EXPECT_EQ(d0.complete->port, 8080);
    EXPECT_EQ(p.pending(), 1u);
    p.forget("1");
    EXPECT_EQ(p.pending(), 0u);
    (void)e1;
}
