#include "kube/lease.hpp"

#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

using namespace ghost::kube;
using namespace std::chrono;
namespace json = boost::json;

namespace {

wall_clock::time_point at(int y, unsigned mo, unsigned d, int h, int mi, int s, int us) {
    auto tp = sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi) + seconds(s) +
              microseconds(us);
    return time_point_cast<wall_clock::duration>(tp);
}

lease_identity me() { return {"node-1", "uid-1", "ghostlet_abc", 40}; }

lease_info foreign(wall_clock::time_point renewed, int transitions = 2) {
    lease_info l;
    l.holder = "someone-else";
    l.renew_time = renewed;
    l.duration_seconds = 40;
    l.transitions = transitions;
    l.resource_version = "77";
    l.acquire_time = "2026-01-01T00:00:00.000000Z";
    return l;
}

}  // namespace

TEST(lease, builds_the_object) {
    auto t = at(2026, 1, 2, 3, 4, 5, 123456);
    auto l = make_lease(me(), t, {}, 0);
    EXPECT_EQ(json::serialize(l),
              R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"node-1",)"
              R"("namespace":"kube-node-lease","ownerReferences":[{"apiVersion":"v1","kind":"Node",)"
              R"("name":"node-1","uid":"uid-1"}]},"spec":{"holderIdentity":"ghostlet_abc",)"
              R"("leaseDurationSeconds":40,"acquireTime":"2026-01-02T03:04:05.123456Z",)"
              R"("renewTime":"2026-01-02T03:04:05.123456Z"}})");
    auto id = me();
    id.node_uid.clear();
    auto u = make_lease(id, t, "2026-01-01T00:00:00.000000Z", 3, "55");
    EXPECT_FALSE(u["metadata"].as_object().contains("ownerReferences"));
    EXPECT_EQ(u["metadata"].as_object()["resourceVersion"], "55");
    EXPECT_EQ(u["spec"].as_object()["leaseTransitions"], 3);
    EXPECT_EQ(u["spec"].as_object()["acquireTime"], "2026-01-01T00:00:00.000000Z");

    auto back = read_lease(make_lease(me(), t, {}, 4, "9"));
    EXPECT_EQ(back.holder, "ghostlet_abc");
    EXPECT_EQ(back.duration_seconds, 40);
    EXPECT_EQ(back.transitions, 4);
    EXPECT_EQ(back.renew_time, t);
    EXPECT_EQ(back.resource_version, "9");
    EXPECT_TRUE(back.has_owner);
    EXPECT_EQ(node_lease_path("node-1"),
              "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1");
}

TEST(lease, renew_interval_and_expiry) {
    EXPECT_EQ(renew_interval(40, 0.0), 10s);
    EXPECT_EQ(renew_interval(40, 0.5), 10200ms);
    EXPECT_LT(renew_interval(40, 0.999), 10400ms);
    auto t = at(2026, 1, 1, 0, 0, 0, 0);
    EXPECT_FALSE(lease_expired(foreign(t), t + 40s));
    EXPECT_TRUE(lease_expired(foreign(t), t + 40s + 1us));
    lease_info nobody;
    EXPECT_TRUE(lease_expired(nobody, t));
}

TEST(lease_fsm, create_then_renew_every_quarter_duration) {
    auto t0 = at(2026, 1, 1, 0, 0, 0, 0);
    lease_fsm f(me());
    EXPECT_EQ(f.step(t0).kind, lease_fsm::action_kind::get);
    f.observe(std::nullopt);
    auto a = f.step(t0);
    ASSERT_EQ(a.kind, lease_fsm::action_kind::create);
    EXPECT_EQ(a.body["spec"].as_object()["holderIdentity"], "ghostlet_abc");
    EXPECT_FALSE(f.held());
    auto returned = read_lease(a.body);
    returned.resource_version = "10";
    EXPECT_TRUE(f.on_write_done(returned, t0));
    EXPECT_TRUE(f.held());
    EXPECT_EQ(f.next_due(), t0 + 10s);

    auto t1 = f.next_due();
    a = f.step(t1);
    ASSERT_EQ(a.kind, lease_fsm::action_kind::update);
    EXPECT_EQ(a.body["metadata"].as_object()["resourceVersion"], "10");
    EXPECT_EQ(a.body["spec"].as_object()["renewTime"].as_string(), format_micro_time(t1));
    EXPECT_EQ(a.body["spec"].as_object()["acquireTime"].as_string(), format_micro_time(t0));
    EXPECT_FALSE(a.body["spec"].as_object().contains("leaseTransitions"));
    EXPECT_FALSE(f.on_write_done(read_lease(a.body), t1));   // still held, not new
    EXPECT_EQ(f.next_due(), t1 + 10s);
}

TEST(lease_fsm, jitter_stretches_the_interval) {
    auto t0 = at(2026, 1, 1, 0, 0, 0, 0);
    lease_fsm f(me(), [] { return 0.5; });
    f.observe(std::nullopt);
    auto a = f.step(t0);
    f.on_write_done(read_lease(a.body), t0);
    EXPECT_EQ(f.next_due(), t0 + 10200ms);
}

TEST(lease_fsm, foreign_unexpired_waits_then_takes_over_when_expired) {
    auto t0 = at(2026, 1, 1, 0, 0, 0, 0);
    lease_fsm f(me());
    f.step(t0);
    f.observe(foreign(t0));
    auto a = f.step(t0 + 5s);
    EXPECT_EQ(a.kind, lease_fsm::action_kind::wait);
    EXPECT_FALSE(f.held());
    EXPECT_EQ(f.next_due(), t0 + 15s);
    // Next round reads the lease again first.
    EXPECT_EQ(f.step(f.next_due()).kind, lease_fsm::action_kind::get);
    f.observe(foreign(t0));   // nobody renewed it
    auto t_late = t0 + 41s;
    a = f.step(t_late);
    ASSERT_EQ(a.kind, lease_fsm::action_kind::update);
    auto& spec = a.body["spec"].as_object();
    EXPECT_EQ(spec["holderIdentity"], "ghostlet_abc");
    EXPECT_EQ(spec["leaseTransitions"], 3);
    EXPECT_EQ(spec["acquireTime"].as_string(), format_micro_time(t_late));
    EXPECT_EQ(a.body["metadata"].as_object()["resourceVersion"], "77");
    EXPECT_TRUE(f.on_write_done(read_lease(a.body), t_late));
    EXPECT_TRUE(f.held());
}

TEST(lease_fsm, failures) {
    auto t0 = at(2026, 1, 1, 0, 0, 0, 0);
    lease_fsm f(me());
    f.step(t0);
    f.on_get_failed(errc::not_found, t0);   // a GET 404 = no lease
    ASSERT_EQ(f.step(t0).kind, lease_fsm::action_kind::create);
    f.on_write_failed(errc::not_found, t0);   // namespace missing: retry in 1s
    EXPECT_EQ(f.next_due(), t0 + 1s);
    ASSERT_EQ(f.step(f.next_due()).kind, lease_fsm::action_kind::create);
    f.on_write_failed(errc::already_exists, t0 + 1s);   // someone created it: read it
    EXPECT_EQ(f.next_due(), t0 + 1s);
    EXPECT_EQ(f.step(t0 + 1s).kind, lease_fsm::action_kind::get);
    f.on_get_failed(errc::service_unavailable, t0 + 1s);
    EXPECT_EQ(f.next_due(), t0 + 2s);

    // Held lease: a failed renewal keeps it until it expires.
    f.observe(std::nullopt);
    auto a = f.step(t0 + 2s);
    f.on_write_done(read_lease(a.body), t0 + 2s);
    a = f.step(t0 + 12s);
    ASSERT_EQ(a.kind, lease_fsm::action_kind::update);
    f.on_write_failed(errc::server_error, t0 + 12s);
    EXPECT_TRUE(f.held());
    EXPECT_EQ(f.next_due(), t0 + 22s);
    f.on_write_failed(errc::server_error, t0 + 43s);
    EXPECT_FALSE(f.held());
    // Conflict: read again immediately.
    f.on_write_failed(errc::conflict, t0 + 44s);
    EXPECT_EQ(f.step(t0 + 44s).kind, lease_fsm::action_kind::get);
}

TEST(lease_fsm, owner_uid_learned_later) {
    auto t0 = at(2026, 1, 1, 0, 0, 0, 0);
    auto id = me();
    id.node_uid.clear();
    lease_fsm f(id);
    f.observe(std::nullopt);
    auto a = f.step(t0);
    EXPECT_FALSE(a.body["metadata"].as_object().contains("ownerReferences"));
    f.on_write_done(read_lease(a.body), t0);
    f.set_node_uid("uid-9");
    a = f.step(t0 + 10s);
    auto& owners = a.body["metadata"].as_object()["ownerReferences"].as_array();
    ASSERT_EQ(owners.size(), 1u);
    EXPECT_EQ(owners[0].as_object().at("uid"), "uid-9");
}

TEST(lease_fsm, a_holder_that_is_no_longer_a_live_member_loses_the_lease_at_once) {
    auto t0 = at(2026, 1, 1, 0, 0, 0, 0);
    bool other_alive = true;
    lease_fsm f(me());
    f.set_holder_alive([&](std::string_view h) { return h == "someone-else" && other_alive; });
    f.step(t0);
    f.observe(foreign(t0));
    EXPECT_EQ(f.step(t0 + 1s).kind, lease_fsm::action_kind::wait);
    EXPECT_EQ(f.next_due(), t0 + 2s) << "a live member hands over soon: read again in 1 s";
    EXPECT_EQ(f.step(f.next_due()).kind, lease_fsm::action_kind::get);
    other_alive = false;   // its membership Lease expired; the node lease has not
    f.observe(foreign(t0));
    auto a = f.step(t0 + 3s);
    ASSERT_EQ(a.kind, lease_fsm::action_kind::update);
    EXPECT_EQ(a.body["spec"].as_object()["holderIdentity"], "ghostlet_abc");
    EXPECT_EQ(a.body["spec"].as_object()["leaseTransitions"], 3);
    EXPECT_TRUE(f.on_write_done(read_lease(a.body), t0 + 3s));
}

TEST(lease_fsm, release_clears_the_holder_and_the_next_holder_takes_it_at_once) {
    auto t0 = at(2026, 1, 1, 0, 0, 0, 0);
    lease_fsm f(me());
    EXPECT_FALSE(f.release(t0)) << "nothing to give up before it is held";
    f.observe(std::nullopt);
    auto a = f.step(t0);
    auto held = read_lease(a.body);
    held.resource_version = "12";
    f.on_write_done(held, t0);
    auto body = f.release(t0 + 3s);
    ASSERT_TRUE(body);
    EXPECT_FALSE(f.held());
    EXPECT_FALSE((*body)["spec"].as_object().contains("holderIdentity"));
    EXPECT_EQ((*body)["metadata"].as_object()["resourceVersion"], "12");
    auto released = read_lease(*body);
    EXPECT_TRUE(lease_expired(released, t0 + 3s));

    auto id = me();
    id.holder = "next-replica";
    lease_fsm next(id);
    next.set_holder_alive([](std::string_view) { return true; });
    next.observe(released);
    auto take = next.step(t0 + 3s);
    ASSERT_EQ(take.kind, lease_fsm::action_kind::update);
    EXPECT_EQ(take.body["spec"].as_object()["holderIdentity"], "next-replica");
    EXPECT_EQ(take.body["spec"].as_object()["leaseTransitions"], 1);
}

TEST(lease, labels_go_into_metadata) {
    auto id = me();
    id.node_uid.clear();
    id.labels = {{"ghostlet/shard-group", "g1"}};
    auto l = make_lease(id, at(2026, 1, 1, 0, 0, 0, 0), {}, 0);
    EXPECT_EQ(l["metadata"].as_object()["labels"].as_object()["ghostlet/shard-group"], "g1");
}
