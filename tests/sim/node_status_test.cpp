// The kubelet node-status loop on a manual clock with a recording sink.
#include "sim/node_status.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <deque>

using namespace std::chrono_literals;
using namespace ghost::sim;
namespace http = boost::beast::http;
using ghost::engine::http_response;
using ghost::engine::manual_scheduler;

namespace {

using action = node_status_fsm::action;
const manual_scheduler::time_point t0 = manual_scheduler::time_point{} + 1000h;

TEST(node_status_fsm, first_tick_reports_then_only_changes_or_the_period) {
    node_status_timing t;
    node_status_fsm fsm(t);
    EXPECT_EQ(fsm.tick(t0, false, 0.5), action::patch);  // never reported: a restart reports
    EXPECT_TRUE(fsm.busy());
    EXPECT_EQ(fsm.tick(t0 + 10s, true, 0.5), action::none);  // one round at a time
    EXPECT_EQ(fsm.patch_done(true, t0 + 1s), action::none);
    EXPECT_EQ(fsm.report_delay(), 0ms);  // rand 0.5: delay f * (0.5 - 0.5)
    ASSERT_TRUE(fsm.report_due());
    EXPECT_EQ(*fsm.report_due(), t0 + 1s + 5min);
    EXPECT_EQ(fsm.tick(t0 + 11s, false, 0.5), action::none);
    EXPECT_EQ(fsm.tick(t0 + 1s + 5min - 1ms, false, 0.5), action::none);
    EXPECT_EQ(fsm.tick(t0 + 1s + 5min, false, 0.9), action::patch);  // the period ran out
    EXPECT_EQ(fsm.report_delay(), 0ms);  // a periodic report keeps the cadence
}

TEST(node_status_fsm, a_change_reports_at_once_and_draws_the_one_time_delay) {
    node_status_timing t;
    node_status_fsm fsm(t);
    fsm.tick(t0, false, 0.5);
    fsm.patch_done(true, t0);
    EXPECT_EQ(fsm.tick(t0 + 20s, true, 0.0), action::patch);
    EXPECT_EQ(fsm.report_delay(), -150s);  // uniform in [-f/2, f/2]: rand 0 is -2.5 min
    fsm.patch_done(true, t0 + 20s);
    EXPECT_EQ(*fsm.report_due(), t0 + 20s + 150s);
    EXPECT_EQ(fsm.tick(t0 + 20s + 149s, false, 0.5), action::none);
    EXPECT_EQ(fsm.tick(t0 + 20s + 150s, false, 0.5), action::patch);
    fsm.patch_done(true, t0 + 170s);
    EXPECT_EQ(*fsm.report_due(), t0 + 170s + 5min);  // delay reset by the periodic report
}

TEST(node_status_fsm, a_failed_patch_gets_the_node_then_patches_again_up_to_five_tries) {
    node_status_timing t;
    node_status_fsm fsm(t);
    EXPECT_EQ(fsm.tick(t0, true, 0.5), action::patch);
    EXPECT_EQ(fsm.patch_done(false, t0), action::get);           // try 2 from a GET
    EXPECT_EQ(fsm.get_done(true, true, t0), action::patch);
    EXPECT_EQ(fsm.patch_done(false, t0), action::get);           // try 3
    EXPECT_EQ(fsm.get_done(false, false, t0), action::get);      // try 4: GET failed too
    EXPECT_EQ(fsm.get_done(true, true, t0), action::patch);
    EXPECT_EQ(fsm.patch_done(false, t0), action::get);           // try 5
    EXPECT_EQ(fsm.get_done(true, true, t0), action::patch);
    EXPECT_EQ(fsm.patch_done(false, t0), action::none);          // retry count exceeded
    EXPECT_FALSE(fsm.busy());
    EXPECT_FALSE(fsm.last_report());
    EXPECT_EQ(fsm.tick(t0 + 10s, false, 0.5), action::patch);   // next round tries again
}

TEST(node_status_fsm, a_retry_whose_fresh_node_needs_nothing_ends_the_round) {
    node_status_timing t;
    node_status_fsm fsm(t);
    fsm.tick(t0, false, 0.5);
    fsm.patch_done(true, t0);
    EXPECT_EQ(fsm.tick(t0 + 10s, true, 0.5), action::patch);
    EXPECT_EQ(fsm.patch_done(false, t0 + 10s), action::get);
    EXPECT_EQ(fsm.get_done(true, false, t0 + 10s), action::none);  // someone else fixed it
    EXPECT_FALSE(fsm.busy());
}

TEST(node_status_fsm, update_period_is_jittered_by_four_percent) {
    node_status_timing t;
    node_status_fsm fsm(t);
    EXPECT_EQ(fsm.next_period(0.0), 10s);
    EXPECT_EQ(fsm.next_period(0.5), 10200ms);
    EXPECT_LT(fsm.next_period(0.999), 10400ms);
}

boost::json::object node(std::string_view name, std::string_view conditions) {
    return boost::json::parse(R"({"metadata":{"name":")" + std::string(name) +
                              R"("},"status":{"conditions":)" + std::string(conditions) + "}}")
        .as_object();
}

std::string kubelet_conditions(std::string_view ready = "True") {
    return std::string(R"([{"type":"Ready","status":")") + std::string(ready) +
           R"(","reason":"KubeletReady","message":"kubelet is posting ready status"},
        {"type":"MemoryPressure","status":"False","reason":"KubeletHasSufficientMemory",
         "message":"kubelet has sufficient memory available"},
        {"type":"DiskPressure","status":"False","reason":"KubeletHasNoDiskPressure",
         "message":"kubelet has no disk pressure"},
        {"type":"PIDPressure","status":"False","reason":"KubeletHasSufficientPID",
         "message":"kubelet has sufficient PID available"},
        {"type":"NetworkUnavailable","status":"False","reason":"RouteCreated","message":"x"}])";
}

TEST(node_status_digest, heartbeat_times_and_other_conditions_do_not_count) {
    EXPECT_FALSE(digest_node_status(node("n", kubelet_conditions())).changed());
    auto unknown = digest_node_status(node("n", kubelet_conditions("Unknown")));
    EXPECT_TRUE(unknown.changed());
    EXPECT_EQ(unknown.same_status, 0x0e);  // Ready (bit 0) lost its status
    EXPECT_TRUE(digest_node_status(node("n", "[]")).changed());
    EXPECT_TRUE(digest_node_status(boost::json::object{}).changed());
}

TEST(node_status_digest, patch_sets_transition_time_only_where_the_status_changes) {
    auto d = digest_node_status(node("n", kubelet_conditions("Unknown")));
    auto patch = make_node_status_patch(d, "2027-01-01T00:00:00Z");
    const auto& conds = patch.at("status").at("conditions").as_array();
    ASSERT_EQ(conds.size(), 4u);
    EXPECT_EQ(conds[0].at("type"), "Ready");
    EXPECT_EQ(conds[0].at("status"), "True");
    EXPECT_EQ(conds[0].at("lastTransitionTime"), "2027-01-01T00:00:00Z");
    EXPECT_EQ(conds[1].at("lastHeartbeatTime"), "2027-01-01T00:00:00Z");
    EXPECT_FALSE(conds[1].as_object().contains("lastTransitionTime"));
}

struct reporter_fixture : ::testing::Test {
    manual_scheduler sched{t0};
    std::deque<write_op> writes;
    std::chrono::system_clock::time_point wall =
        std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    node_status_reporter reporter{node_status_timing{}, sched,
                                  [this](write_op op) { writes.push_back(std::move(op)); },
                                  [this] { return wall; }, 42};

    void reply(unsigned status, std::string body = "{}") {
        ASSERT_FALSE(writes.empty());
        auto op = std::move(writes.front());
        writes.pop_front();
        http_response r;
        r.status = status;
        r.body = std::move(body);
        op.on_done(r);
    }
};

TEST_F(reporter_fixture, reports_from_the_cache_then_every_five_minutes_only) {
    reporter.start("n1");
    sched.advance(10s);  // first tick within one period, but the cache has no node yet
    EXPECT_TRUE(writes.empty());
    reporter.on_node("n1", digest_node_status(node("n1", kubelet_conditions())));
    sched.advance(11s);
    ASSERT_EQ(writes.size(), 1u);  // first report after start (as a restarted kubelet)
    EXPECT_EQ(writes[0].request.method, http::verb::patch);
    EXPECT_EQ(writes[0].request.target, "/api/v1/nodes/n1/status");
    EXPECT_EQ(writes[0].request.content_type, "application/strategic-merge-patch+json");
    reply(200, boost::json::serialize(node("n1", kubelet_conditions())));
    // 8 minutes of ticks: at most one more report (the jittered period is 2.5 to 7.5 min).
    for (int i = 0; i < 480; ++i) sched.advance(1s);
    EXPECT_LE(writes.size(), 1u);
    EXPECT_GE(reporter.stats().ticks, 45u);
    while (!writes.empty()) reply(200, boost::json::serialize(node("n1", kubelet_conditions())));
    // Steady state: exactly one report per 5 minutes (delay reset after a periodic report).
    auto before = reporter.stats().patches;
    for (int i = 0; i < 60 * 30; ++i) {  // 30 minutes
        sched.advance(1s);
        while (!writes.empty()) reply(200, boost::json::serialize(node("n1", kubelet_conditions())));
    }
    auto sent = reporter.stats().patches - before;
    EXPECT_GE(sent, 5u);
    EXPECT_LE(sent, 7u);
    EXPECT_EQ(reporter.stats().gets, 0u);  // no GET while patches succeed
}

TEST_F(reporter_fixture, a_changed_cache_is_reported_at_the_next_tick) {
    reporter.start("n1");
    reporter.on_node("n1", digest_node_status(node("n1", kubelet_conditions())));
    sched.advance(10s);
    reply(200, boost::json::serialize(node("n1", kubelet_conditions())));
    sched.advance(30s);
    EXPECT_TRUE(writes.empty());
    // The node-lifecycle controller marked it Unknown: within one update period, a patch.
    reporter.on_node("n1", digest_node_status(node("n1", kubelet_conditions("Unknown"))));
    sched.advance(10500ms);
    ASSERT_EQ(writes.size(), 1u);
    auto body = boost::json::parse(writes[0].request.body);
    EXPECT_EQ(body.at("status").at("conditions").at(0).at("status"), "True");
    EXPECT_TRUE(body.at("status").at("conditions").at(0).as_object().contains("lastTransitionTime"));
    EXPECT_EQ(reporter.stats().changed_patches, 1u);
}

TEST_F(reporter_fixture, a_failed_patch_is_retried_after_a_get) {
    reporter.start("n1");
    reporter.on_node("n1", digest_node_status(node("n1", kubelet_conditions("False"))));
    sched.advance(10s);
    reply(404);
    ASSERT_EQ(writes.size(), 1u);
    EXPECT_EQ(writes[0].request.method, http::verb::get);
    EXPECT_EQ(writes[0].request.target, "/api/v1/nodes/n1");
    reply(200, boost::json::serialize(node("n1", kubelet_conditions("False"))));
    ASSERT_EQ(writes.size(), 1u);
    EXPECT_EQ(writes[0].request.method, http::verb::patch);
    reply(200, boost::json::serialize(node("n1", kubelet_conditions())));
    EXPECT_TRUE(writes.empty());
    EXPECT_EQ(reporter.stats().gets, 1u);
    EXPECT_EQ(reporter.stats().failures, 1u);
}

TEST_F(reporter_fixture, a_stopped_node_sends_nothing_and_late_replies_are_ignored) {
    reporter.start("n1");
    reporter.on_node("n1", digest_node_status(node("n1", kubelet_conditions())));
    sched.advance(10s);
    ASSERT_EQ(writes.size(), 1u);
    reporter.stop("n1");
    reply(500);  // late reply to a stopped loop: no GET
    EXPECT_TRUE(writes.empty());
    sched.advance(10min);
    EXPECT_TRUE(writes.empty());
    EXPECT_EQ(reporter.size(), 0u);
    EXPECT_EQ(sched.size(), 0u);
}

TEST_F(reporter_fixture, many_nodes_started_together_tick_spread_over_a_period) {
    for (int i = 0; i < 100; ++i) {
        auto name = "n" + std::to_string(i);
        reporter.start(name);
        reporter.on_node(name, digest_node_status(node(name, kubelet_conditions())));
    }
    sched.advance(1s);
    EXPECT_GT(writes.size(), 2u);    // ~10 in the first second, not all 100
    EXPECT_LT(writes.size(), 30u);
}

}  // namespace
