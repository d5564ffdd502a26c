#include "stages/template_funcs.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace json = boost::json;
using namespace ghost::lang;
using namespace ghost::lang;
using namespace ghost::stages;

namespace {

const json::value& data() {
    static const json::value v = json::parse(R"({
        "metadata": {"name": "pod-a", "labels": {"b": "2", "a": "1"}},
        "list": ["x", "y", "z"]
    })");
    return v;
}

std::string render(std::string_view text) {
    static const func_map funcs = kwok_default_funcs("v1.2.3", [] { return std::string("NOW"); });
    std::string err;
    auto t = compiled_template::parse(text, &err);
    if (!t) return "PARSE ERROR: " + err;
    auto r = (*t)->render(data(), funcs, &err);
    if (!r) return "EXEC ERROR: " + err;
    return *r;
}

}  // namespace

TEST(template_funcs, kwok_functions) {
    EXPECT_EQ(render("{{ Quote 5 }} {{ Quote nil }} {{ Quote .missing }} {{ Quote \"a\\\"b\" }}"),
              "\"5\" \"null\" \"null\" \"a\\\"b\"");
    EXPECT_EQ(render("{{ Quote .metadata.labels }}"), R"("{\"b\":\"2\",\"a\":\"1\"}")");
    EXPECT_EQ(render("{{ Quote true }}"), "\"true\"");
    EXPECT_EQ(render("{{ Now }}"), "NOW");
    EXPECT_EQ(render("x:{{ YAML .metadata.labels 1 }}"), "x:\n  a: \"1\"\n  b: \"2\"\n  ");
    EXPECT_EQ(render("{{ YAML .list }}"), "- x\n- \"y\"\n- z\n");
    EXPECT_EQ(render("{{ range NodeConditions }}{{ .type }}={{ .status }},{{ end }}"),
              "Ready=True,MemoryPressure=False,DiskPressure=False,PIDPressure=False,"
              "NetworkUnavailable=False,");
}

// Found by gotpl_fuzz under UBSan: a 52-digit indent was cast from double to int.
TEST(template_funcs, yaml_indent_must_be_a_small_whole_number) {
    EXPECT_EQ(render("x:{{ YAML .metadata.labels 1.0 }}"), "x:\n  a: \"1\"\n  b: \"2\"\n  ");
    for (auto bad : {"1111111111111111111111111111111111111111111111111111", "1.5", "-1", "5000",
                     "\"2\""}) {
        auto out = render("{{ YAML .metadata.labels " + std::string(bad) + " }}");
        EXPECT_TRUE(out.starts_with("EXEC ERROR")) << bad << ": " << out;
    }
}

TEST(template_funcs, quote_in_a_pipeline) {
    EXPECT_EQ(render("{{ .metadata.name | Quote }}"), "\"pod-a\"");
    EXPECT_EQ(render("{{ Version }}"), "v1.2.3");
}
