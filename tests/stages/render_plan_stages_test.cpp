// Every shipped stage template (the built-in defaults, stages/sets/volume, kwok's stages read in
// place from ../shared/kwok-stages) rendered both ways, through the render plan and through
// the YAML path, against kwok's test objects and objects full of strings YAML 1.1 would read
// as something else: the JSON must be the same, so the fast path can never drift. The
// defaults must also take the plan (else it silently stops paying).
#include "lang/gotpl.hpp"
#include "lang/yaml_json.hpp"
#include "stages/default_stages.hpp"
#include "stages/stage.hpp"
#include "stages/template_funcs.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace ghost::stages;
using ghost::lang::func_map;

namespace {

const fs::path corpus = fs::path(GHOST_SHARED_DIR) / "kwok-stages";
const fs::path volume_set = fs::path(GHOST_SOURCE_DIR) / "stages" / "sets" / "volume";

json::value load_yaml(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string err;
    auto r = ghost::lang::yaml_to_json(ss.str(), &err);
    EXPECT_TRUE(r) << p << ": " << err;
    return r ? *r : json::value();
}

// Template functions as the simulation provides them; `odd` returns values YAML would retype.
func_map stage_funcs(bool odd) {
    func_map f = kwok_default_funcs(odd ? "1.0" : "v0.8.0",
                                    [] { return std::string("2027-01-15T08:00:00.123456789Z"); },
                                    [] { return std::string("2027-01-15T07:59:00Z"); });
    auto text = [](std::string v) {
        return [v](std::span<const json::value>) -> boost::system::result<json::value> {
            return json::value(json::string(v));
        };
    };
    f["NodeIP"] = text(odd ? "yes" : "10.0.0.1");
    f["NodeName"] = text(odd ? "true" : "node-1");
    f["NodePort"] = [odd](std::span<const json::value>) -> boost::system::result<json::value> {
        return odd ? json::value("0x1F") : json::value(10250);
    };
    f["PodIP"] = text(odd ? "~" : "10.0.0.5");
    f["NodeIPWith"] = text(odd ? "1e3" : "10.0.0.1");
    f["PodIPWith"] = text(odd ? "null" : "10.0.0.6");
    auto ips = [odd](std::span<const json::value>) -> boost::system::result<json::value> {
        if (odd) return json::value(json::array{"on", "1_000", "a: b"});
        return json::value(json::array{"10.0.0.7", "fd00::7"});
    };
    f["NodeIPsWith"] = ips;
    f["PodIPsWith"] = ips;
    return f;
}

// Strings go-yaml v2 would read as bool/null/number, or that need quoting, everywhere a
// template might print them.
json::value odd_object(std::string_view kind) {
    json::value o = json::parse(R"({
      "apiVersion": "v1",
      "metadata": {"name": "yes", "namespace": "0755", "uid": "1_000", "resourceVersion": "1",
                   "creationTimestamp": "2027-01-15T07:00:00Z",
                   "labels": {"on": "off", "x": "~"}, "annotations": {"a": "b: c", "n": "1e3"}},
      "spec": {"nodeName": "null", "hostNetwork": true,
               "containers": [{"name": "y", "image": ".inf"}, {"name": "NO", "image": "-1"}],
               "initContainers": [{"name": "0o17", "image": "+12", "restartPolicy": "Always"},
                                  {"name": "Off", "image": "i #x"}],
               "readinessGates": [{"conditionType": "True"}]},
      "status": {"phase": "Pending", "podIP": "", "addresses": [{"type": "InternalIP",
                 "address": "1.5"}], "allocatable": {"cpu": "1", "pods": "110"},
                 "capacity": {"cpu": "32"}, "nodeInfo": {"architecture": "arm64",
                 "osImage": "Y", "bootID": "'q'"},
                 "conditions": [{"type": "Ready", "status": "False"}]}
    })");
    o.as_object()["kind"] = kind;
    return o;
}

struct stage_source {
    std::string where;
    stage s;
};

std::vector<stage_source> shipped_stages() {
    std::vector<stage_source> out;
    for (bool leases : {false, true}) {
        for (auto& s : default_stages(leases)) out.push_back({"default", std::move(s)});
    }
    std::vector<fs::path> files;
    for (const auto& root : {corpus, volume_set}) {
        for (auto const& e : fs::recursive_directory_iterator(root)) {
            if (!e.is_regular_file() || e.path().extension() != ".yaml") continue;
            if (e.path().parent_path().filename() == "testdata") continue;
            if (e.path().filename() == "kustomization.yaml") continue;
            files.push_back(e.path());
        }
    }
    std::sort(files.begin(), files.end());
    for (const auto& p : files) {
        auto docs = load_config_file(p.string());
        for (auto& s : docs.stages) out.push_back({p.string(), std::move(s)});
    }
    return out;
}

std::vector<const ghost::lang::compiled_template*> templates_of(const stage& s) {
    std::vector<const ghost::lang::compiled_template*> out;
    for (const auto& step : s.steps) {
        if (step.patch) out.push_back(step.patch->templ.compiled.get());
        if (step.apply) out.push_back(step.apply->templ.compiled.get());
    }
    return out;
}

std::vector<json::value> objects_for(std::string_view kind) {
    std::vector<json::value> out;
    for (auto const& e : fs::recursive_directory_iterator(corpus)) {
        if (!e.path().filename().string().ends_with(".input.yaml")) continue;
        json::value o = load_yaml(e.path());
        if (o.is_object() && o.as_object().contains("kind") && o.at("kind").as_string() == kind)
            out.push_back(std::move(o));
    }
    out.push_back(odd_object(kind));
    return out;
}

}  // namespace

TEST(render_plan_stages, every_shipped_template_renders_the_same_both_ways) {
    auto stages = shipped_stages();
    ASSERT_GE(stages.size(), 20u);
    std::map<std::string, std::vector<json::value>> objects;
    int compared = 0, planned = 0;
    for (const auto& [where, s] : stages) {
        auto& objs = objects[s.kind];
        if (objs.empty()) objs = objects_for(s.kind);
        for (const auto* t : templates_of(s)) {
            for (const auto& obj : objs) {
                for (bool odd : {false, true}) {
                    auto funcs = stage_funcs(odd);
                    std::string what = where + ": stage " + s.name + (odd ? " (odd funcs)" : "") +
                                       " on " + json::serialize(obj.at("metadata").at("name"));
                    std::string err;
                    auto text = t->render(obj, funcs, &err);
                    json::value plan;
                    bool taken = t->render_plan(obj, funcs, plan);
                    if (!text) {  // a template error (e.g. index of a missing list)
                        EXPECT_FALSE(taken) << what;
                        continue;
                    }
                    auto via_yaml = ghost::lang::yaml_to_json(ghost::lang::trim_space(*text), &err);
                    auto combined = t->render_to_json(obj, funcs, &err);
                    ASSERT_EQ(bool(via_yaml), bool(combined)) << what << "\n" << *text;
                    if (!via_yaml) {
                        EXPECT_FALSE(taken) << what;
                        continue;
                    }
                    EXPECT_EQ(*combined, *via_yaml) << what << "\n" << *text;
                    if (taken) {
                        EXPECT_EQ(plan, *via_yaml) << what << "\n" << *text;
                        ++planned;
                    } else {
                        EXPECT_NE(where, "default") << what << ": the plan gave up on\n" << *text;
                    }
                    ++compared;
                }
            }
        }
    }
    std::printf("render plan: %d renders compared, %d built by the plan\n", compared, planned);
    EXPECT_GE(compared, 100);
    EXPECT_GE(planned, compared / 2);
}
