#include "lang/yaml_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <cmath>

namespace json = boost::json;
using ghost::lang::json_to_yaml;
using ghost::lang::resolve_plain_scalar;
using ghost::lang::yaml_to_json;

namespace {

json::value parse_yaml(std::string_view text) {
    std::string err;
    auto r = yaml_to_json(text, &err);
    EXPECT_TRUE(r) << err;
    return r ? *r : json::value();
}

}  // namespace

TEST(yaml_json, yaml11_booleans) {
    for (auto w : {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})
        EXPECT_EQ(resolve_plain_scalar(w), json::value(true)) << w;
    for (auto w : {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})
        EXPECT_EQ(resolve_plain_scalar(w), json::value(false)) << w;
    EXPECT_TRUE(resolve_plain_scalar("yEs").is_string());
    EXPECT_TRUE(resolve_plain_scalar("tRue").is_string());
}

TEST(yaml_json, nulls) {
    for (auto w : {"", "~", "null", "Null", "NULL"}) EXPECT_TRUE(resolve_plain_scalar(w).is_null());
    EXPECT_TRUE(resolve_plain_scalar("nULL").is_string());
    auto v = parse_yaml("a:\nb: ~\nc: null\nd: 'null'\ne: \"~\"\n");
    EXPECT_TRUE(v.at("a").is_null());
    EXPECT_TRUE(v.at("b").is_null());
    EXPECT_TRUE(v.at("c").is_null());
    EXPECT_EQ(v.at("d"), json::value("null"));
    EXPECT_EQ(v.at("e"), json::value("~"));
}

TEST(yaml_json, integers) {
    EXPECT_EQ(resolve_plain_scalar("0"), json::value(0));
    EXPECT_EQ(resolve_plain_scalar("42"), json::value(42));
    EXPECT_EQ(resolve_plain_scalar("-42"), json::value(-42));
    EXPECT_EQ(resolve_plain_scalar("+7"), json::value(7));
    EXPECT_EQ(resolve_plain_scalar("0x1F"), json::value(31));
    EXPECT_EQ(resolve_plain_scalar("0o17"), json::value(15));
    EXPECT_EQ(resolve_plain_scalar("0755"), json::value(493));
    EXPECT_EQ(resolve_plain_scalar("0b101"), json::value(5));
    EXPECT_EQ(resolve_plain_scalar("1_000"), json::value(1000));
    EXPECT_EQ(resolve_plain_scalar("18446744073709551615"),
              json::value(std::uint64_t(18446744073709551615ull)));
    EXPECT_EQ(resolve_plain_scalar("-9223372036854775808").as_int64(), INT64_MIN);
    // Not octal, but it is a YAML float: go-yaml reads it as 8.
    EXPECT_TRUE(resolve_plain_scalar("08").is_double());
    EXPECT_EQ(resolve_plain_scalar("08").as_double(), 8.0);
}

TEST(yaml_json, floats) {
    EXPECT_EQ(resolve_plain_scalar("1.5"), json::value(1.5));
    EXPECT_EQ(resolve_plain_scalar("-1.5e3"), json::value(-1500.0));
    EXPECT_EQ(resolve_plain_scalar(".5"), json::value(0.5));
    EXPECT_EQ(resolve_plain_scalar("1."), json::value(1.0));
    EXPECT_TRUE(std::isinf(resolve_plain_scalar(".inf").as_double()));
    EXPECT_LT(resolve_plain_scalar("-.Inf").as_double(), 0);
    EXPECT_TRUE(std::isnan(resolve_plain_scalar(".NaN").as_double()));
    EXPECT_TRUE(resolve_plain_scalar("1.2.3").is_string());
    EXPECT_TRUE(resolve_plain_scalar("1e").is_string());
}

TEST(yaml_json, strings_stay_strings) {
    for (auto w : {"1Ti", "1k", "1M", "10.0.0.1", "2006-01-02T15:04:05Z", "2006-01-02", "kwok-v1",
                   "<Now>", "-", "abc", ".", "0x", "+"})
        EXPECT_TRUE(resolve_plain_scalar(w).is_string()) << w;
    auto v = parse_yaml("a: \"true\"\nb: '5'\nc: |\n  5\nd: >-\n  yes\n");
    EXPECT_EQ(v.at("a"), json::value("true"));
    EXPECT_EQ(v.at("b"), json::value("5"));
    EXPECT_EQ(v.at("c"), json::value("5\n"));
    EXPECT_EQ(v.at("d"), json::value("yes"));
}

TEST(yaml_json, structure) {
    auto v = parse_yaml(R"(
conditions:
- type: Ready
  status: "True"
- {type: X, status: on}
flow: [1, two, 3.5]
base: &b {x: 1, z: 2}
no: key-is-bool-too
derived:
  <<: *b
  z: 3
alias: *b
empty_list: []
empty_map: {}
true: key-is-bool
1: key-is-int
)");
    EXPECT_EQ(v.at("conditions").at(0).at("status"), json::value("True"));
    EXPECT_EQ(v.at("conditions").at(1).at("status"), json::value(true));
    EXPECT_EQ(v.at("flow"), json::parse(R"([1,"two",3.5])"));
    EXPECT_EQ(v.at("derived"), json::parse(R"({"x":1,"z":3})"));
    EXPECT_EQ(v.at("alias"), json::parse(R"({"x":1,"z":2})"));
    EXPECT_EQ(v.at("false"), json::value("key-is-bool-too"));  // YAML 1.1: `no` is a bool
    EXPECT_TRUE(v.at("empty_list").as_array().empty());
    EXPECT_TRUE(v.at("empty_map").as_object().empty());
    EXPECT_EQ(v.at("true"), json::value("key-is-bool"));
    EXPECT_EQ(v.at("1"), json::value("key-is-int"));
}

TEST(yaml_json, empty_document_is_null) {
    EXPECT_TRUE(parse_yaml("").is_null());
    EXPECT_TRUE(parse_yaml("   \n# only a comment\n").is_null());
}

TEST(yaml_json, errors_are_reported) {
    std::string err;
    auto r = yaml_to_json("a: [1, 2\nb: c", &err);
    EXPECT_FALSE(r);
    EXPECT_NE(err.find("yaml"), std::string::npos);
    r = yaml_to_json("a: b\n  c: d\n", &err);
    EXPECT_FALSE(r);
}

TEST(yaml_json, marshal_layout) {
    auto v = json::parse(R"({"b":{"y":[1,"x"],"x":true},"a":"s","c":[{"k":1,"j":null},[1,2]],
                             "e":[],"f":{}})");
    EXPECT_EQ(json_to_yaml(v),
              "a: s\n"
              "b:\n"
              "  x: true\n"
              "  \"y\":\n"  // "y" alone would read back as a YAML 1.1 bool
              "  - 1\n"
              "  - x\n"
              "c:\n"
              "- j: null\n"
              "  k: 1\n"
              "- - 1\n"
              "  - 2\n"
              "e: []\n"
              "f: {}\n");
}

TEST(yaml_json, marshal_quotes_dates_as_go_yaml_v2) {
    auto v = json::parse(R"({"a":"2026-12-02","b":"2026-1-2","c":"2026-12-02x","d":"12-02"})");
    EXPECT_EQ(json_to_yaml(v), "a: \"2026-12-02\"\nb: \"2026-1-2\"\nc: 2026-12-02x\nd: 12-02\n");
}

TEST(yaml_json, marshal_indent) {
    auto v = json::parse(R"({"cpu":"1k","pods":"110"})");
    EXPECT_EQ(json_to_yaml(v, 1), "\n  cpu: 1k\n  pods: \"110\"\n  ");
    EXPECT_EQ(json_to_yaml(v, 2), "\n    cpu: 1k\n    pods: \"110\"\n    ");
}

TEST(yaml_json, marshal_round_trips_tricky_strings) {
    json::array strings;
    for (auto s : {"", "true", "yes", "on", "null", "~", "5", "0x10", "1.5", ".inf", "- a", "a: b",
                   "#x", "x #y", "'q'", "\"dq\"", "line\nbreak", " lead", "trail ", "{a}", "[1]",
                   "*ref", "&anc", "!tag", "%pct", "@at", "`bt`", "a,b", "tab\there", "ünï",
                   "10.0.0.1", "2006-01-02T15:04:05Z", "<Now>", "?", ":", "-"})
        strings.emplace_back(s);
    json::value v = json::object{{"list", strings}, {"map", json::object{{"yes", "no"}}}};
    std::string text = json_to_yaml(v);
    std::string err;
    auto back = yaml_to_json(text, &err);
    ASSERT_TRUE(back) << err << "\n" << text;
    EXPECT_EQ(*back, v) << text;
}

TEST(yaml_json, marshal_numbers) {
    auto v = json::parse(R"({"i":-3,"u":18446744073709551615,"d":0.5,"big":1e21,"n":null})");
    std::string text = json_to_yaml(v);
    auto back = yaml_to_json(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(back->at("i"), json::value(-3));
    EXPECT_EQ(back->at("u"), v.at("u"));
    EXPECT_EQ(back->at("d"), json::value(0.5));
    EXPECT_EQ(back->at("big").to_number<double>(), 1e21);
    EXPECT_TRUE(back->at("n").is_null());
}

namespace ghost::lang::detail_testing {
boost::system::result<json::value> yaml_to_json_slow(std::string_view yaml, std::string* err);
bool yaml_to_json_fast(std::string_view yaml, json::value& out);
}  // namespace ghost::lang::detail_testing

namespace {

// The block-style fast path must agree with yaml-cpp whenever it accepts a document.
void expect_same(std::string_view text, bool expect_fast) {
    using namespace ghost::lang::detail_testing;
    json::value fast;
    bool took = yaml_to_json_fast(text, fast);
    EXPECT_EQ(took, expect_fast) << text;
    std::string err;
    auto slow = yaml_to_json_slow(text, &err);
    if (took) {
        ASSERT_TRUE(slow) << err << "\n" << text;
        EXPECT_EQ(fast, *slow) << text << "\nfast: " << json::serialize(fast)
                               << "\nslow: " << json::serialize(*slow);
    }
}

}  // namespace

TEST(yaml_json, fast_path_agrees_with_yaml_cpp) {
    expect_same("", true);
    expect_same("# c\n\n", true);
    expect_same("a: 1\nb: yes\nc: \"q\\\"\\u00e9\\n\"\nd: 'it''s'\ne:\nf: ~\n", true);
    expect_same("conditions:\n- type: Ready\n  status: \"True\"\n  reason: ''\n- type: X\n", true);
    expect_same("a:\n  b:\n    c: [] # comment\n    d: {}\n  e: x#y\n", true);
    expect_same("a:\n- x\n- - y\n", false);
    expect_same("list:\n  - 1\n  - two\n  -\n  - k: v\n    k2: v2\n", true);
    expect_same("a: http://x:80/p\nb: 10.0.0.1\nc: <Now>\nd: kwok-<Version>\n", true);
    expect_same("  indented: 1\n  doc: 2\n", true);
    expect_same("\"quoted key\": 1\n'single': 2\ntrue: 3\n5: 4\n0x10: 5\n", true);
    expect_same("- a\n- b: 1\n  c:\n  - d\n", true);
    expect_same("scalar", true);
    expect_same("a: |\n  block\n", false);
    expect_same("a: &x 1\nb: *x\n", false);
    expect_same("a: [1, 2]\n", false);
    expect_same("a: multi\n  line\n", false);
    expect_same("---\na: 1\n", false);
    expect_same("a: b: c\n", false);
    expect_same("a:\n    b: 1\n  c: 2\n", false);
    expect_same("a: 1\n\tb: 2\n", false);
    expect_same("a: \"unterminated\n", false);
    expect_same("k: \"\\/\"\n", false);
}

// An alias bomb (9 levels of 10 aliases: 10^9 values from 450 bytes) took yaml_to_json past
// 20 s and gigabytes; go-yaml v2 (sigs.k8s.io/yaml) refuses it as "excessive aliasing", and so
// does this, before the copies are made.
TEST(yaml_json, an_alias_bomb_is_refused_as_excessive_aliasing) {
    std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 9; ++i) {
        bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
        for (int j = 0; j < 10; ++j) bomb += (j ? ", *a" : "*a") + std::to_string(i - 1);
        bomb += "]\n";
    }
    std::string err;
    auto r = ghost::lang::yaml_to_json(bomb, &err);
    EXPECT_FALSE(r.has_value());
    EXPECT_NE(err.find("yaml: yaml-cpp: error at line "), std::string::npos) << err;
    EXPECT_NE(err.find("document contains excessive aliasing (aliases would expand to "),
              std::string::npos)
        << err;

    // Ordinary anchors, merges and a few levels of reuse still load.
    auto ok = ghost::lang::yaml_to_json("base: &b {x: 1}\nm:\n  <<: *b\n  z: 2\nl: [*b, *b]\n"
                                        "deep: &d [&e [1, 2], *e]\nagain: [*d, *d, *d]\n",
                                        &err);
    ASSERT_TRUE(ok.has_value()) << err;
    EXPECT_EQ(boost::json::serialize(*ok),
              R"({"base":{"x":1},"m":{"x":1,"z":2},"l":[{"x":1},{"x":1}],)"
              R"("deep":[[1,2],[1,2]],"again":[[[1,2],[1,2]],[[1,2],[1,2]],[[1,2],[1,2]]]})");
}
