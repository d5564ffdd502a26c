#include "stages/selector.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace {

using namespace ghost::lang;
using namespace ghost::stages;
namespace json = boost::json;

stage load(const std::string& spec_yaml) {
    std::string doc = "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata:\n  name: s\n"
                      "spec:\n  resourceRef:\n    kind: Pod\n" + spec_yaml;
    return parse_stage(YAML::Load(doc), "test.yaml");
}

bool matches(const std::string& selector_yaml, std::string_view object) {
    return stage_matches(load(selector_yaml), json::parse(object));
}

const char* pod = R"({
  "metadata": {"name": "p", "labels": {"app": "web", "tier": "fe"},
               "annotations": {"a": "1"}, "uid": 7},
  "spec": {"hostNetwork": true, "priority": 5},
  "status": {"phase": "Pending", "conditions": [{"type": "Ready", "status": "False"}]}
})";

TEST(selector, nil_never_matches_and_empty_matches_all) {
    EXPECT_FALSE(matches("", pod));
    EXPECT_FALSE(matches("  selector:\n", pod));
    EXPECT_TRUE(matches("  selector: {}\n", pod));
    EXPECT_TRUE(matches("  selector: {}\n", "{}"));
}

TEST(selector, in_and_not_in) {
    auto in = [](const std::string& key, const std::string& value) {
        return "  selector:\n    matchExpressions:\n    - key: '" + key +
               "'\n      operator: In\n      values: ['" + value + "']\n";
    };
    auto not_in = [](const std::string& key, const std::string& value) {
        return "  selector:\n    matchExpressions:\n    - key: '" + key +
               "'\n      operator: NotIn\n      values: ['" + value + "']\n";
    };
    EXPECT_TRUE(matches(in(".status.phase", "Pending"), pod));
    EXPECT_FALSE(matches(in(".status.phase", "Running"), pod));
    EXPECT_TRUE(matches(not_in(".status.phase", "Running"), pod));
    // bools match by their string form
    EXPECT_TRUE(matches(in(".spec.hostNetwork", "true"), pod));
    // JSON numbers never match In (kwok sees float64)
    EXPECT_FALSE(matches(in(".spec.priority", "5"), pod));
    EXPECT_FALSE(matches(in(".metadata.uid", "7"), pod));
    EXPECT_TRUE(matches(not_in(".spec.priority", "5"), pod));
    // absent (runtime error / missing) -> In false, NotIn true
    EXPECT_FALSE(matches(in(".status.containerStatuses.[].ready", "true"), pod));
    EXPECT_TRUE(matches(not_in(".status.containerStatuses.[].ready", "true"), pod));
    EXPECT_TRUE(matches(
        not_in(R"(.status.conditions.[] | select( .type == "Ready" ) | .status)", "True"), pod));
    EXPECT_FALSE(matches(
        not_in(R"(.status.conditions.[] | select( .type == "Ready" ) | .status)", "False"), pod));
}

TEST(selector, exists_and_does_not_exist) {
    auto sel = [](const std::string& key, const std::string& op) {
        return "  selector:\n    matchExpressions:\n    - key: '" + key + "'\n      operator: " + op +
               "\n";
    };
    EXPECT_TRUE(matches(sel(".status.phase", "Exists"), pod));
    EXPECT_FALSE(matches(sel(".metadata.deletionTimestamp", "Exists"), pod));
    EXPECT_TRUE(matches(sel(".metadata.deletionTimestamp", "DoesNotExist"), pod));
    EXPECT_FALSE(matches(sel(".status.phase", "DoesNotExist"), pod));
    // null outputs are dropped, runtime errors are absent
    EXPECT_FALSE(matches(sel(".status.podIP", "Exists"), R"({"status":{"podIP":null}})"));
    EXPECT_TRUE(matches(sel(".status.x.[]", "DoesNotExist"), pod));
    // a number output exists even though In never matches it
    EXPECT_TRUE(matches(sel(".spec.priority", "Exists"), pod));
}

TEST(selector, labels_annotations_and_are_anded) {
    EXPECT_TRUE(matches("  selector:\n    matchLabels: {app: web}\n", pod));
    EXPECT_TRUE(matches("  selector:\n    matchLabels: {app: web, tier: fe}\n", pod));
    EXPECT_FALSE(matches("  selector:\n    matchLabels: {app: db}\n", pod));
    EXPECT_FALSE(matches("  selector:\n    matchLabels: {other: x}\n", pod));
    EXPECT_FALSE(matches("  selector:\n    matchLabels: {app: web}\n", "{}"));
    EXPECT_TRUE(matches("  selector:\n    matchAnnotations: {a: '1'}\n", pod));
    EXPECT_FALSE(matches("  selector:\n    matchAnnotations: {a: '2'}\n", pod));
    EXPECT_FALSE(matches("  selector:\n    matchLabels: {app: web}\n    matchExpressions:\n"
                         "    - {key: .status.phase, operator: In, values: [Running]}\n",
                         pod));
    EXPECT_TRUE(matches("  selector:\n    matchLabels: {app: web}\n    matchExpressions:\n"
                        "    - {key: .status.phase, operator: In, values: [Pending]}\n"
                        "    - jq: {key: .metadata.name, operator: Exists}\n",
                        pod));
}

}  // namespace

namespace {

// A selector key past jq's step limit does not match, and says why.
TEST(selector, a_key_past_the_jq_step_limit_does_not_match_and_names_the_limit) {
    std::string key = ".metadata.name";
    for (int i = 0; i < 25; ++i) key += ",1 | .";
    auto s = load("  selector:\n    matchExpressions:\n    - key: '" + key +
                  "'\n      operator: Exists\n");
    std::string error;
    EXPECT_FALSE(stage_matches(s, json::parse(pod), &error));
    EXPECT_NE(error.find("jq: more than 1000000 evaluation steps"), std::string::npos) << error;
}

}  // namespace
