// The render plan (JSON built while a template runs) against the YAML path (render text, then
// YAML -> JSON): every template here renders both ways and must give the same JSON; the plan
// must take the plain block shapes and hand everything else to the YAML path.
#include "lang/gotpl.hpp"
#include "lang/yaml_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace json = boost::json;
using namespace ghost::lang;

namespace {

const json::value dot = json::parse(R"({
  "name": "n1", "yes": "yes", "num": "0755", "colon": "a: b", "hash": "x #y", "nl": "a\nb",
  "tab": "a\tb", "empty": "", "dash": "- x", "space": " lead", "int": 42, "float": 1.5,
  "flag": true, "nothing": null, "list": ["a", "on", "3"], "map": {"b": "2", "a": "x y"},
  "objs": [{"type": "A", "v": "1"}, {"type": "B", "v": "true"}]
})");

func_map funcs() {
    func_map f;
    f["YAML"] = [](std::span<const json::value> a) -> boost::system::result<json::value> {
        int n = a.size() > 1 ? int(a[1].to_number<std::int64_t>()) : 0;
        return json::value(json::string(json_to_yaml(a[0], n)));
    };
    f["Quote"] = [](std::span<const json::value> a) -> boost::system::result<json::value> {
        return json::value(json::string(json::serialize(a[0])));
    };
    return f;
}

// Renders both ways; returns whether the plan took it.
bool same_both_ways(std::string_view text) {
    auto t = compiled_template::parse(trim_space(text));
    EXPECT_TRUE(t) << text;
    if (!t) return false;
    std::string err;
    auto rendered = (*t)->render(dot, funcs(), &err);
    EXPECT_TRUE(rendered) << err;
    if (!rendered) return false;
    std::string yaml_err;
    auto via_yaml = yaml_to_json(trim_space(*rendered), &yaml_err);
    json::value planned;
    bool taken = (*t)->render_plan(dot, funcs(), planned);
    auto combined = (*t)->render_to_json(dot, funcs(), &err);
    if (!via_yaml) {
        EXPECT_FALSE(taken) << "plan took what YAML refuses:\n" << *rendered;
        EXPECT_FALSE(combined) << *rendered;
        return taken;
    }
    if (taken) EXPECT_EQ(planned, *via_yaml) << *rendered;
    EXPECT_TRUE(combined) << err;
    if (combined) EXPECT_EQ(*combined, *via_yaml) << *rendered;
    return taken;
}

}  // namespace

TEST(render_plan, plain_block_shapes_are_built_directly) {
    const char* taken[] = {
        "a: 1\nb: x\nc:\nd: \"q\"\ne: 'it''s'\nf: []\ng: {}",
        "phase: Running\nconditions:\n- type: Ready\n  status: \"True\"\n- type: B\n  status: x",
        "outer:\n  inner:\n    - a\n    - b: 1\n      c: 2\n  next: 3\nlast: true",
        // comments and blank lines, a key with nothing after it, the same key twice
        "# head\na: 1 # trailing\n\n  # indented comment\nb:\nb: 2",
        "{{ range .objs }}\n- type: {{ .type }}\n  v: {{ .v }}{{ end }}",
        "name: {{ .name }}\nyes: {{ .yes }}\nnum: {{ .num }}\nint: {{ .int }}\n"
        "float: {{ .float }}\nflag: {{ .flag }}\nnothing: {{ .nothing }}\nempty: {{ .empty }}",
        "q: {{ .colon | Quote }}\nr: {{ .hash | Quote }}\ns: {{ .nl | Quote }}",
        "lists:\n{{- range .list }}\n- {{ . }}\n{{- end }}\nafter: x",
        // multi-line action output: a nested YAML document
        "map:{{ YAML .map 1 }}\nobjs:{{ YAML .objs 1 }}\nend: 1",
        "{{- if .flag }}\nwhen: yes\n{{- else }}\nwhen: no\n{{- end }}",
        "  indented: first\nsecond: 2",
        "missing: {{ .nope }}",
        "-  a\n-   b: 1\n    c: 2\n-\n  - nested",
    };
    for (const char* t : taken) EXPECT_TRUE(same_both_ways(t)) << t;
}

TEST(render_plan, anything_else_goes_the_yaml_way_with_the_same_result) {
    const char* fallback[] = {
        "colon: {{ .colon }}",                       // a value that is a mapping
        "hash: {{ .hash }}",                         // plain scalar cut by a comment: fine
        "nl: {{ .nl }}",                             // multi-line plain scalar
        "tab: {{ .tab }}",                           // control characters
        "dash: {{ .dash }}",                         // "- x" as a value
        "flow: {a: 1, b: [x, y]}",                   // flow collections
        "block: |\n  text\n  more",                  // block scalars
        "anchor: &a x\nalias: *a",                   // anchors
        "---\na: 1",                                 // document markers
        "- - x\n  - y",                              // compact nested sequence
        "just a scalar",                             // a lone scalar document
        "{{ .name }}: value",                        // a key from an action
        "a: 1\n  b: 2",                              // bad indentation (YAML error too)
        "key:{{ .name }}",                           // no space after the colon
        "? complex\n: key",
    };
    for (const char* t : fallback) same_both_ways(t);
}

TEST(render_plan, template_errors_are_reported_once_not_retried_as_yaml) {
    auto t = compiled_template::parse("a: {{ index .list 9 }}");
    ASSERT_TRUE(t);
    std::string err;
    auto r = (*t)->render_to_json(dot, funcs(), &err);
    EXPECT_FALSE(r);
    EXPECT_NE(err.find("index out of range"), std::string::npos) << err;
}
