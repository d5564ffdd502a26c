// Sharded replicas: rendezvous hashing (spread, what a join or a leave moves) and the
// membership state machine on a manual clock with a recording sink.
#include "sim/shard_membership.hpp"

#include "kube/lease.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <cstdio>
#include <deque>
#include <cmath>
#include <map>
#include <random>

using namespace std::chrono_literals;
using namespace ghost::sim;
namespace http = boost::beast::http;
using ghost::engine::http_response;
using ghost::engine::manual_scheduler;

namespace {

std::vector<std::string> node_names(int n) {
    std::vector<std::string> out;
    char name[32];
    for (int i = 0; i < n; ++i) {
        std::snprintf(name, sizeof name, "node-%06d", i);
        out.emplace_back(name);
    }
    return out;
}

std::vector<std::string> member_names(int n, std::string_view prefix = "ghostlet-") {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(std::string(prefix) + std::to_string(i));
    return out;
}

std::map<std::string, int> split(const std::vector<std::string>& members,
                                 const std::vector<std::string>& nodes) {
    std::map<std::string, int> count;
    for (const auto& m : members) count[m] = 0;
    for (const auto& n : nodes) ++count[std::string(rendezvous_owner(members, n))];
    return count;
}

// The largest deviation from an even split, as a fraction of the even share.
double worst_deviation(const std::map<std::string, int>& count, int nodes) {
    double even = double(nodes) / double(count.size());
    double worst = 0;
    for (const auto& [m, c] : count) worst = std::max(worst, std::abs(c - even) / even);
    return worst;
}

}  // namespace

// Rendezvous hashing splits like an ideal random assignment: each member's count is binomial,
// sigma = sqrt(N p (1 - p)). +-10 % of even holds with a wide margin from 3,000 nodes (the
// issue's figure: 3 replicas, 3,000 nodes; 3.9 sigma); at 1,000 nodes over 5 members it is
// 1.6 sigma, so there the bound checked is the binomial one (4 sigma), and the figures printed.
TEST(rendezvous, spread_is_within_ten_percent_of_even_from_three_thousand_nodes) {
    std::mt19937_64 rng(2026);
    std::vector<std::string> prefixes{"ghostlet-", "host-a-ghostlet-", "replica"};
    for (int i = 0; i < 20; ++i) prefixes.push_back("r" + std::to_string(rng() % 100000) + "-");
    double worst_3000 = 0;
    for (const auto& prefix : prefixes) {
        for (int n = 2; n <= 5; ++n) {
            auto members = member_names(n, prefix);
            double w = worst_deviation(split(members, node_names(3000)), 3000);
            worst_3000 = std::max(worst_3000, w);
            EXPECT_LE(w, 0.10) << "3000 nodes over " << n << " members " << prefix << "*";
            auto count = split(members, node_names(1000));
            double p = 1.0 / n, even = 1000 * p, sigma = std::sqrt(1000 * p * (1 - p));
            for (const auto& [m, c] : count) {
                EXPECT_LE(std::abs(c - even), 4 * sigma) << m << " of " << n << ": " << c;
            }
            if (prefix == prefixes[0]) {
                std::printf("[ spread ] 1000 nodes, %d members: worst %.1f %% off even "
                            "(1 sigma = %.1f %%); 3000 nodes: %.1f %%\n",
                            n, worst_deviation(count, 1000) * 100, sigma / even * 100, w * 100);
            }
        }
    }
    std::printf("[ spread ] 3000 nodes, 2-5 members, %zu name sets: worst %.1f %% off even\n",
                prefixes.size(), worst_3000 * 100);
}

TEST(rendezvous, a_join_moves_about_its_share_and_only_to_the_joiner) {
    auto nodes = node_names(1000);
    for (int n = 2; n <= 4; ++n) {
        auto before = member_names(n);
        auto after = member_names(n + 1);
        int moved = 0;
        for (const auto& node : nodes) {
            auto was = rendezvous_owner(before, node);
            auto is = rendezvous_owner(after, node);
            if (was == is) continue;
            ++moved;
            EXPECT_EQ(is, after.back()) << node << " moved between old members";
        }
        double share = 1000.0 / (n + 1);
        std::printf("[ join ] %d -> %d members: %d of 1000 nodes moved (even share %.0f)\n", n,
                    n + 1, moved, share);
        EXPECT_NEAR(moved, share, share * 0.10);
    }
}

TEST(rendezvous, a_leave_moves_only_the_leavers_nodes) {
    auto nodes = node_names(1000);
    auto members = member_names(4);
    for (std::size_t gone = 0; gone < members.size(); ++gone) {
        auto rest = members;
        rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(gone));
        for (const auto& node : nodes) {
            auto was = rendezvous_owner(members, node);
            auto is = rendezvous_owner(rest, node);
            if (was != members[gone]) EXPECT_EQ(was, is) << node << " had not been the leaver's";
            else EXPECT_NE(is, members[gone]);
        }
    }
    EXPECT_EQ(rendezvous_owner({}, "node-000001"), "");
}

TEST(shard_names, lease_name_label_and_group_check) {
    EXPECT_EQ(shard_lease_name("g1", "Host_A-ghostlet"), "ghostlet-shard-g1-host-a-ghostlet");
    EXPECT_EQ(shard_label_selector("g1"), "ghostlet/shard-group=g1");
    EXPECT_EQ(check_shard_group("sim-1.a_b"), "");
    EXPECT_NE(check_shard_group(""), "");
    EXPECT_NE(check_shard_group("-x"), "");
    EXPECT_NE(check_shard_group("a/b"), "");
    EXPECT_NE(check_shard_group(std::string(64, 'a')), "");
}

namespace {

struct membership_fixture : ::testing::Test {
    manual_scheduler::time_point steady{};
    std::chrono::system_clock::time_point wall =
        std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    manual_scheduler wheel{steady};
    std::deque<write_op> writes;
    int changes = 0;
    std::unique_ptr<shard_membership> sm;

    void make(std::string identity = "a") {
        shard_config cfg;
        cfg.group = "g";
        cfg.identity = std::move(identity);
        cfg.lease_duration_seconds = 40;
        cfg.steady_now = [this] { return steady; };
        cfg.wall_now = [this] { return wall; };
        cfg.seed = 7;
        sm = std::make_unique<shard_membership>(
            std::move(cfg), wheel, [this](write_op op) { writes.push_back(std::move(op)); },
            [this] { ++changes; });
    }
    void advance(std::chrono::milliseconds d) {
        steady += d;
        wall += d;
        wheel.advance_to(steady);
    }
    write_op take() {
        EXPECT_FALSE(writes.empty());
        if (writes.empty()) return {};
        auto op = std::move(writes.front());
        writes.pop_front();
        return op;
    }
    static void complete(write_op& op, unsigned status, std::string body) {
        http_response r;
        r.status = status;
        r.body = std::move(body);
        op.on_done(r);
    }
    // Completes every pending lease write of ours with what it sent (the server accepts it).
    void accept_writes() {
        while (!writes.empty()) {
            auto op = take();
            complete(op, 200, op.request.body);
        }
    }
    boost::json::object member_lease(std::string_view holder,
                                     std::chrono::system_clock::time_point renewed) {
        ghost::kube::lease_identity id{shard_lease_name("g", holder), "", std::string(holder), 40,
                                       {{"ghostlet/shard-group", "g"}}};
        return ghost::kube::make_lease(id, renewed, {}, 0, "1");
    }
};

}  // namespace

TEST_F(membership_fixture, holds_its_lease_and_syncs_after_the_first_list) {
    make();
    sm->start();
    auto create = take();
    EXPECT_EQ(create.request.method, http::verb::post);
    EXPECT_EQ(create.priority, ghost::engine::write_priority::lease);
    auto lease = boost::json::parse(create.request.body);
    EXPECT_EQ(lease.at("metadata").at("name"), "ghostlet-shard-g-a");
    EXPECT_EQ(lease.at("metadata").at("labels").at("ghostlet/shard-group"), "g");
    EXPECT_EQ(lease.at("spec").at("holderIdentity"), "a");
    complete(create, 201, create.request.body);
    EXPECT_FALSE(sm->synced()) << "the group's list has not been seen yet";
    EXPECT_FALSE(sm->owns("node-000001"));
    sm->on_listed();
    EXPECT_TRUE(sm->synced());
    EXPECT_EQ(changes, 1);
    EXPECT_TRUE(sm->owns("node-000001")) << "alone in the group: every node is ours";
    // Renewed every duration/4 (+ <= 4 % jitter) with the resourceVersion it got back.
    advance(10s);
    if (writes.empty()) advance(500ms);
    auto renew = take();
    EXPECT_EQ(renew.request.method, http::verb::put);
    complete(renew, 200, renew.request.body);
    EXPECT_EQ(changes, 1) << "a renewal changes nothing";
}

TEST_F(membership_fixture, a_member_whose_lease_expires_loses_its_nodes_right_after) {
    make();
    sm->start();
    accept_writes();
    sm->on_lease_upsert(member_lease("b", wall));
    sm->on_listed();
    ASSERT_EQ(sm->live_members(), (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(sm->alive("b"));
    auto nodes = node_names(200);
    int ours = 0;
    for (const auto& n : nodes) ours += sm->owns(n) ? 1 : 0;
    EXPECT_GT(ours, 60);
    EXPECT_LT(ours, 140);
    int changes_before = changes;
    // b stops renewing; we keep renewing ours. b expires 40 s after its renewTime.
    auto died = wall;
    while (wall < died + 40s) {
        advance(1s);
        accept_writes();
        ASSERT_TRUE(sm->alive("b") || wall > died + 40s);
    }
    EXPECT_TRUE(sm->alive("b")) << "renewTime + duration == now: still live";
    EXPECT_FALSE(sm->departed("b"));
    EXPECT_FALSE(sm->departed("never-a-member")) << "its node Leases go on expiry only";
    advance(1s);
    accept_writes();
    EXPECT_FALSE(sm->alive("b"));
    EXPECT_TRUE(sm->departed("b")) << "its node Leases may be taken at once";
    EXPECT_EQ(changes, changes_before + 1);
    EXPECT_EQ(sm->live_members(), (std::vector<std::string>{"a"}));
    for (const auto& n : nodes) EXPECT_TRUE(sm->owns(n));
}

TEST_F(membership_fixture, the_expiry_is_seen_without_any_event_within_a_millisecond) {
    make();
    sm->start();
    accept_writes();
    sm->on_lease_upsert(member_lease("b", wall));
    sm->on_listed();
    auto died = wall;
    int before = changes;
    // Only the wheel drives it: advance straight to just after b's expiry.
    advance(40s);
    accept_writes();
    EXPECT_TRUE(sm->alive("b"));
    advance(2ms);
    EXPECT_FALSE(sm->alive("b"));
    EXPECT_EQ(changes, before + 1);
    EXPECT_LE(wall - died, 40s + 2ms);
}

TEST_F(membership_fixture, a_joiner_takes_only_its_share_and_a_deleted_lease_leaves) {
    make();
    sm->start();
    accept_writes();
    sm->on_lease_upsert(member_lease("b", wall));
    sm->on_listed();
    auto nodes = node_names(300);
    std::map<std::string, std::string> owner_before;
    for (const auto& n : nodes) owner_before[n] = std::string(sm->owner(n));
    sm->on_lease_upsert(member_lease("c", wall));
    for (const auto& n : nodes) {
        if (sm->owner(n) != owner_before[n]) EXPECT_EQ(sm->owner(n), "c");
    }
    sm->on_lease_delete(member_lease("c", wall));
    for (const auto& n : nodes) EXPECT_EQ(sm->owner(n), owner_before[n]);
}

TEST_F(membership_fixture, leave_gives_the_lease_up_and_renews_no_more) {
    make();
    sm->start();
    accept_writes();
    sm->on_listed();
    sm->leave();
    auto release = take();
    EXPECT_EQ(release.request.method, http::verb::put);
    auto body = boost::json::parse(release.request.body);
    EXPECT_FALSE(body.at("spec").as_object().contains("holderIdentity"));
    complete(release, 200, release.request.body);
    advance(60s);
    EXPECT_TRUE(writes.empty());
}

TEST_F(membership_fixture, a_lease_of_ours_from_a_previous_run_is_renewed) {
    make();
    sm->start();
    auto create = take();
    complete(create, 409, R"({"kind":"Status","code":409,"reason":"AlreadyExists"})");
    advance(1ms);
    auto get = take();
    EXPECT_EQ(get.request.method, http::verb::get);
    EXPECT_EQ(get.request.target,
              "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/ghostlet-shard-g-a");
    complete(get, 200, boost::json::serialize(member_lease("a", wall - 100s)));
    advance(1ms);
    auto renew = take();
    EXPECT_EQ(renew.request.method, http::verb::put);
    complete(renew, 200, renew.request.body);
    sm->on_listed();
    EXPECT_TRUE(sm->synced());
}

TEST_F(membership_fixture, a_lagging_watch_does_not_make_a_live_member_look_dead) {
    make();
    sm->start();
    accept_writes();
    // Under load the watch delivers b's renewals 30 s late: timed from when we see them.
    auto renewed = wall - 30s;
    sm->on_lease_upsert(member_lease("b", renewed));
    sm->on_listed();
    advance(20s);
    accept_writes();
    EXPECT_TRUE(sm->alive("b")) << "its renewTime is 50 s old, but we saw it renew 20 s ago";
    sm->on_lease_upsert(member_lease("b", renewed));  // the same view again: no renewal
    advance(21s);
    accept_writes();
    EXPECT_FALSE(sm->alive("b")) << "no renewal seen for 41 s";
}

TEST_F(membership_fixture, a_lease_already_expired_when_listed_is_dead_from_the_start) {
    make();
    sm->start();
    accept_writes();
    sm->on_lease_upsert(member_lease("b", wall - 41s));  // it died before we started
    sm->on_listed();
    EXPECT_FALSE(sm->alive("b"));
    EXPECT_TRUE(sm->departed("b")) << "its node Leases may be taken at once";
    EXPECT_EQ(sm->live_members(), (std::vector<std::string>{"a"}));
}

TEST_F(membership_fixture, a_failed_renewal_is_tried_again_within_a_second) {
    make();
    sm->start();
    accept_writes();
    sm->on_listed();
    advance(10500ms);
    auto renew = take();
    ASSERT_EQ(renew.request.method, http::verb::put);
    complete(renew, 503, R"({"kind":"Status","code":503})");
    advance(1s);
    auto again = take();
    EXPECT_EQ(again.request.method, http::verb::put);
}
