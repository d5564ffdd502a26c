#include "kube/time.hpp"
#include "stages/lifecycle.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <map>

namespace {

using ghost::kube::parse_rfc3339;
using namespace ghost::stages;
using namespace std::chrono_literals;
namespace json = boost::json;

stage make(const std::string& name, const std::string& extra,
           const std::string& selector = "  selector: {}\n") {
    std::string doc = "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata:\n  name: " + name +
                      "\nspec:\n  resourceRef:\n    kind: Pod\n" + selector + extra;
    return parse_stage(YAML::Load(doc), "test.yaml");
}

const auto now = *parse_rfc3339("2006-01-02T15:04:05Z");

TEST(lifecycle, nil_selector_stages_are_dropped) {
    std::vector<stage> v{make("a", "", ""), make("b", "")};
    lifecycle lc(std::move(v));
    ASSERT_EQ(lc.stages().size(), 1u);
    EXPECT_EQ(lc.stages()[0].name, "b");
}

TEST(lifecycle, weights_pick_proportionally_with_a_seeded_rng) {
    lifecycle lc({make("heavy", "  weight: 3\n"), make("light", "  weight: 1\n"),
                  make("zero", "  weight: 0\n")});
    std::mt19937_64 rng(42);
    std::map<std::string, int> counts;
    for (int i = 0; i < 4000; ++i) counts[lc.match(json::parse("{}"), rng)->name]++;
    EXPECT_EQ(counts["zero"], 0);
    EXPECT_NEAR(counts["heavy"], 3000, 150);
    EXPECT_NEAR(counts["light"], 1000, 150);
    auto c = lc.candidates(json::parse("{}"));
    ASSERT_EQ(c.size(), 2u);
}

TEST(lifecycle, weight_from_and_invalid_weights) {
    auto s = make("w", "  weight: 7\n  weightFrom:\n    expressionFrom: '.metadata.annotations.w'\n");
    EXPECT_EQ(*stage_weight(s, json::parse("{}")), 7);
    EXPECT_EQ(*stage_weight(s, json::parse(R"({"metadata":{"annotations":{"w":"12"}}})")), 12);
    EXPECT_EQ(*stage_weight(s, json::parse(R"({"metadata":{"annotations":{"w":"0x10"}}})")), 16);
    EXPECT_EQ(*stage_weight(s, json::parse(R"({"metadata":{"annotations":{"w":2.9}}})")), 2);
    EXPECT_FALSE(stage_weight(s, json::parse(R"({"metadata":{"annotations":{"w":""}}})")));
    EXPECT_FALSE(stage_weight(s, json::parse(R"({"metadata":{"annotations":{"w":"abc"}}})")));
    auto s2 = make("jq", "  weightFrom:\n    jq:\n      expression: '.n'\n");
    EXPECT_EQ(*stage_weight(s2, json::parse(R"({"n":"-3"})")), -3);
}

TEST(lifecycle, all_invalid_or_zero_weights_fall_back_to_uniform) {
    const char* bad = "  weightFrom:\n    expressionFrom: '.w'\n";
    lifecycle all_invalid({make("a", bad), make("b", bad)});
    std::mt19937_64 rng(1);
    std::map<std::string, int> counts;
    auto obj = json::parse(R"({"w":"nope"})");
    for (int i = 0; i < 1000; ++i) counts[all_invalid.match(obj, rng)->name]++;
    EXPECT_GT(counts["a"], 400);
    EXPECT_GT(counts["b"], 400);
    EXPECT_EQ(all_invalid.candidates(obj).size(), 2u);

    // total valid weight 0 with one invalid: uniform over the valid ones only
    lifecycle mixed({make("valid0", "  weight: 0\n"), make("invalid", bad)});
    for (int i = 0; i < 100; ++i) EXPECT_EQ(mixed.match(obj, rng)->name, "valid0");
    ASSERT_EQ(mixed.candidates(obj).size(), 1u);

    lifecycle zeros({make("z1", ""), make("z2", "")});
    counts.clear();
    for (int i = 0; i < 1000; ++i) counts[zeros.match(obj, rng)->name]++;
    EXPECT_GT(counts["z1"], 400);
    EXPECT_GT(counts["z2"], 400);
}

TEST(lifecycle, no_match_and_single_match) {
    lifecycle lc({make("only", "",
                       "  selector:\n    matchExpressions:\n    - {key: .a, operator: Exists}\n")});
    std::mt19937_64 rng(1);
    EXPECT_EQ(lc.match(json::parse("{}"), rng), nullptr);
    EXPECT_EQ(lc.match(json::parse(R"({"a":1})"), rng)->name, "only");
}

TEST(lifecycle, delay_rules) {
    std::mt19937_64 rng(7);
    auto obj = json::parse("{}");
    EXPECT_EQ(stage_delay(make("none", ""), obj, now, rng), 0ms);
    EXPECT_FALSE(stage_delay_range(make("none", ""), obj, now));
    EXPECT_EQ(stage_delay(make("fixed", "  delay:\n    durationMilliseconds: 1500\n"), obj, now, rng),
              1500ms);

    const std::string from =
        "  delay:\n    durationMilliseconds: 1000\n    durationFrom:\n      expressionFrom: '.d'\n";
    auto s = make("from", from);
    EXPECT_EQ(stage_delay(s, json::parse(R"({"d":"1m30s"})"), now, rng), 90s);
    EXPECT_EQ(stage_delay(s, json::parse(R"({"d":"500ms"})"), now, rng), 500ms);
    EXPECT_EQ(stage_delay(s, json::parse(R"({"d":"2006-01-02T15:04:15Z"})"), now, rng), 10s);
    EXPECT_EQ(stage_delay(s, json::parse(R"({"d":"2006-01-02T15:00:00Z"})"), now, rng), 0ms);
    EXPECT_EQ(stage_delay(s, json::parse(R"({"d":""})"), now, rng), 0ms);       // empty -> 0
    EXPECT_EQ(stage_delay(s, json::parse(R"({"d":"junk"})"), now, rng), 1000ms);  // fallback
    EXPECT_EQ(stage_delay(s, json::parse(R"({"d":5})"), now, rng), 1000ms);       // non-string
    EXPECT_EQ(stage_delay(s, obj, now, rng), 1000ms);                             // missing
}

TEST(lifecycle, jitter_is_an_upper_bound) {
    std::mt19937_64 rng(3);
    auto obj = json::parse("{}");
    auto s = make("j", "  delay:\n    durationMilliseconds: 1000\n    jitterDurationMilliseconds: 5000\n");
    auto range = stage_delay_range(s, obj, now);
    ASSERT_TRUE(range);
    ASSERT_EQ(range->size(), 2u);
    EXPECT_EQ((*range)[0], 1s);
    EXPECT_EQ((*range)[1], 5s);
    std::chrono::milliseconds min = 10s, max = 0s;
    for (int i = 0; i < 2000; ++i) {
        auto d = stage_delay(s, obj, now, rng);
        min = std::min(min, d);
        max = std::max(max, d);
    }
    EXPECT_GE(min, 1000ms);
    EXPECT_LT(min, 1100ms);
    EXPECT_LE(max, 5000ms);
    EXPECT_GT(max, 4900ms);

    // jitter <= base -> delay is the jitter
    auto small = make("s", "  delay:\n    durationMilliseconds: 3000\n    jitterDurationMilliseconds: 2000\n");
    EXPECT_EQ(stage_delay(small, obj, now, rng), 2000ms);

    // jitterFrom with a timestamp (general pod-delete)
    auto del = make("d", "  delay:\n    durationMilliseconds: 1000\n    jitterDurationFrom:\n"
                         "      expressionFrom: '.metadata.deletionTimestamp'\n");
    auto r = stage_delay_range(del, json::parse(R"({"metadata":{"deletionTimestamp":"2006-01-02T15:04:35Z"}})"), now);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[1], 30s);
    auto past = stage_delay_range(del, json::parse(R"({"metadata":{"deletionTimestamp":"2006-01-02T15:04:05Z"}})"), now);
    ASSERT_EQ(past->size(), 1u);
    EXPECT_EQ((*past)[0], 0s);
    // no jitter value -> base
    auto nojit = stage_delay_range(del, obj, now);
    ASSERT_EQ(nojit->size(), 1u);
    EXPECT_EQ((*nojit)[0], 1s);
}

TEST(lifecycle, group_by_resource) {
    auto node = parse_stage(YAML::Load("apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\n"
                                       "metadata: {name: n}\nspec:\n  resourceRef: {kind: Node}\n"
                                       "  selector: {}\n"),
                            "t");
    auto groups = group_by_resource({make("p", ""), node});
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(groups.at({"v1", "Node"}).stages()[0].name, "n");
}

}  // namespace
