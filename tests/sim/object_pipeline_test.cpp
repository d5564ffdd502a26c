#include "sim/object_pipeline.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <vector>

using namespace std::chrono_literals;
using ghost::engine::manual_scheduler;
using ghost::sim::object_pipeline;
using ghost::sim::object_snapshot;
using ghost::sim::stage_choice;

namespace {

object_snapshot object(std::string_view rv, std::string_view phase) {
    return std::make_shared<const boost::json::value>(boost::json::parse(
        R"({"metadata":{"name":"p","resourceVersion":")" + std::string(rv) +
        R"("},"status":{"phase":")" + std::string(phase) + R"("}})"));
}

struct played {
    std::size_t stage;
    std::string key;
    std::string rv;
};

struct pipeline_fixture : ::testing::Test {
    manual_scheduler::time_point t0{};
    manual_scheduler wheel{t0};
    std::vector<played> plays;
    std::chrono::milliseconds delay{0};
    object_pipeline pipeline{
        wheel,
        [this](const boost::json::value& obj) -> std::optional<stage_choice> {
            auto phase = obj.at("status").at("phase").as_string();
            if (phase == "Pending") return stage_choice{0, delay};
            if (phase == "Running") return stage_choice{1, delay};
            return std::nullopt;
        },
        [this](std::size_t stage, const std::string& key, object_snapshot snap,
               manual_scheduler::time_point) {
            plays.push_back({stage, key,
                             std::string(ghost::sim::resource_version_of(*snap))});
        }};
};

}  // namespace

TEST_F(pipeline_fixture, zero_delay_plays_immediately) {
    pipeline.on_upsert("ns/p", object("1", "Pending"), t0);
    ASSERT_EQ(plays.size(), 1u);
    EXPECT_EQ(plays[0].stage, 0u);
    EXPECT_EQ(plays[0].key, "ns/p");
    EXPECT_EQ(pipeline.pending(), 0u);
}

TEST_F(pipeline_fixture, delayed_stage_waits_for_the_wheel) {
    delay = 500ms;
    pipeline.on_upsert("ns/p", object("1", "Pending"), t0);
    EXPECT_TRUE(plays.empty());
    wheel.advance_to(t0 + 499ms);
    EXPECT_TRUE(plays.empty());
    wheel.advance_to(t0 + 500ms);
    ASSERT_EQ(plays.size(), 1u);
    EXPECT_EQ(pipeline.pending(), 0u);
}

TEST_F(pipeline_fixture, same_resource_version_is_not_matched_twice) {
    delay = 1s;
    pipeline.on_upsert("ns/p", object("7", "Pending"), t0);
    pipeline.on_upsert("ns/p", object("7", "Pending"), t0 + 10ms);
    EXPECT_EQ(pipeline.deduplicated(), 1u);
    wheel.advance_to(t0 + 1s);
    EXPECT_EQ(plays.size(), 1u);
}

TEST_F(pipeline_fixture, newer_version_restarts_the_delay_from_now) {
    delay = 1s;
    pipeline.on_upsert("ns/p", object("1", "Pending"), t0);
    pipeline.on_upsert("ns/p", object("2", "Running"), t0 + 600ms);
    wheel.advance_to(t0 + 1s);
    EXPECT_TRUE(plays.empty()) << "the first timer must have been cancelled";
    wheel.advance_to(t0 + 1600ms);
    ASSERT_EQ(plays.size(), 1u);
    EXPECT_EQ(plays[0].stage, 1u);
    EXPECT_EQ(plays[0].rv, "2");
}

TEST_F(pipeline_fixture, unmatched_version_keeps_the_older_pending_stage) {
    delay = 1s;
    pipeline.on_upsert("ns/p", object("1", "Pending"), t0);
    pipeline.on_upsert("ns/p", object("2", "Succeeded"), t0 + 100ms);
    wheel.advance_to(t0 + 1s);
    ASSERT_EQ(plays.size(), 1u);
    EXPECT_EQ(plays[0].rv, "1");
}

TEST_F(pipeline_fixture, delete_cancels_the_pending_stage) {
    delay = 1s;
    pipeline.on_upsert("ns/p", object("1", "Pending"), t0);
    pipeline.on_delete("ns/p");
    wheel.advance_to(t0 + 2s);
    EXPECT_TRUE(plays.empty());
    EXPECT_EQ(wheel.size(), 0u);
}

TEST_F(pipeline_fixture, objects_are_independent) {
    delay = 1s;
    pipeline.on_upsert("ns/a", object("1", "Pending"), t0);
    pipeline.on_upsert("ns/b", object("1", "Running"), t0 + 200ms);
    pipeline.on_delete("ns/a");
    wheel.advance_to(t0 + 5s);
    ASSERT_EQ(plays.size(), 1u);
    EXPECT_EQ(plays[0].key, "ns/b");
}
