#include "lang/gotpl.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace json = boost::json;
using namespace ghost::lang;

namespace {

const json::value& data() {
    static const json::value v = json::parse(R"({
        "metadata": {"name": "pod-a", "labels": {"b": "2", "a": "1"}, "empty": {}, "nul": null},
        "spec": {"containers": [{"name": "c1", "image": "i1"}, {"name": "c2", "image": "i2"}],
                 "replicas": 3, "ratio": 0.5, "enabled": true, "none": [], "str": "",
                 "zero": 0},
        "list": ["x", "y", "z"]
    })");
    return v;
}

func_map test_funcs() {
    func_map f;
    f["Fail"] = [](std::span<const json::value>) -> boost::system::result<json::value> {
        return boost::system::errc::make_error_code(boost::system::errc::io_error);
    };
    f["Args"] = [](std::span<const json::value> a) -> boost::system::result<json::value> {
        json::array arr(a.begin(), a.end());
        return json::value(std::move(arr));
    };
    f["Throw"] = [](std::span<const json::value>) -> boost::system::result<json::value> {
        throw std::runtime_error("boom");
    };
    return f;
}

std::string render(std::string_view text, const json::value& dot = data()) {
    static const func_map funcs = test_funcs();
    std::string err;
    auto t = compiled_template::parse(text, &err);
    if (!t) return "PARSE ERROR: " + err;
    auto r = (*t)->render(dot, funcs, &err);
    if (!r) return "EXEC ERROR: " + err;
    return *r;
}

std::string error_of(std::string_view text, const json::value& dot = data()) {
    std::string out = render(text, dot);
    if (out.starts_with("PARSE ERROR: ")) return out.substr(13);
    if (out.starts_with("EXEC ERROR: ")) return out.substr(12);
    return "NO ERROR: " + out;
}

}  // namespace

TEST(gotpl, text_and_fields) {
    EXPECT_EQ(render("plain text"), "plain text");
    EXPECT_EQ(render("{{ .metadata.name }}"), "pod-a");
    EXPECT_EQ(render("{{.metadata.name}}-{{ .spec.replicas }}"), "pod-a-3");
    EXPECT_EQ(render("{{ .spec.ratio }} {{ .spec.enabled }}"), "0.5 true");
    EXPECT_EQ(render("{{ .missing }}|{{ .missing.deeper.still }}"), "<no value>|<no value>");
    EXPECT_EQ(render("{{ .metadata.nul }}"), "<no value>");
    EXPECT_EQ(render("{{ . }}", json::value("str")), "str");
    EXPECT_EQ(render("{{ .list }}"), "[x y z]");
    EXPECT_EQ(render("{{ .metadata.labels }}"), "map[a:1 b:2]");
}

TEST(gotpl, trim_markers_and_comments) {
    EXPECT_EQ(render("a  {{- .metadata.name -}}  \n b"), "apod-ab");
    EXPECT_EQ(render("a {{/* comment */}} b"), "a  b");
    EXPECT_EQ(render("a {{- /* comment */ -}} b"), "ab");
    EXPECT_EQ(render("{{ -1 }}"), "-1");
    EXPECT_EQ(render("x{{- 3}}"), "x3");
}

TEST(gotpl, literals) {
    EXPECT_EQ(render(R"({{ "a\tb\n\"q\"\u00e9\x41" }})"), "a\tb\n\"q\"\xc3\xa9" "A");
    EXPECT_EQ(render("{{ `raw \\n \"` }}"), "raw \\n \"");
    EXPECT_EQ(render("{{ 42 }} {{ -7 }} {{ 0x1F }} {{ 1_000 }} {{ 1.5 }} {{ 1e6 }}"),
              "42 -7 31 1000 1.5 1e+06");
    EXPECT_EQ(render("{{ 'a' }} {{ true }} {{ false }}"), "97 true false");
    EXPECT_EQ(render("{{ `\"\"` }}"), "\"\"");
}

TEST(gotpl, if_else_chain) {
    const char* t =
        "{{ if eq .spec.replicas 1 }}one{{ else if eq .spec.replicas 3 }}three"
        "{{ else }}other{{ end }}";
    EXPECT_EQ(render(t), "three");
    EXPECT_EQ(render("{{ if .missing }}y{{ else }}n{{ end }}"), "n");
    EXPECT_EQ(render("{{ if .spec.none }}y{{ else }}n{{ end }}"), "n");
    EXPECT_EQ(render("{{ if .spec.str }}y{{ else }}n{{ end }}"), "n");
    EXPECT_EQ(render("{{ if .spec.zero }}y{{ else }}n{{ end }}"), "n");
    EXPECT_EQ(render("{{ if .metadata.empty }}y{{ else }}n{{ end }}"), "n");
    EXPECT_EQ(render("{{ if .metadata.labels }}y{{ else }}n{{ end }}"), "y");
    EXPECT_EQ(render("{{ if $x := .metadata.name }}{{ $x }}{{ end }}"), "pod-a");
}

TEST(gotpl, with_else) {
    EXPECT_EQ(render("{{ with .metadata.labels }}{{ .a }}{{ else }}none{{ end }}"), "1");
    EXPECT_EQ(render("{{ with .missing }}{{ .a }}{{ else }}none{{ end }}"), "none");
    EXPECT_EQ(render("{{ with .missing }}a{{ else with .metadata }}{{ .name }}{{ end }}"),
              "pod-a");
    EXPECT_EQ(render("{{ with $n := .metadata.name }}{{ $n }}/{{ . }}{{ end }}"), "pod-a/pod-a");
}

TEST(gotpl, range_forms) {
    EXPECT_EQ(render("{{ range .list }}[{{ . }}]{{ end }}"), "[x][y][z]");
    EXPECT_EQ(render("{{ range $i, $v := .list }}{{ $i }}={{ $v }};{{ end }}"), "0=x;1=y;2=z;");
    EXPECT_EQ(render("{{ range $v := .list }}{{ $v }}{{ end }}"), "xyz");
    EXPECT_EQ(render("{{ range $k, $v := .metadata.labels }}{{ $k }}{{ $v }}{{ end }}"), "a1b2");
    EXPECT_EQ(render("{{ range .metadata.labels }}{{ . }}{{ end }}"), "12");
    EXPECT_EQ(render("{{ range .spec.none }}x{{ else }}empty{{ end }}"), "empty");
    EXPECT_EQ(render("{{ range .missing }}x{{ else }}empty{{ end }}"), "empty");
    EXPECT_EQ(render("{{ range .spec.containers }}{{ .name }}:{{ .image }} {{ end }}"),
              "c1:i1 c2:i2 ");
    EXPECT_EQ(render("{{ range 3 }}{{ . }}{{ end }}"), "012");
    EXPECT_EQ(render("{{ range .list }}{{ if eq . \"y\" }}{{ continue }}{{ end }}{{ . }}{{ end }}"),
              "xz");
    EXPECT_EQ(render("{{ range .list }}{{ if eq . \"y\" }}{{ break }}{{ end }}{{ . }}{{ end }}"),
              "x");
    EXPECT_NE(error_of("{{ range .metadata.name }}{{ end }}").find("range can't iterate over"),
              std::string::npos);
}

TEST(gotpl, variables_scope_and_assignment) {
    // Assignment inside range updates the outer variable (Go 1.11+).
    EXPECT_EQ(render("{{ $found := false }}{{ range .list }}{{ if eq . \"y\" }}"
                     "{{ $found = true }}{{ end }}{{ end }}{{ $found }}"),
              "true");
    // Declaration inside a block shadows and is popped at its end.
    EXPECT_EQ(render("{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}"), "21");
    EXPECT_EQ(render("{{ $ }}", json::value("root")), "root");
    EXPECT_EQ(render("{{ range .list }}{{ $.metadata.name }}{{ end }}"), "pod-apod-apod-a");
    EXPECT_EQ(render("{{ $root := . }}{{ range $i, $c := .spec.containers }}"
                     "{{ (index $root.list $i) }}{{ $c.name }}{{ end }}"),
              "xc1yc2");
    EXPECT_EQ(render("{{ $n := .status.nodeInfo }}{{ or $n.arch \"amd64\" }}"), "amd64");
    EXPECT_EQ(render("{{ $a := 1 }}{{ $b := 2 }}{{ $a = $b }}{{ $a }}{{ $b }}"), "22");
    // A declaration does not print.
    EXPECT_EQ(render("{{ $x := 5 }}"), "");
}

TEST(gotpl, and_or_not) {
    EXPECT_EQ(render("{{ or .missing \"dflt\" }}"), "dflt");
    EXPECT_EQ(render("{{ or .metadata.name \"dflt\" }}"), "pod-a");
    EXPECT_EQ(render("{{ and .metadata.name .spec.replicas }}"), "3");
    EXPECT_EQ(render("{{ and .spec.zero .missing.x }}"), "0");
    EXPECT_EQ(render("{{ or .missing .spec.str }}"), "");
    EXPECT_EQ(render("{{ not .missing }} {{ not 1 }}"), "true false");
    // Short circuit: the failing function is never called.
    EXPECT_EQ(render("{{ or true (Fail) }}"), "true");
    EXPECT_EQ(render("{{ and false (Fail) }}"), "false");
    EXPECT_EQ(render("{{ \"x\" | or .missing }}"), "x");
    EXPECT_EQ(render("{{ or (not true) (not false) }}"), "true");
    EXPECT_EQ(render("{{ $a := or .metadata.annotations dict }}{{ len $a }}"), "0");
}

TEST(gotpl, comparisons) {
    EXPECT_EQ(render("{{ eq .metadata.name \"pod-a\" }}"), "true");
    EXPECT_EQ(render("{{ eq .metadata.name \"x\" \"pod-a\" }}"), "true");
    EXPECT_EQ(render("{{ eq .missing \"x\" }} {{ eq \"x\" .missing }}"), "false false");
    EXPECT_EQ(render("{{ eq .missing .also_missing }}"), "true");
    EXPECT_EQ(render("{{ eq .spec.replicas 3 }} {{ eq .spec.ratio 0.5 }} {{ eq 3 3.0 }}"),
              "true true true");
    EXPECT_EQ(render("{{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1 2 }}"),
              "true true true true false");
    EXPECT_EQ(render("{{ eq true true }} {{ ne true false }}"), "true true");
    EXPECT_NE(error_of("{{ eq 1 \"1\" }}").find("incompatible types for comparison"),
              std::string::npos);
    EXPECT_NE(error_of("{{ lt .missing 1 }}").find("invalid type for comparison"),
              std::string::npos);
    EXPECT_NE(error_of("{{ eq .list .list }}").find("non-comparable"), std::string::npos);
}

TEST(gotpl, index_and_len) {
    EXPECT_EQ(render("{{ index .list 1 }}"), "y");
    EXPECT_EQ(render("{{ index .metadata.labels \"b\" }}"), "2");
    EXPECT_EQ(render("{{ index . \"spec\" \"containers\" 1 \"name\" }}"), "c2");
    EXPECT_EQ(render("{{ index .metadata.labels \"zz\" }}"), "<no value>");
    EXPECT_EQ(render("{{ index .list }}"), "[x y z]");
    EXPECT_EQ(render("{{ (index .spec.containers 0).name }}"), "c1");
    EXPECT_EQ(render("{{ len .list }} {{ len .metadata.labels }} {{ len .metadata.name }}"),
              "3 2 5");
    EXPECT_NE(error_of("{{ index .list 5 }}").find("index out of range: 5"), std::string::npos);
    EXPECT_NE(error_of("{{ index .missing 0 }}").find("index of untyped nil"), std::string::npos);
}

TEST(gotpl, print_functions) {
    EXPECT_EQ(render("{{ printf \"kwok-%s\" .metadata.name }}"), "kwok-pod-a");
    EXPECT_EQ(render("{{ printf \"%d|%5d|%-3d|%03d|%x|%q|%v|%t|%%\" "
                     "7 7 7 7 255 \"a\" .list true }}"),
              "7|    7|7  |007|ff|\"a\"|[x y z]|true|%");
    EXPECT_EQ(render("{{ printf \"%.2f|%f|%e\" 1.5 .spec.ratio 1500.0 }}"),
              "1.50|0.500000|1.500000e+03");
    EXPECT_EQ(render("{{ printf \"%s %s\" \"a\" }}"), "a %!s(MISSING)");
    EXPECT_EQ(render("{{ printf \"%s\" \"a\" \"b\" }}"), "a%!(EXTRA string=b)");
    EXPECT_EQ(render("{{ printf \"%d\" \"a\" }}"), "%!d(string=a)");
    EXPECT_EQ(render("{{ print \"a\" 1 2 \"b\" }}"), "a1 2b");
    EXPECT_EQ(render("{{ println \"a\" 1 }}"), "a 1\n");
    EXPECT_EQ(render("{{ html \"<a href='x'>&\" }}"), "&lt;a href=&#39;x&#39;&gt;&amp;");
    EXPECT_EQ(render("{{ urlquery \"a b&c\" }}"), "a+b%26c");
}

TEST(gotpl, pipelines_and_parens) {
    EXPECT_EQ(render("{{ .metadata.name | printf \"<%s>\" }}"), "<pod-a>");
    EXPECT_EQ(render("{{ .metadata.name | printf \"%s-%s\" \"x\" }}"), "x-pod-a");
    EXPECT_EQ(render("{{ Args 1 (Args 2 3) | Args }}"), "[[1 [2 3]]]");
    EXPECT_EQ(render("{{ Args .missing nil }}"), "[<nil> <nil>]");
    EXPECT_EQ(render("{{ (Args 1 2) }}"), "[1 2]");
    EXPECT_EQ(render("{{ ( or .missing \"p\" ) | upper }}"), "P");
}

TEST(gotpl, sprig_functions) {
    EXPECT_EQ(render("{{ default \"d\" .missing }} {{ default \"d\" .metadata.name }}"),
              "d pod-a");
    EXPECT_EQ(render("{{ default \"d\" .spec.str }} {{ default 5 .spec.zero }}"), "d 5");
    EXPECT_EQ(render("{{ .missing | default \"p\" }}"), "p");
    EXPECT_EQ(render("{{ $d := dict \"a\" 1 \"b\" .list }}{{ $d.a }} {{ index $d \"b\" 2 }}"),
              "1 z");
    EXPECT_EQ(render("{{ list 1 \"a\" }} {{ empty .spec.none }} {{ empty .list }}"),
              "[1 a] true false");
    EXPECT_EQ(render("{{ hasKey .metadata.labels \"a\" }} {{ has \"y\" .list }}"), "true true");
    EXPECT_EQ(render("{{ quote \"a\" 1 }} {{ squote \"a\" }}"), "\"a\" \"1\" 'a'");
    EXPECT_EQ(render("{{ toJson .metadata.labels }} {{ toString 5 }}"), R"({"b":"2","a":"1"} 5)");
    EXPECT_EQ(render("{{ trim \"  x \" }}{{ upper \"a\" }}{{ lower \"B\" }}"), "xAb");
    EXPECT_EQ(render("{{ replace \"a\" \"b\" \"aXa\" }} {{ contains \"X\" \"aXa\" }}"), "bXb true");
    EXPECT_EQ(render("{{ hasPrefix \"po\" .metadata.name }} {{ hasSuffix \"x\" \"ab\" }}"),
              "true false");
    EXPECT_EQ(render("{{ join \",\" (splitList \"-\" \"a-b-c\") }}"), "a,b,c");
    EXPECT_EQ(render("{{ add 1 2 3 }} {{ sub 5 2 }} {{ mul 2 3 }} {{ div 7 2 }} {{ mod 7 2 }}"),
              "6 3 6 3 1");
    EXPECT_EQ(render("{{ int \"12\" }} {{ atoi \"7\" }} {{ add1 .spec.replicas }}"), "12 7 4");
    EXPECT_EQ(render("{{ ternary \"y\" \"n\" true }} {{ coalesce .missing \"\" \"c\" }}"), "y c");
    EXPECT_EQ(render("{{ get .metadata.labels \"a\" }}"), "1");
}

TEST(gotpl, parse_errors_have_positions) {
    EXPECT_EQ(error_of("line1\n  {{ Foo }}"), "template:2:5: function \"Foo\" not defined");
    EXPECT_EQ(error_of("{{ $undefined }}"), "template:1:3: undefined variable \"$undefined\"");
    EXPECT_NE(error_of("{{ if .x }}").find("unexpected EOF"), std::string::npos);
    EXPECT_NE(error_of("{{ end }}").find("unexpected {{end}}"), std::string::npos);
    EXPECT_NE(error_of("{{ .x ").find("unclosed action"), std::string::npos);
    EXPECT_NE(error_of("{{ \"abc }}").find("unterminated quoted string"), std::string::npos);
    EXPECT_NE(error_of("{{ break }}").find("outside {{range}}"), std::string::npos);
    EXPECT_NE(error_of("{{ }}").find("missing value for command"), std::string::npos);
    EXPECT_NE(error_of("{{ (1 }}").find("unclosed left paren"), std::string::npos);
    EXPECT_NE(error_of("{{ if 1 }}{{ $v := 1 }}{{ else }}{{ $v }}{{ end }}").find("undefined"),
              std::string::npos);
    EXPECT_NE(error_of("{{ template \"x\" }}").find("not supported"), std::string::npos);
}

TEST(gotpl, exec_errors) {
    EXPECT_EQ(error_of("{{ Fail }}").find("template:1:3: error calling Fail:"), 0u);
    EXPECT_NE(error_of("{{ Throw }}").find("boom"), std::string::npos);
    EXPECT_NE(error_of("{{ .metadata.name.x }}").find("can't evaluate field x in type string"),
              std::string::npos);
    EXPECT_NE(error_of("{{ .metadata.nul.x }}").find("nil pointer evaluating"), std::string::npos);
    EXPECT_NE(error_of("{{ nil }}").find("nil is not a command"), std::string::npos);
    EXPECT_NE(error_of("{{ 1 2 }}").find("can't give argument to non-function"),
              std::string::npos);
    EXPECT_NE(error_of("{{ .metadata.name 2 }}").find("not a method"), std::string::npos);
}

TEST(gotpl, render_to_json_reads_the_output_as_yaml) {
    func_map funcs = test_funcs();
    std::string err;
    EXPECT_FALSE(compiled_template::parse("{{ if }}", &err));
    EXPECT_FALSE(err.empty());
    auto t = compiled_template::parse(
        trim_space("\na: {{ .spec.replicas }}\nb: {{ .metadata.name }}\nc:\n"));
    ASSERT_TRUE(t);
    auto j = (*t)->render_to_json(data(), funcs);
    ASSERT_TRUE(j);
    EXPECT_EQ(*j, json::parse(R"({"a":3,"b":"pod-a","c":null})"));
    EXPECT_EQ(trim_space("  {{ .metadata.name }}\n"), "{{ .metadata.name }}");
}

TEST(gotpl, caller_functions_override_sprig) {
    func_map funcs;
    funcs["upper"] = [](std::span<const json::value>) -> boost::system::result<json::value> {
        return json::value("mine");
    };
    auto t = compiled_template::parse("{{ upper \"x\" }}");
    ASSERT_TRUE(t);
    EXPECT_EQ(*(*t)->render(json::value(), funcs), "mine");
}

namespace {

// Found by gotpl_fuzz (out of memory): Go would run "range 27" nested eight deep for ever.
TEST(gotpl, a_runaway_template_ends_in_an_error) {
    EXPECT_EQ(error_of("{{ range 100000000 }}{{ end }}"),
              "template:1:3: template execution exceeded 1000000 steps");
    EXPECT_EQ(error_of("{{ range 100 }}{{ range 100 }}{{ range 100 }}x{{ end }}{{ end }}{{ end }}"),
              "template:1:45: template execution exceeded 1000000 steps");
    // 20,000 copies of a 1 KiB string: 20 MiB of output in 20,000 steps.
    json::value big = json::parse("{\"s\": \"" + std::string(1024, 'a') + "\"}");
    EXPECT_EQ(error_of("{{ range 20000 }}{{ $.s }}{{ end }}", big),
              "template:1:3: template output exceeded 16 MiB");
    // The render plan's path (straight to JSON) has the same budget.
    std::string err;
    auto t = compiled_template::parse("{{ range 100000000 }}{{ end }}", &err);
    ASSERT_TRUE(t) << err;
    auto r = (*t)->render_to_json(data(), func_map{}, &err);
    EXPECT_FALSE(r);
    EXPECT_NE(err.find("exceeded 1000000 steps"), std::string::npos) << err;
    // Large but finite templates still run.
    EXPECT_EQ(render("{{ range 300 }}{{ range 300 }}{{ end }}{{ end }}ok"), "ok");
}

}  // namespace

namespace {

// Found by gotpl_fuzz: 2,765 nested parentheses overflowed the stack under ASan.
TEST(gotpl, nesting_deeper_than_200_is_a_parse_error) {
    std::string parens = "{{ " + std::string(300, '(') + "1" + std::string(300, ')') + " }}";
    EXPECT_NE(error_of(parens).find("max expression depth exceeded"), std::string::npos);
    std::string blocks;
    for (int i = 0; i < 300; ++i) blocks += "{{ if true }}";
    for (int i = 0; i < 300; ++i) blocks += "{{ end }}";
    EXPECT_NE(error_of(blocks).find("max expression depth exceeded"), std::string::npos);
    EXPECT_EQ(render("{{ " + std::string(50, '(') + "1" + std::string(50, ')') + " }}"), "1");
}

}  // namespace
