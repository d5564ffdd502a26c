#include "engine/write_queue.hpp"

#include <gtest/gtest.h>

#include <map>

namespace {

namespace eng = ghost::engine;
using eng::write_outcome;
using eng::write_priority;
using eng::write_queue;
using namespace std::chrono_literals;

eng::http_request body(std::string b) {
    eng::http_request r;
    r.method = boost::beast::http::verb::patch;
    r.target = "/x";
    r.body = std::move(b);
    return r;
}

std::vector<std::string> keys_of(const std::vector<eng::write_ticket>& batch) {
    std::vector<std::string> out;
    for (auto& t : batch)
        out.push_back(t.key);
    return out;
}

struct write_queue_fixture : ::testing::Test {
    write_queue::time_point t0 = write_queue::time_point{} + 1h;
    write_queue q;
};

TEST_F(write_queue_fixture, lease_backlog_does_not_starve_status_writes) {
    for (int i = 0; i < 100; ++i) q.push("l" + std::to_string(i), write_priority::lease, body("x"));
    q.push("pod", write_priority::status, body("y"));
    auto batch = q.prepare_batch(2, t0);
    EXPECT_EQ(keys_of(batch), (std::vector<std::string>{"l0", "pod"}));
    // With nothing else waiting, leases take every slot.
    auto next = q.prepare_batch(3, t0);
    EXPECT_EQ(keys_of(next), (std::vector<std::string>{"l1", "l2", "l3"}));
}

TEST_F(write_queue_fixture, events_get_an_eighth_of_the_slots_when_every_class_waits) {
    for (int i = 0; i < 40; ++i) {
        auto n = std::to_string(i);
        q.push("l" + n, write_priority::lease, body("l"));
        q.push("s" + n, write_priority::status, body("s"));
        q.push("o" + n, write_priority::other, body("o"));
        q.push("e" + n, write_priority::event, body("e"));
    }
    std::map<char, int> share;
    for (const auto& t : q.prepare_batch(32, t0)) ++share[t.key[0]];
    EXPECT_EQ(share['l'], 16);
    EXPECT_EQ(share['s'], 8);
    EXPECT_EQ(share['o'], 4);
    EXPECT_EQ(share['e'], 4);   // never starved, however much else waits
}

TEST_F(write_queue_fixture, events_take_every_slot_nothing_else_wants) {
    for (int i = 0; i < 5; ++i) q.push("e" + std::to_string(i), write_priority::event, body("e"));
    q.push("s", write_priority::status, body("s"));
    EXPECT_EQ(keys_of(q.prepare_batch(6, t0)),
              (std::vector<std::string>{"s", "e0", "e1", "e2", "e3", "e4"}));
}

TEST_F(write_queue_fixture, classes_rotate_lease_status_lease_other) {
    q.push("o1", write_priority::other, body("a"));
    q.push("s1", write_priority::status, body("b"));
    q.push("l1", write_priority::lease, body("c"));
    q.push("s2", write_priority::status, body("d"));
    q.push("l2", write_priority::lease, body("e"));
    EXPECT_EQ(q.waiting(), 5u);
    auto b1 = q.prepare_batch(3, t0);
    EXPECT_EQ(keys_of(b1), (std::vector<std::string>{"l1", "s1", "l2"}));
    EXPECT_EQ(q.in_flight(), 3u);
    EXPECT_EQ(q.waiting(), 2u);
    auto b2 = q.prepare_batch(10, t0);
    EXPECT_EQ(keys_of(b2), (std::vector<std::string>{"o1", "s2"}));
    EXPECT_EQ(b2[0].request.body, "a");
    EXPECT_TRUE(q.prepare_batch(10, t0).empty());
    for (auto& t : b1)
        EXPECT_EQ(q.commit(std::move(t), write_outcome::success(), t0),
                  write_queue::commit_result::done);
    for (auto& t : b2)
        q.commit(std::move(t), write_outcome::success(), t0);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.stats().succeeded, 5u);
}

TEST_F(write_queue_fixture, waiting_write_is_coalesced_in_place) {
    EXPECT_FALSE(q.push("a", write_priority::status, body("a1"), 1));
    q.push("b", write_priority::status, body("b1"), 2);
    EXPECT_EQ(q.push("a", write_priority::status, body("a2"), 3), 1u);
    EXPECT_EQ(q.push("a", write_priority::status, body("a3"), 4), 3u);
    EXPECT_EQ(q.waiting(), 2u);
    auto batch = q.prepare_batch(10, t0);
    ASSERT_EQ(batch.size(), 2u);
    EXPECT_EQ(batch[0].key, "a");   // kept its place ahead of b
    EXPECT_EQ(batch[0].request.body, "a3");
    EXPECT_EQ(batch[0].id, 4u);
    EXPECT_EQ(batch[1].id, 2u);
    EXPECT_EQ(q.stats().coalesced, 2u);
    EXPECT_EQ(q.stats().queued, 4u);
}

TEST_F(write_queue_fixture, coalescing_into_a_more_urgent_class_moves_it) {
    q.push("o", write_priority::other, body("1"));
    q.push("s", write_priority::status, body("2"));
    q.push("o", write_priority::lease, body("3"));
    auto batch = q.prepare_batch(10, t0);
    EXPECT_EQ(keys_of(batch), (std::vector<std::string>{"o", "s"}));
    EXPECT_EQ(batch[0].priority, write_priority::lease);
    EXPECT_EQ(batch[0].request.body, "3");
}

TEST_F(write_queue_fixture, newer_write_waits_for_in_flight_one) {
    q.push("a", write_priority::status, body("v1"));
    auto first = q.prepare_batch(10, t0);
    ASSERT_EQ(first.size(), 1u);
    EXPECT_TRUE(q.is_in_flight("a"));
    EXPECT_FALSE(q.push("a", write_priority::status, body("v2")));
    q.push("a", write_priority::status, body("v3"));
    EXPECT_TRUE(q.prepare_batch(10, t0).empty());   // must not overlap the in-flight write
    q.commit(std::move(first[0]), write_outcome::success(), t0);
    auto second = q.prepare_batch(10, t0);
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(second[0].request.body, "v3");
    EXPECT_EQ(second[0].attempt, 0u);
}

TEST_F(write_queue_fixture, transient_failure_backs_off_exponentially) {
    q.push("a", write_priority::status, body("v1"));
    auto now = t0;
    std::vector<std::chrono::milliseconds> expected{200ms, 400ms, 800ms, 1600ms};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        auto batch = q.prepare_batch(10, now);
        ASSERT_EQ(batch.size(), 1u) << i;
        EXPECT_EQ(batch[0].attempt, i);
        EXPECT_EQ(batch[0].request.body, "v1");
        EXPECT_EQ(q.commit(std::move(batch[0]), write_outcome::transient(), now),
                  write_queue::commit_result::requeued);
        EXPECT_EQ(q.next_retry_due(), now + expected[i]);
        EXPECT_TRUE(q.prepare_batch(10, now + expected[i] - 1ms).empty());
        now += expected[i];
    }
    EXPECT_EQ(q.stats().retried, 4u);
    EXPECT_EQ(q.backoff(20), 30000ms);   // capped
}

TEST_F(write_queue_fixture, retry_after_overrides_backoff) {
    q.push("a", write_priority::status, body("v1"));
    auto batch = q.prepare_batch(10, t0);
    q.commit(std::move(batch[0]), write_outcome::transient(5s), t0);
    EXPECT_EQ(q.next_retry_due(), t0 + 5s);
    EXPECT_TRUE(q.prepare_batch(10, t0 + 4999ms).empty());
    EXPECT_EQ(q.prepare_batch(10, t0 + 5s).size(), 1u);
    EXPECT_FALSE(q.next_retry_due());
}

TEST_F(write_queue_fixture, newer_write_supersedes_failed_one) {
    q.push("a", write_priority::status, body("old"));
    auto batch = q.prepare_batch(10, t0);
    q.push("a", write_priority::status, body("new"));
    EXPECT_EQ(q.commit(std::move(batch[0]), write_outcome::transient(), t0),
              write_queue::commit_result::superseded);
    EXPECT_FALSE(q.next_retry_due());
    auto next = q.prepare_batch(10, t0);
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0].request.body, "new");
    EXPECT_EQ(q.stats().superseded, 1u);
}

TEST_F(write_queue_fixture, write_during_backoff_replaces_payload_keeps_backoff) {
    q.push("a", write_priority::status, body("old"));
    auto batch = q.prepare_batch(10, t0);
    q.commit(std::move(batch[0]), write_outcome::transient(), t0);
    EXPECT_TRUE(q.push("a", write_priority::status, body("new")));
    EXPECT_TRUE(q.prepare_batch(10, t0 + 100ms).empty());
    auto next = q.prepare_batch(10, t0 + 200ms);
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0].request.body, "new");
}

TEST_F(write_queue_fixture, permanent_failure_and_attempt_limit) {
    write_queue limited({std::chrono::milliseconds(10), std::chrono::milliseconds(100), 2});
    limited.push("p", write_priority::other, body("x"));
    limited.push("t", write_priority::other, body("y"));
    auto batch = limited.prepare_batch(10, t0);
    ASSERT_EQ(batch.size(), 2u);
    EXPECT_EQ(limited.commit(std::move(batch[0]), write_outcome::permanent(), t0),
              write_queue::commit_result::done);
    EXPECT_EQ(limited.commit(std::move(batch[1]), write_outcome::transient(), t0),
              write_queue::commit_result::requeued);
    auto retry = limited.prepare_batch(10, t0 + 10ms);
    ASSERT_EQ(retry.size(), 1u);
    EXPECT_EQ(limited.commit(std::move(retry[0]), write_outcome::transient(), t0 + 10ms),
              write_queue::commit_result::done);   // second attempt was the last
    EXPECT_TRUE(limited.empty());
    EXPECT_EQ(limited.stats().failed, 2u);
}

TEST_F(write_queue_fixture, many_keys_stay_consistent) {
    for (int round = 0; round < 3; ++round)
        for (int i = 0; i < 1000; ++i)
            q.push("k" + std::to_string(i), write_priority::other, body(std::to_string(round)));
    EXPECT_EQ(q.waiting(), 1000u);
    std::size_t total = 0;
    while (!q.empty()) {
        auto batch = q.prepare_batch(64, t0);
        ASSERT_FALSE(batch.empty());
        for (auto& t : batch) {
            EXPECT_EQ(t.request.body, "2");
            q.commit(std::move(t), write_outcome::success(), t0);
        }
        total += batch.size();
    }
    EXPECT_EQ(total, 1000u);
}

}  // namespace
