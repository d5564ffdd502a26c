#include "kube/label_selector.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using ghost::kube::label_selector;

namespace {

bool match(std::string_view selector, std::string_view labels_json) {
    std::string error;
    auto sel = label_selector::parse(selector, &error);
    EXPECT_TRUE(sel) << error;
    auto labels = boost::json::parse(labels_json);
    return sel && sel->matches(labels.is_null() ? nullptr : &labels.as_object());
}

}  // namespace

TEST(label_selector, equality_and_inequality) {
    EXPECT_TRUE(match("kwok.x-k8s.io/node=fake", R"({"kwok.x-k8s.io/node":"fake"})"));
    EXPECT_TRUE(match("a==b", R"({"a":"b"})"));
    EXPECT_FALSE(match("a=b", R"({"a":"c"})"));
    EXPECT_FALSE(match("a=b", "null"));
    EXPECT_TRUE(match("a!=b", R"({"a":"c"})"));
    EXPECT_TRUE(match("a!=b", R"({})"));
    EXPECT_FALSE(match("a!=b", R"({"a":"b"})"));
}

TEST(label_selector, sets_and_existence) {
    EXPECT_TRUE(match("env in (prod, staging)", R"({"env":"staging"})"));
    EXPECT_FALSE(match("env in (prod)", R"({"env":"dev"})"));
    EXPECT_TRUE(match("env notin (prod)", R"({"env":"dev"})"));
    EXPECT_TRUE(match("env notin (prod)", R"({})"));
    EXPECT_TRUE(match("env", R"({"env":""})"));
    EXPECT_FALSE(match("env", R"({})"));
    EXPECT_TRUE(match("!env", R"({})"));
    EXPECT_FALSE(match("!env", R"({"env":"x"})"));
}

TEST(label_selector, requirements_are_anded) {
    EXPECT_TRUE(match("a=1,b in (2,3),!c", R"({"a":"1","b":"3"})"));
    EXPECT_FALSE(match("a=1,b in (2,3),!c", R"({"a":"1","b":"3","c":"x"})"));
}

TEST(label_selector, empty_selects_everything) {
    EXPECT_TRUE(match("", R"({})"));
    EXPECT_TRUE(match("   ", "null"));
}

TEST(label_selector, malformed_text_names_the_position) {
    std::string error;
    EXPECT_FALSE(label_selector::parse("a in b", &error));
    EXPECT_NE(error.find("'('"), std::string::npos) << error;
    EXPECT_FALSE(label_selector::parse("a=b,,c", &error));
    EXPECT_NE(error.find("position"), std::string::npos) << error;
    EXPECT_FALSE(label_selector::parse("a in (x", &error));
    EXPECT_FALSE(label_selector::parse("a >< b", &error));
}
