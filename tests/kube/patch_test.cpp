#include "kube/patch.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

using namespace ghost::kube;
namespace json = boost::json;

TEST(patch, content_types) {
    EXPECT_EQ(content_type(patch_type::json), "application/json-patch+json");
    EXPECT_EQ(content_type(patch_type::merge), "application/merge-patch+json");
    EXPECT_EQ(content_type(patch_type::strategic), "application/strategic-merge-patch+json");
    EXPECT_EQ(content_type(patch_type::apply), "application/apply-patch+yaml");
}

TEST(patch, pointer_escaping_and_ops) {
    EXPECT_EQ(escape_pointer_token("a/b~c"), "a~1b~0c");
    EXPECT_EQ(json_pointer({"metadata", "finalizers", "-"}), "/metadata/finalizers/-");
    EXPECT_EQ(json_pointer({"metadata", "annotations", "kwok.x-k8s.io/node"}),
              "/metadata/annotations/kwok.x-k8s.io~1node");
    EXPECT_EQ(json::serialize(patch_add("/a", 1)), R"({"op":"add","path":"/a","value":1})");
    EXPECT_EQ(json::serialize(patch_remove("/a~1b")), R"({"op":"remove","path":"/a~1b"})");
    EXPECT_EQ(json::serialize(patch_replace("/x", "y")),
              R"({"op":"replace","path":"/x","value":"y"})");
    EXPECT_EQ(json::serialize(patch_test("/x", nullptr)),
              R"({"op":"test","path":"/x","value":null})");
}

// RFC 7386 appendix A.
TEST(merge_patch, rfc7386_examples) {
    struct tc {
        const char *target, *patch, *result;
    } cases[] = {
        {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
        {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
        {R"({"a":"b"})", R"({"a":null})", R"({})"},
        {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
        {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
        {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
        {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
        {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
        {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
        {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
        {R"({"a":"foo"})", R"(null)", R"(null)"},
        {R"({"a":"foo"})", R"("bar")", R"("bar")"},
        {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
        {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
        {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
    };
    for (const auto& c : cases) {
        json::value target = json::parse(c.target);
        json::value patch = json::parse(c.patch);
        json::value expected = json::parse(c.result);
        EXPECT_EQ(merge_patch(target, patch), expected) << c.target << " + " << c.patch;
        bool changes = merge_patch_changes(target, patch);
        EXPECT_EQ(changes, expected != target) << c.target << " + " << c.patch;
        json::value in_place = target;
        EXPECT_EQ(apply_merge_patch(in_place, patch), expected != target);
        EXPECT_EQ(in_place, expected);
    }
}

TEST(merge_patch, no_op_detection) {
    json::value pod = json::parse(
        R"({"metadata":{"name":"p"},"status":{"phase":"Running","podIP":"10.0.0.1",)"
        R"("conditions":[{"type":"Ready","status":"True"}]}})");
    EXPECT_FALSE(merge_patch_changes(pod, json::parse(R"({"status":{"phase":"Running"}})")));
    EXPECT_FALSE(merge_patch_changes(pod, json::parse(R"({"status":{"missing":null}})")));
    EXPECT_FALSE(merge_patch_changes(
        pod, json::parse(R"({"status":{"conditions":[{"type":"Ready","status":"True"}]}})")));
    EXPECT_TRUE(merge_patch_changes(pod, json::parse(R"({"status":{"phase":"Failed"}})")));
    EXPECT_TRUE(merge_patch_changes(pod, json::parse(R"({"status":{"podIP":null}})")));
    EXPECT_TRUE(merge_patch_changes(pod, json::parse(R"({"spec":{}})")));
    EXPECT_TRUE(merge_patch_changes(
        pod, json::parse(R"({"status":{"conditions":[{"type":"Ready","status":"False"}]}})")));
}
