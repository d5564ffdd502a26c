// kwok's own stage golden cases (../shared/kwok-stages/<resource>/<set>/testdata), run through
// the whole stage engine: load the set's Stage files, match the input object, then weight,
// delay range and the played actions of every stage that could be picked, rendered with
// placeholder functions, compared structurally with <case>.output.yaml.

#include "kube/time.hpp"
#include "lang/gotpl.hpp"
#include "stages/template_funcs.hpp"
#include "lang/gotpl_format.hpp"
#include "stages/lifecycle.hpp"
#include "stages/stage.hpp"
#include "stages/steps.hpp"
#include "lang/yaml_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include "ghost_testing/control_plane.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace ghost::lang;
using ghost::kube::parse_rfc3339;
using namespace ghost::stages;

const fs::path corpus = fs::path(GHOST_SHARED_DIR) / "kwok-stages";

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

json::value yaml_file(const fs::path& p) {
    std::string err;
    auto r = yaml_to_json(slurp(p), &err);
    if (!r) throw std::runtime_error(p.string() + ": " + err);
    return *r;
}

// `Name(arg, ...)` with Go's %#v rendering of the arguments (strings quoted).
std::string call_text(std::string_view name, std::span<const json::value> args) {
    std::string s(name);
    s += '(';
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (i) s += ", ";
        if (args[i].is_string()) gotpl_format::append_go_quote(s, args[i].get_string());
        else gotpl_format::append_print(s, args[i]);
    }
    s += ')';
    return s;
}

// The golden placeholders: `<Now>`, `<NodeIP>`, `<NodeIPWith("node")>`,
// `<0 of NodeIPsWith("node")>` ...
func_map placeholder_funcs() {
    func_map f = kwok_default_funcs("<Version>", [] { return std::string("<Now>"); },
                                    [] { return std::string("<StartTime>"); });
    for (std::string name : {"NodeIP", "NodeName", "NodePort", "PodIP"}) {
        f[name] = [name](std::span<const json::value>) -> boost::system::result<json::value> {
            return json::value("<" + name + ">");
        };
    }
    for (std::string name : {"NodeIPWith", "PodIPWith"}) {
        f[name] = [name](std::span<const json::value> a) -> boost::system::result<json::value> {
            return json::value("<" + call_text(name, a) + ">");
        };
    }
    for (std::string name : {"NodeIPsWith", "PodIPsWith"}) {
        f[name] = [name](std::span<const json::value> a) -> boost::system::result<json::value> {
            std::string call = call_text(name, a);
            return json::value(json::array{json::value("<0 of " + call + ">"),
                                           json::value("<1 of " + call + ">")});
        };
    }
    return f;
}

json::value format_action(const action& a) {
    json::object o;
    switch (a.kind) {
    case action_kind::event:
        o["kind"] = "event";
        o["type"] = a.event.type;
        o["reason"] = a.event.reason;
        o["message"] = a.event.message;
        break;
    case action_kind::delete_object: o["kind"] = "delete"; break;
    case action_kind::patch:
    case action_kind::apply:
        o["kind"] = a.kind == action_kind::patch ? "patch" : "apply";
        o["type"] = content_type(a.type);
        if (!a.subresource.empty()) o["subresource"] = a.subresource;
        o["data"] = a.data;
        if (a.impersonation) o["impersonation"] = *a.impersonation;
        break;
    }
    return o;
}

struct golden_case {
    fs::path input;
    fs::path output;
    fs::path set_dir;
};

std::vector<golden_case> cases(const fs::path& root = corpus) {
    std::vector<golden_case> out;
    if (!fs::exists(root)) return out;
    for (auto& e : fs::recursive_directory_iterator(root)) {
        auto name = e.path().filename().string();
        if (!name.ends_with(".input.yaml") || e.path().parent_path().filename() != "testdata")
            continue;
        auto base = name.substr(0, name.size() - std::string_view(".input.yaml").size());
        out.push_back({e.path(), e.path().parent_path() / (base + ".output.yaml"),
                       e.path().parent_path().parent_path()});
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.input < b.input; });
    return out;
}

std::vector<std::string> stage_files_of(const fs::path& dir) {
    std::vector<std::string> out;
    for (auto& e : fs::directory_iterator(dir)) {
        auto name = e.path().filename().string();
        if (e.is_regular_file() && name.ends_with(".yaml") && name != "kustomization.yaml")
            out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// What kwok's stage_test.go produces for one input object.
json::value run_case(const golden_case& c) {
    const auto now = *parse_rfc3339("2006-01-02T15:04:05Z");
    json::value input = yaml_file(c.input);
    const auto& in = input.as_object();
    std::string api_group(in.at("apiVersion").as_string());
    std::string kind(in.at("kind").as_string());
    const auto& meta = in.at("metadata").as_object();

    std::vector<stage> of_kind;
    for (auto& s : load_stage_files(stage_files_of(c.set_dir)))
        if (s.api_group == api_group && s.kind == kind) of_kind.push_back(std::move(s));
    lifecycle lc(std::move(of_kind));

    func_map funcs = placeholder_funcs();
    render_fn render = [&](const compiled_template& t, const json::value& dot, std::string* err) {
        return t.render_to_json(dot, funcs, err);
    };
    play_options opts;
    opts.default_patch_type = patch_type::merge;  // the golden objects are unstructured

    json::array stages_out;
    for (const stage* s : lc.candidates(input)) {
        json::object st;
        st["stage"] = s->name;
        if (auto range = stage_delay_range(*s, input, now)) {
            json::array d;
            for (auto ns : *range) d.emplace_back(static_cast<std::int64_t>(ns.count()));
            st["delay"] = std::move(d);
        }
        if (auto w = stage_weight(*s, input)) st["weight"] = *w;
        std::string err;
        auto actions = play_stage(*s, input, render, opts, &err);
        if (!actions) throw std::runtime_error(c.input.string() + ": " + err);
        json::array next;
        for (auto& a : *actions) next.push_back(format_action(a));
        if (s->immediate_next_stage) next.push_back(json::object{{"kind", "immediate"}});
        st["next"] = std::move(next);
        stages_out.push_back(std::move(st));
    }
    json::object out;
    out["apiGroup"] = api_group;
    out["kind"] = kind;
    out["name"] = meta.at("name");
    if (auto* ns = meta.if_contains("namespace"); ns && ns->is_string() && !ns->get_string().empty())
        out["namespace"] = *ns;
    out["stages"] = std::move(stages_out);
    return out;
}

// Golden `data` may be embedded JSON/YAML text; normalise it to a structure.
void normalise(json::value& golden) {
    auto* stages = golden.as_object().if_contains("stages");
    if (!stages || !stages->is_array()) return;
    for (auto& st : stages->get_array()) {
        auto* next = st.as_object().if_contains("next");
        if (!next || !next->is_array()) continue;
        for (auto& a : next->get_array()) {
            auto* data = a.as_object().if_contains("data");
            if (!data || !data->is_string()) continue;
            if (auto r = yaml_to_json(data->get_string())) *data = *r;
        }
    }
    if (golden.as_object().if_contains("stages")->is_null())
        golden.as_object()["stages"] = json::array();
}

// First differing path, for a readable failure.
std::string first_difference(const json::value& want, const json::value& got,
                             const std::string& path = "") {
    if (want.is_object() && got.is_object()) {
        for (auto& kv : want.get_object()) {
            auto* g = got.get_object().if_contains(kv.key());
            if (!g) return path + "." + std::string(kv.key()) + ": missing";
            auto d = first_difference(kv.value(), *g, path + "." + std::string(kv.key()));
            if (!d.empty()) return d;
        }
        for (auto& kv : got.get_object())
            if (!want.get_object().contains(kv.key()))
                return path + "." + std::string(kv.key()) + ": unexpected";
        return "";
    }
    if (want.is_array() && got.is_array()) {
        auto& w = want.get_array();
        auto& g = got.get_array();
        for (std::size_t i = 0; i < w.size() && i < g.size(); ++i) {
            auto d = first_difference(w[i], g[i], path + "[" + std::to_string(i) + "]");
            if (!d.empty()) return d;
        }
        if (w.size() != g.size())
            return path + ": " + std::to_string(w.size()) + " items expected, got " +
                   std::to_string(g.size());
        return "";
    }
    if (want == got) return "";
    return path + ": expected " + json::serialize(want) + ", got " + json::serialize(got);
}

TEST(golden, corpus_has_cases) {
    ASSERT_TRUE(fs::exists(corpus)) << corpus;
    EXPECT_GE(cases().size(), 12u);
}

// Every case under `root` matches; returns how many were compared.
int compare_all(const fs::path& root) {
    int compared = 0;
    for (auto& c : cases(root)) {
        SCOPED_TRACE(c.input.string());
        if (!fs::exists(c.output)) {
            ADD_FAILURE() << c.output << " missing";
            continue;
        }
        json::value want = yaml_file(c.output);
        normalise(want);
        json::value got;
        try {
            got = run_case(c);
        } catch (const std::exception& e) {
            ADD_FAILURE() << e.what();
            continue;
        }
        auto diff = first_difference(want, got);
        EXPECT_TRUE(diff.empty()) << diff << "\n--- got:\n" << json::serialize(got);
        ++compared;
    }
    return compared;
}

TEST(golden, every_case_matches_kwok) { EXPECT_GE(compare_all(corpus), 12); }

// kwok's volume/fast set (CEL selectors, apply steps) is not in ../shared; its golden cases are
// read in place from kwok's source, which tools/get-control-plane.sh links.
TEST(golden, kwok_volume_fast_cases_match_kwok) {
    const fs::path set = ghost::testing::kwok_source_dir() / "kustomize/stage/volume/fast";
    if (!fs::exists(set)) GTEST_SKIP() << set << " missing: run tools/get-control-plane.sh";
    EXPECT_EQ(compare_all(set), 4);
}

// A broken stage set must not pass by accident: a stage that matches everything shows up.
TEST(golden, harness_detects_differences) {
    auto c = cases();
    ASSERT_FALSE(c.empty());
    json::value want = yaml_file(c.front().output);
    normalise(want);
    json::value got = run_case(c.front());
    got.as_object()["name"] = "other";
    EXPECT_FALSE(first_difference(want, got).empty());
}

}  // namespace
