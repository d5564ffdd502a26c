// CEL wherever kwok takes it in a Stage: selector matchExpressions[].cel, weightFrom.cel,
// durationFrom.cel (jitterDurationFrom.cel ignored, as kwok does); load-time errors name the file,
// stage, field and column; run-time errors fail the match for that object only.
#include "stages/cel_funcs.hpp"
#include "stages/lifecycle.hpp"
#include "stages/selector.hpp"
#include "stages/stage.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace {

using namespace ghost::stages;
namespace json = boost::json;

std::string header(const std::string& name = "s") {
    return "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata: {name: " + name + "}\n";
}

stage load(const std::string& spec) { return parse_stage(YAML::Load(header() + spec), "v.yaml"); }

std::string error_of(const std::string& spec) {
    try {
        load(spec);
    } catch (const stage_error& e) {
        return e.what();
    }
    return "<no error>";
}

const json::value pvc = json::parse(R"({"metadata":{"name":"c","namespace":"ns",
    "creationTimestamp":"2020-01-01T00:00:00Z"},
    "spec":{"storageClassName":"kwok-volume","claimRef":{"name":"x"}},
    "status":{"phase":"Pending"}})");

}  // namespace

TEST(cel_stage, selector_expressions_decide_the_match) {
    auto s = load(R"Y(spec:
  resourceRef: {kind: PersistentVolumeClaim}
  selector:
    matchExpressions:
    - cel: {expression: "self.spec.storageClassName == 'kwok-volume'"}
    - cel: {expression: "!has(self.metadata.deletionTimestamp)"}
    - cel: {expression: "has(self.spec.claimRef.name)"}
    - cel: {expression: "!(self.status.phase in ['Bound', 'Released', 'Failed'])"}
)Y");
    EXPECT_TRUE(stage_matches(s, pvc));
    auto bound = pvc;
    bound.as_object()["status"].as_object()["phase"] = "Bound";
    EXPECT_FALSE(stage_matches(s, bound));
}

TEST(cel_stage, load_errors_name_file_stage_field_and_column) {
    auto err = error_of("spec:\n  resourceRef: {kind: Pod}\n  selector:\n    matchExpressions:\n"
                        "    - cel: {expression: 'self.status.phase =='}\n");
    EXPECT_NE(err.find("v.yaml: stage \"s\": spec.selector.matchExpressions[0].cel.expression: "
                       "CEL column "),
              std::string::npos)
        << err;
    err = error_of("spec:\n  resourceRef: {kind: Pod}\n  selector:\n    matchExpressions:\n"
                   "    - cel: {expression: 'NoSuchFunction(self)'}\n");
    EXPECT_NE(err.find("column 1"), std::string::npos) << err;
    EXPECT_NE(err.find("NoSuchFunction"), std::string::npos) << err;
    err = error_of("spec:\n  resourceRef: {kind: Pod}\n  weightFrom:\n"
                   "    cel: {expression: \"1 + 'a'\"}\n");
    EXPECT_NE(err.find("spec.weightFrom.cel.expression: CEL column 3"), std::string::npos) << err;
}

TEST(cel_stage, a_runtime_error_fails_the_match_with_a_message) {
    lifecycle lc({load("spec:\n  resourceRef: {kind: Pod}\n  selector:\n    matchExpressions:\n"
                       "    - cel: {expression: 'self.spec.missing.deeper == 1'}\n")});
    std::mt19937_64 rng(1);
    std::string error;
    EXPECT_EQ(lc.match(pvc, rng, &error), nullptr);
    EXPECT_NE(error.find("stage s: spec.selector: CEL `self.spec.missing.deeper == 1`: "),
              std::string::npos)
        << error;
    error.clear();
    lifecycle not_bool({load("spec:\n  resourceRef: {kind: Pod}\n  selector:\n"
                             "    matchExpressions:\n    - cel: {expression: 'self.status.phase'}\n")});
    EXPECT_EQ(not_bool.match(pvc, rng, &error), nullptr);
    EXPECT_NE(error.find("expected a bool, got string"), std::string::npos) << error;
}

TEST(cel_stage, weight_and_delay_from_cel) {
    auto s = load(R"Y(spec:
  resourceRef: {kind: Pod}
  selector: {}
  weightFrom:
    cel: {expression: "self.spec.storageClassName == 'kwok-volume' ? 7 : 1"}
  delay:
    durationFrom:
      cel: {expression: "duration('1500ms')"}
)Y");
    EXPECT_EQ(stage_weight(s, pvc), 7);
    auto range = stage_delay_range(s, pvc, std::chrono::system_clock::now());
    ASSERT_TRUE(range);
    EXPECT_EQ((*range)[0], std::chrono::milliseconds(1500));
    auto text = load("spec:\n  resourceRef: {kind: Pod}\n  selector: {}\n  delay:\n"
                     "    durationFrom: {cel: {expression: \"'2s'\"}}\n");
    EXPECT_EQ((*stage_delay_range(text, pvc, {}))[0], std::chrono::seconds(2));
    auto nanos = load("spec:\n  resourceRef: {kind: Pod}\n  selector: {}\n  delay:\n"
                      "    durationMilliseconds: 9\n    durationFrom: {cel: {expression: '3000000'}}\n");
    EXPECT_EQ((*stage_delay_range(nanos, pvc, {}))[0], std::chrono::milliseconds(3));
}

TEST(cel_stage, a_cel_only_jitter_is_ignored_with_a_warning) {
    auto s = load(R"Y(spec:
  resourceRef: {kind: Pod}
  selector: {}
  delay:
    durationMilliseconds: 1000
    jitterDurationFrom:
      cel: {expression: "duration('5s')"}
)Y");
    ASSERT_EQ(s.warnings.size(), 1u);
    EXPECT_NE(s.warnings[0].find("spec.delay.jitterDurationFrom.cel: ignored"), std::string::npos);
    auto range = stage_delay_range(s, pvc, {});
    ASSERT_TRUE(range);
    EXPECT_EQ(range->size(), 1u);
    EXPECT_EQ((*range)[0], std::chrono::seconds(1));
}

TEST(cel_stage, kwok_functions) {
    auto eval = [](std::string_view text) {
        std::string err;
        auto p = ghost::lang::cel::program::compile(text, stage_cel_environment(), &err);
        EXPECT_TRUE(p) << text << ": " << err;
        if (!p) return std::string("compile error");
        auto v = evaluate_cel(*p, pvc);
        return v.is_error() ? "error: " + std::string(v.as_string()) : v.debug_string();
    };
    EXPECT_EQ(eval("Quantity('100m') + Quantity('900m') == Quantity('1')"), "true");
    EXPECT_EQ(eval("Quantity('1Gi') > Quantity('1G')"), "true");
    EXPECT_EQ(eval("(Quantity('1') * 3).string()"), "\"3\"");
    EXPECT_EQ(eval("double(Quantity('250m') / 2)"), "0.125");
    EXPECT_EQ(eval("'100m'.Quantity() < Quantity('1')"), "true") << "callable as a method";
    EXPECT_EQ(eval("SinceSecond(self) > 86400.0"), "true");
    EXPECT_EQ(eval("self.SinceSecond() > 86400.0"), "true");
    EXPECT_EQ(eval("UnixSecond(self.metadata.creationTimestamp)"), "1577836800");
    EXPECT_EQ(eval("UnixSecond(timestamp('1970-01-01T00:00:02Z'))"), "2");
    EXPECT_EQ(eval("Rand() >= 0.0 && Rand() < 1.0"), "true");
    EXPECT_EQ(eval("Now() > timestamp('2020-01-01T00:00:00Z')"), "true");
    EXPECT_EQ(eval("Quantity('nope')"), "error: Quantity: \"nope\" is not a quantity");
    // Found by cel_fuzz under UBSan: milli-units times an int overflowed a signed 64-bit.
    EXPECT_EQ(eval("Quantity('9223372036854775807m') * 2"), "error: Quantity arithmetic overflows");
    EXPECT_EQ(eval("Quantity('-9223372036854775808m') / -1"),
              "error: Quantity arithmetic overflows");
    EXPECT_EQ(eval("Quantity('1') * 18446744073709551615u"), "error: Quantity arithmetic overflows");
    EXPECT_EQ(eval("(Quantity('4611686018427387903m') * 2).string()"), "\"9223372036854775806m\"");
}
