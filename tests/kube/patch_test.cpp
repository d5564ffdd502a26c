#include "kube/patch.hpp"

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

TEST(patch, json_patch_ops) {
    EXPECT_EQ(json::serialize(patch_add("/a", 1)), R"({"op":"add","path":"/a","value":1})");
    EXPECT_EQ(json::serialize(patch_remove("/a~1b")), R"({"op":"remove","path":"/a~1b"})");
}
