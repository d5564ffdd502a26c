// Renders every template of kwok's shipped stages (read in place from ../shared/kwok-stages) with
// the golden placeholder functions, and compares the rendered patches with the golden outputs.

#include "lang/gotpl.hpp"
#include "stages/template_funcs.hpp"
#include "lang/gotpl_format.hpp"
#include "lang/yaml_json.hpp"

#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace ghost::lang;
using namespace ghost::stages;

namespace ghost::lang::detail_testing {
boost::system::result<json::value> yaml_to_json_slow(std::string_view yaml, std::string* err);
bool yaml_to_json_fast(std::string_view yaml, json::value& out);
}  // namespace ghost::lang::detail_testing

namespace {

const fs::path stages_dir = fs::path(GHOST_SHARED_DIR) / "kwok-stages";

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

json::value load_yaml(const fs::path& p) {
    std::string err;
    auto r = yaml_to_json(read_file(p), &err);
    EXPECT_TRUE(r) << p << ": " << err;
    return r ? *r : json::value();
}

// `Name(args)` in the golden placeholder notation: strings quoted, other values printed.
std::string call_text(std::string_view name, std::span<const json::value> args) {
    std::string s(name);
    s.push_back('(');
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (i > 0) s.append(", ");
        if (args[i].is_string()) gotpl_format::append_go_quote(s, args[i].get_string());
        else gotpl_format::append_print(s, args[i]);
    }
    s.push_back(')');
    return s;
}

func_map placeholder_funcs() {
    func_map f = kwok_default_funcs("<Version>", [] { return std::string("<Now>"); },
                                    [] { return std::string("<StartTime>"); });
    for (const char* name : {"NodeIP", "NodeName", "NodePort", "PodIP"}) {
        std::string text = std::string("<") + name + ">";
        f[name] = [text](std::span<const json::value>) -> boost::system::result<json::value> {
            return json::value(json::string(text));
        };
    }
    for (const char* name : {"NodeIPWith", "PodIPWith"}) {
        std::string n = name;
        f[name] = [n](std::span<const json::value> a) -> boost::system::result<json::value> {
            return json::value(json::string("<" + call_text(n, a) + ">"));
        };
    }
    for (const char* name : {"NodeIPsWith", "PodIPsWith"}) {
        std::string n = name;
        f[name] = [n](std::span<const json::value> a) -> boost::system::result<json::value> {
            std::string call = call_text(n, a);
            return json::value(json::array{json::string("<0 of " + call + ">"),
                                           json::string("<1 of " + call + ">")});
        };
    }
    return f;
}

struct stage_template {
    std::string root;
    std::string text;
};

// The patch templates a stage produces, in action order (legacy `next` and v0.8 `steps`).
std::vector<stage_template> templates_of(const json::value& stage) {
    std::vector<stage_template> out;
    const auto& spec = stage.at("spec").as_object();
    if (auto* steps = spec.if_contains("steps")) {
        for (auto const& step : steps->as_array()) {
            for (const char* kind : {"patch", "apply"}) {
                if (auto* p = step.as_object().if_contains(kind)) {
                    std::string root;
                    if (auto* r = p->as_object().if_contains("root")) root = r->as_string();
                    out.push_back({root, std::string(p->at("template").as_string())});
                }
            }
        }
        return out;
    }
    const auto* next = spec.if_contains("next");
    if (!next) return out;
    const auto& n = next->as_object();
    if (auto* patches = n.if_contains("patches"); patches && !patches->as_array().empty()) {
        for (auto const& p : patches->as_array()) {
            std::string root;
            if (auto* r = p.as_object().if_contains("root")) root = r->as_string();
            out.push_back({root, std::string(p.at("template").as_string())});
        }
    } else if (auto* st = n.if_contains("statusTemplate")) {
        out.push_back({"status", std::string(st->as_string())});
    }
    return out;
}

// Stage files are read here as plain YAML (not as Stages), so their templates compile here.
boost::system::result<json::value> render_yaml(std::string_view text, const json::value& obj,
                                               const func_map& funcs, std::string* err) {
    auto t = compiled_template::parse(trim_space(text), err);
    if (!t) return t.error();
    return (*t)->render_to_json(obj, funcs, err);
}

boost::system::result<std::string> render_text(std::string_view text, const json::value& obj,
                                               const func_map& funcs, std::string* err) {
    auto t = compiled_template::parse(trim_space(text), err);
    if (!t) return t.error();
    return (*t)->render(obj, funcs, err);
}

struct stage_file {
    fs::path path;
    json::value doc;
};

std::vector<stage_file> stage_files() {
    std::vector<stage_file> out;
    for (auto const& e : fs::recursive_directory_iterator(stages_dir)) {
        if (!e.is_regular_file() || e.path().extension() != ".yaml") continue;
        if (e.path().parent_path().filename() == "testdata") continue;
        out.push_back({e.path(), load_yaml(e.path())});
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.path < b.path; });
    return out;
}

json::value render_patch(const stage_template& t, const json::value& obj,
                         std::string& err) {
    auto r = render_yaml(t.text, obj, placeholder_funcs(), &err);
    if (!r) return json::string("<render failed>");
    if (t.root.empty()) return *r;
    return json::object{{t.root, *r}};
}

}  // namespace

TEST(gotpl_stages, corpus_is_present) {
    ASSERT_TRUE(fs::exists(stages_dir)) << stages_dir;
    EXPECT_GE(stage_files().size(), 14u);
}

// Every template renders to valid YAML against a plain pending object of its kind.
TEST(gotpl_stages, every_template_renders) {
    json::value node = load_yaml(stages_dir / "node/fast/testdata/node-pending.input.yaml");
    json::value pod = load_yaml(stages_dir / "pod/fast/testdata/pod-pending.input.yaml");
    json::value pod_running =
        load_yaml(stages_dir / "pod/fast/testdata/pod-running-with-job.input.yaml");
    int rendered = 0;
    for (auto const& sf : stage_files()) {
        const auto& kind = sf.doc.at("spec").at("resourceRef").at("kind").as_string();
        for (auto const& t : templates_of(sf.doc)) {
            // Stages that index the existing container statuses need an object that has them
            // (Go's `index` of a missing list fails the same way).
            bool needs_statuses = t.text.find("index $root.status") != std::string::npos;
            const json::value& obj = kind == "Node" ? node : needs_statuses ? pod_running : pod;
            std::string err;
            auto r = render_yaml(t.text, obj, placeholder_funcs(), &err);
            EXPECT_TRUE(r) << sf.path << ": " << err;
            if (r) {
                EXPECT_TRUE(r->is_object()) << sf.path << ": " << json::serialize(*r);
                ++rendered;
            }
            // The rendered YAML takes the fast block parser and agrees with yaml-cpp.
            auto text = render_text(t.text, obj, placeholder_funcs(), &err);
            ASSERT_TRUE(text) << err;
            json::value fast;
            EXPECT_TRUE(ghost::lang::detail_testing::yaml_to_json_fast(trim_space(*text), fast)) << *text;
            auto slow = ghost::lang::detail_testing::yaml_to_json_slow(trim_space(*text), &err);
            ASSERT_TRUE(slow) << err;
            EXPECT_EQ(fast, *slow) << sf.path;
        }
    }
    EXPECT_GE(rendered, 12);
}

// The real proof: each golden case's patch data equals what we render.
TEST(gotpl_stages, golden_patch_data_matches) {
    auto files = stage_files();
    int compared = 0;
    for (auto const& e : fs::recursive_directory_iterator(stages_dir)) {
        const auto& p = e.path();
        std::string name = p.filename().string();
        if (!name.ends_with(".output.yaml")) continue;
        fs::path input_path =
            p.parent_path() / (name.substr(0, name.size() - 12) + ".input.yaml");
        json::value input = load_yaml(input_path);
        json::value golden = load_yaml(p);
        fs::path folder = p.parent_path().parent_path();
        auto* stages = golden.as_object().if_contains("stages");
        if (!stages || !stages->is_array()) continue;
        for (auto const& st : stages->as_array()) {
            std::string stage_name(st.at("stage").as_string());
            const stage_file* sf = nullptr;
            for (auto const& f : files)
                if (f.path.parent_path() == folder &&
                    f.doc.at("metadata").at("name").as_string() == stage_name)
                    sf = &f;
            ASSERT_NE(sf, nullptr) << stage_name << " in " << folder;
            auto templates = templates_of(sf->doc);
            std::size_t ti = 0;
            for (auto const& action : st.at("next").as_array()) {
                if (action.at("kind").as_string() != "patch") continue;
                ASSERT_LT(ti, templates.size()) << p;
                std::string err;
                json::value got = render_patch(templates[ti++], input, err);
                EXPECT_EQ(got, action.at("data"))
                    << p << " stage " << stage_name << " " << err << "\n got: "
                    << json::serialize(got)
                    << "\nwant: " << json::serialize(action.at("data"));
                ++compared;
            }
        }
    }
    std::printf("golden patches compared: %d\n", compared);
    EXPECT_GE(compared, 10);
}

// Hot-path budget: pod-ready for a typical pod (render only, and render + YAML -> JSON).
TEST(gotpl_stages, pod_ready_renders_repeatedly) {
    json::value stage = load_yaml(stages_dir / "pod/fast/pod-ready.yaml");
    json::value pod = load_yaml(stages_dir / "pod/fast/testdata/pod-pending.input.yaml");
    std::string text(stage.at("spec").at("next").at("statusTemplate").as_string());
    auto t = compiled_template::parse(trim_space(text));
    ASSERT_TRUE(t);
    func_map funcs = placeholder_funcs();
    constexpr int n = 2000;
    std::string out;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
        out.clear();
        ASSERT_FALSE((*t)->execute(out, pod, funcs));
    }
    auto mid = std::chrono::steady_clock::now();
    for (int i = 0; i < n / 4; ++i) ASSERT_TRUE((*t)->render_to_json(pod, funcs));
    auto end = std::chrono::steady_clock::now();
    double render_us = std::chrono::duration<double, std::micro>(mid - start).count() / n;
    double full_us = std::chrono::duration<double, std::micro>(end - mid).count() / (n / 4);
    std::printf("pod-ready: render %.2f us, render+yaml %.2f us\n", render_us, full_us);
    // Printed only: speed is measured by bench/ (no time bounds in tests).
    EXPECT_FALSE(out.empty());
}

// node-initialize on a node that already reports capacity, addresses and nodeInfo: existing
// values are kept (the `YAML . 1` path) and addresses are not duplicated.
TEST(gotpl_stages, node_initialize_keeps_existing_status) {
    json::value stage = load_yaml(stages_dir / "node/fast/node-initialize.yaml");
    std::string text(stage.at("spec").at("next").at("statusTemplate").as_string());
    json::value node = load_yaml(stages_dir / "node/fast/testdata/node-pending.input.yaml");
    json::object st;
    st["allocatable"] = json::object{{"cpu", "32"}, {"memory", "256Gi"}, {"pods", "110"}};
    st["capacity"] = json::object{{"cpu", "32"}, {"ephemeral-storage", "1Ti"}};
    st["addresses"] = json::array{json::object{{"type", "InternalIP"}, {"address", "10.1.2.3"}}};
    st["nodeInfo"] = json::object{{"architecture", "arm64"}, {"kubeletVersion", "v1.30.0"}};
    node.as_object()["status"] = st;
    node.as_object()["metadata"].as_object()["creationTimestamp"] = "2024-01-01T00:00:00Z";
    std::string err;
    auto r = render_yaml(text, node, placeholder_funcs(), &err);
    ASSERT_TRUE(r) << err;
    const auto& o = r->as_object();
    EXPECT_EQ(o.at("allocatable"), st["allocatable"]);
    EXPECT_EQ(o.at("capacity"), st["capacity"]);
    json::value want_addresses =
        json::array{json::object{{"address", "<NodeName>"}, {"type", "Hostname"}}};
    EXPECT_EQ(o.at("addresses"), want_addresses);
    EXPECT_EQ(o.at("nodeInfo").at("architecture"), json::value("arm64"));
    EXPECT_EQ(o.at("nodeInfo").at("kubeletVersion"), json::value("v1.30.0"));
    EXPECT_EQ(o.at("nodeInfo").at("kernelVersion"), json::value("kwok-<Version>"));
    EXPECT_EQ(o.at("nodeInfo").at("bootID"), json::value(""));
    EXPECT_EQ(o.at("conditions").at(0).at("lastTransitionTime"),
              json::value("2024-01-01T00:00:00Z"));
    EXPECT_EQ(o.at("conditions").as_array().size(), 5u);
}

// The heartbeat-with-lease stage re-asserts existing addresses through `YAML . 1`.
TEST(gotpl_stages, heartbeat_with_lease_keeps_addresses) {
    json::value stage =
        load_yaml(stages_dir / "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml");
    std::string text(stage.at("spec").at("next").at("statusTemplate").as_string());
    json::value addrs = json::array{json::object{{"type", "InternalIP"}, {"address", "10.1.2.3"}},
                                    json::object{{"type", "Hostname"}, {"address", "n1"}}};
    json::value node = json::object{{"metadata", json::object{{"name", "n1"}}},
                                    {"status", json::object{{"addresses", addrs}}}};
    std::string err;
    auto r = render_yaml(text, node, placeholder_funcs(), &err);
    ASSERT_TRUE(r) << err;
    EXPECT_EQ(r->at("addresses"), addrs);
    EXPECT_EQ(r->at("daemonEndpoints").at("kubeletEndpoint").at("Port"), json::value("<NodePort>"));
}

// The pod-ready stage with init containers (sidecar vs. regular) and readiness gates.
TEST(gotpl_stages, pod_ready_init_containers_and_gates) {
    json::value stage = load_yaml(stages_dir / "pod/fast/pod-ready.yaml");
    std::string text(stage.at("spec").at("next").at("statusTemplate").as_string());
    json::value pod = load_yaml(stages_dir / "pod/fast/testdata/pod-pending.input.yaml");
    auto& spec = pod.as_object()["spec"].as_object();
    spec["initContainers"] = json::array{
        json::object{{"name", "side"}, {"image", "s"}, {"restartPolicy", "Always"}},
        json::object{{"name", "init"}, {"image", "i"}}};
    spec["readinessGates"] = json::array{json::object{{"conditionType", "example.com/gate"}}};
    std::string err;
    auto r = render_yaml(text, pod, placeholder_funcs(), &err);
    ASSERT_TRUE(r) << err;
    const auto& init = r->at("initContainerStatuses").as_array();
    ASSERT_EQ(init.size(), 2u);
    EXPECT_EQ(init[0].at("started"), json::value(true));
    EXPECT_TRUE(init[0].at("state").as_object().contains("running"));
    EXPECT_EQ(init[1].at("state").at("terminated").at("reason"), json::value("Completed"));
    EXPECT_FALSE(init[1].as_object().contains("started"));
    const auto& conds = r->at("conditions").as_array();
    ASSERT_EQ(conds.size(), 4u);
    EXPECT_EQ(conds[3].at("type"), json::value("example.com/gate"));
}
