#include "lang/jq.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

namespace {

using ghost::lang::jq_parse_error;
using ghost::lang::jq_program;
namespace json = boost::json;

// All outputs serialized and joined with spaces; "<absent>" when none.
std::string run(std::string_view program, std::string_view input) {
    auto outs = jq_program::parse(program).run(json::parse(input));
    if (outs.empty()) return "<absent>";
    std::string s;
    for (auto& v : outs) {
        if (!s.empty()) s += ' ';
        s += json::serialize(v);
    }
    return s;
}

const char* pod = R"({
  "metadata": {"name": "p", "labels": {"app.kubernetes.io/name": "web"},
               "ownerReferences": [{"kind": "ReplicaSet"}, {"kind": "Job"}]},
  "status": {"phase": "Pending", "conditions": [
      {"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "False"}]}
})";

TEST(jq, identity_and_fields) {
    EXPECT_EQ(run(".", "5"), "5");
    EXPECT_EQ(run(".status.phase", pod), "\"Pending\"");
    EXPECT_EQ(run(".status.missing", pod), "null");
    EXPECT_EQ(run(".nope.deeper", pod), "null");
    EXPECT_EQ(run(".\"metadata\".name", pod), "\"p\"");
    EXPECT_EQ(run(".metadata.\"name\"", pod), "\"p\"");
}

TEST(jq, bracket_keys) {
    EXPECT_EQ(run(R"(.metadata.labels["app.kubernetes.io/name"])", pod), "\"web\"");
    EXPECT_EQ(run(R"(.metadata.labels.["app.kubernetes.io/name"])", pod), "\"web\"");
    EXPECT_EQ(run(R"(.["metadata"]["name"])", pod), "\"p\"");
    EXPECT_EQ(run(R"(.metadata.annotations["x"])", pod), "null");
}

TEST(jq, iteration_and_index) {
    EXPECT_EQ(run(".metadata.ownerReferences.[].kind", pod), "\"ReplicaSet\" \"Job\"");
    EXPECT_EQ(run(".metadata.ownerReferences[].kind", pod), "\"ReplicaSet\" \"Job\"");
    EXPECT_EQ(run(".[]", R"({"a":1,"b":2})"), "1 2");
    EXPECT_EQ(run(".[1]", "[10,20,30]"), "20");
    EXPECT_EQ(run(".[-1]", "[10,20,30]"), "30");
    EXPECT_EQ(run(".[7]", "[10,20,30]"), "null");
}

// Found by jq_fuzz (UBSan: 1.1e20 outside the range of long): an index no array can have.
TEST(jq, an_index_beyond_any_array_is_null) {
    EXPECT_EQ(run(".[111111011111111111111]", "[10,20,30]"), "null");
    EXPECT_EQ(run(".[-111111011111111111111]", "[10,20,30]"), "null");
    // The fuzzer's input: `[.][.]` indexes [1.1e20] with 1.1e20 (null); pipes bind loosest.
    EXPECT_EQ(run("11|11111,11|111111011111111111111|110,[[.][.]]|110,1111", "null"),
              "110 1111 110 1111 110 1111 110 1111");
    EXPECT_EQ(run("[.][.]", "111111011111111111111"), "null");
}

TEST(jq, runtime_errors_make_the_result_absent) {
    // Iterating a missing array is an error in jq, which kwok treats as "absent".
    EXPECT_EQ(run(".status.containerStatuses.[].state", pod), "<absent>");
    EXPECT_EQ(run(".metadata.name.x", pod), "<absent>");
    EXPECT_EQ(run(".[0]", R"({"a":1})"), "<absent>");
    EXPECT_EQ(run(".a", "5"), "<absent>");
    EXPECT_EQ(run("(.a, .b.c)", R"({"a":1,"b":"s"})"), "<absent>");
}

TEST(jq, optional_swallows_errors) {
    EXPECT_EQ(run(".status.containerStatuses[]?", pod), "<absent>");
    EXPECT_EQ(run("[.status.containerStatuses[]?]", pod), "[]");
    EXPECT_EQ(run(".a.b?", R"({"a":"s"})"), "<absent>");
    EXPECT_EQ(run("(.a.b?), 1", R"({"a":"s"})"), "1");
}

TEST(jq, pipes_select_and_comparisons) {
    EXPECT_EQ(run(R"(.status.conditions.[] | select( .type == "Ready" ) | .status)", pod),
              "\"False\"");
    EXPECT_EQ(run(R"(.status.conditions.[] | select(.type != "Ready") | .type)", pod),
              "\"Initialized\"");
    EXPECT_EQ(run("1 < 2, 2 <= 2, 3 > 4, 3 >= 4, null < false, \"a\" < \"b\", [1] > 5", "null"),
              "true true false false true true true");
}

TEST(jq, boolean_operators) {
    EXPECT_EQ(run("true and false, true or false, null or 1, (1 | not), (null | not)", "null"),
              "false true true false true");
    EXPECT_EQ(run(".a == 1 and .b == 2", R"({"a":1,"b":2})"), "true");
}

TEST(jq, literals_and_functions) {
    EXPECT_EQ(run("\"x\\u0041\\n\", 1.5, -3, true, false, null", "null"),
              "\"xA\\n\" 1.5E0 -3 true false null");
    EXPECT_EQ(run("length", R"([1,2,3])"), "3");
    EXPECT_EQ(run("length", R"("héllo")"), "5");
    EXPECT_EQ(run("length", "null"), "0");
    EXPECT_EQ(run("keys", R"({"b":1,"a":2})"), R"(["a","b"])");
    EXPECT_EQ(run(".metadata | has(\"name\")", pod), "true");
    EXPECT_EQ(run("type", "[]"), "\"array\"");
    EXPECT_EQ(run("map(.a)", R"([{"a":1},{"a":2}])"), "[1,2]");
    EXPECT_EQ(run(".x // \"d\"", "{}"), "\"d\"");
    EXPECT_EQ(run("empty", "1"), "<absent>");
    EXPECT_EQ(run("\"5\" | tonumber", "null"), "5");
    EXPECT_EQ(run("5 | tostring", "null"), "\"5\"");
}

TEST(jq, typical_user_selectors) {
    EXPECT_EQ(run(".metadata.ownerReferences | length > 1", pod), "true");
    EXPECT_EQ(run(".metadata.labels | keys | .[0]", pod), "\"app.kubernetes.io/name\"");
    EXPECT_EQ(run("[.status.conditions[] | select(.status == \"True\") | .type]", pod),
              "[\"Initialized\"]");
    EXPECT_EQ(run(".metadata.ownerReferences | map(.kind) | .[1]", pod), "\"Job\"");
    EXPECT_EQ(run(".status.phase == \"Pending\" and (.metadata.deletionTimestamp | not)", pod),
              "true");
}

TEST(jq, comma_gives_several_outputs) {
    EXPECT_EQ(run(".a, .b", R"({"a":1,"b":2})"), "1 2");
    EXPECT_EQ(run("(.a, .b) | . == 2", R"({"a":1,"b":2})"), "false true");
}

TEST(jq, structural_equality) {
    EXPECT_EQ(run(".a == [1, 2]", R"({"a":[1,2.0]})"), "true");
    EXPECT_EQ(run(".o == .p", R"({"o":{"x":[1],"y":null},"p":{"y":null,"x":[1.0]}})"), "true");
    EXPECT_EQ(run(".o == .p", R"({"o":{"x":1},"p":{"x":1,"y":2}})"), "false");
    EXPECT_EQ(run(".o < .p", R"({"o":{"a":2},"p":{"b":1}})"), "true");
}

// Found by jq_fuzz under UBSan: the length of a whole number beyond int64 was cast to long.
TEST(jq, length_of_a_huge_number_stays_a_double) {
    EXPECT_EQ(run("2222222222222222222221011 | length", "null"), "2.2222222222222222E24");
    EXPECT_EQ(run("-5 | length", "null"), "5");
}

TEST(jq, assignment) {
    EXPECT_EQ(run(R"(.nodeName = "x")", R"({"a":1})"), R"({"a":1,"nodeName":"x"})");
    EXPECT_EQ(run(R"(.spec.nodeName="n1")", "{}"), R"({"spec":{"nodeName":"n1"}})");
    EXPECT_EQ(run(".a.b = .c", R"({"c":3})"), R"({"c":3,"a":{"b":3}})");
    EXPECT_EQ(run(".items[1] = true", "{}"), R"({"items":[null,true]})");
    EXPECT_EQ(run(".l[] = 0", R"({"l":[1,2]})"), R"({"l":[0,0]})");
    EXPECT_EQ(run(R"(.metadata.labels["a/b"] = "v")", "{}"), R"({"metadata":{"labels":{"a/b":"v"}}})");
    EXPECT_EQ(run(".a.b = 1", R"({"a":5})"), "<absent>");
    // Found by jq_fuzz: `.[611111111111] = 1` threw a length_error (an abort in the target).
    EXPECT_EQ(run(".c[611111111111] = 7", "{}"), "<absent>");
    EXPECT_EQ(run(".c[1048576] = 7", "{}"), "<absent>");
    EXPECT_EQ(run(".c[3] = 7 | .c | length", "{}"), "4");
}

TEST(jq, parse_errors_name_the_column) {
    try {
        jq_program::parse(".a | ]");
        FAIL() << "expected a parse error";
    } catch (const jq_parse_error& e) {
        EXPECT_EQ(e.column(), 6u);
        EXPECT_EQ(std::string(e.what()), "jq: column 6: unexpected `]` in `.a | ]`");
    }
    EXPECT_THROW(jq_program::parse(".a ==="), jq_parse_error);
    EXPECT_THROW(jq_program::parse("\"unterminated"), jq_parse_error);
    EXPECT_THROW(jq_program::parse("frobnicate(.)"), jq_parse_error);
    EXPECT_THROW(jq_program::parse(".a ("), jq_parse_error);
    std::string err;
    EXPECT_FALSE(jq_program::try_parse("select(", &err));
    EXPECT_NE(err.find("column"), std::string::npos);
}

TEST(jq, first_output) {
    auto p = jq_program::parse(".a[]");
    EXPECT_EQ(json::serialize(*p.first(json::parse(R"({"a":[4,5]})"))), "4");
    EXPECT_FALSE(p.first(json::parse(R"({"a":null})")));
}

}  // namespace

// fuzz/jq_fuzz: `,` under `|` multiplies outputs, so 2^25 outputs from a 100-byte program ran
// past libFuzzer's 20 s timeout. The run now stops at max_steps, a runtime error that names the
// limit and that `?` and `//` do not hide.
TEST(jq, a_run_stops_at_max_steps_with_an_error_naming_the_limit) {
    std::string text = "1";
    for (int i = 0; i < 25; ++i) text += ",1 | 1";
    auto p = jq_program::parse(text);
    std::string budget;
    std::size_t outputs = 0;
    bool ok = p.run(json::value(nullptr), [&](const json::value&) { return ++outputs, true; },
                    &budget);
    EXPECT_FALSE(ok);
    EXPECT_LT(outputs, jq_program::max_steps);
    EXPECT_EQ(budget, "jq: more than 1000000 evaluation steps (outputs multiplied by `,` and "
                      "`|`) in `" + text + "`");
    EXPECT_TRUE(p.run(json::value(nullptr)).empty()) << "the result is absent, as on any error";
    EXPECT_TRUE(jq_program::parse("(" + text + ")?").run(json::value(nullptr)).empty());
    EXPECT_TRUE(jq_program::parse("(" + text + ") // 2").run(json::value(nullptr)).empty());

    // Well below the limit, the same shape runs to the end: 2^10 outputs.
    std::string small = "1";
    for (int i = 0; i < 10; ++i) small += ",1 | 1";
    budget.clear();
    outputs = 0;
    EXPECT_TRUE(jq_program::parse(small).run(
        json::value(nullptr), [&](const json::value&) { return ++outputs, true; }, &budget));
    EXPECT_EQ(outputs, 1024u);
    EXPECT_TRUE(budget.empty());
}

// fuzz/jq_fuzz: 2,000 `[` overflowed the parser's stack (ASan stack-overflow).
TEST(jq, nesting_deeper_than_the_limit_is_a_parse_error) {
    std::string error;
    EXPECT_FALSE(jq_program::try_parse(std::string(2000, '['), &error));
    EXPECT_NE(error.find("nested deeper than 256"), std::string::npos) << error;
    std::string pipes = ".";
    for (int i = 0; i < 1000; ++i) pipes += " | .";
    EXPECT_FALSE(jq_program::try_parse(pipes, &error));
    EXPECT_NE(error.find("nested deeper than 256"), std::string::npos) << error;
    std::string ok = std::string(100, '[') + "1" + std::string(100, ']');
    auto p = jq_program::try_parse(ok, &error);
    ASSERT_TRUE(p) << error;
    EXPECT_EQ(p->run(json::value(nullptr)).size(), 1u);
}
