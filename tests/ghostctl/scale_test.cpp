// scale: kwokctl's keep-the-oldest / lowest-free-serial rule, KwokctlResource documents (read,
// checked, rendered per object with kwokctl scale's functions), which resource a name picks,
// and the --dry-run kubectl lines for a custom resource.
#include "apps/ghostctl/kwokctl_config.hpp"
#include "apps/ghostctl/scale.hpp"
#include "apps/ghostctl/scale_template.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ghost::ghostctl {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const char* const widget = R"(apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlResource
metadata:
  name: widget
parameters:
  cidr: 10.1.0.0/24
  ip: 192.0.2.10
  size: 3
template: |-
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: {{ Name }}
    namespace: {{ or Namespace "team" }}
    labels:
      app: widget
  data:
    index: {{ Index | Quote }}
    cidr: {{ AddCIDR .cidr Index }}
    ip: {{ AddIP .ip Index }}
    size: {{ .size | Quote }}
)";

class scale_docs : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("ghostctl-scale-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string file(const std::string& name, const std::string& text) {
        auto p = dir_ / name;
        std::ofstream(p) << text;
        return p.string();
    }
    std::string error_of(const std::string& text) {
        auto path = file("bad.yaml", text);
        try {
            read_kwokctl_documents({path});
        } catch (const config_error& e) {
            return e.what();
        }
        return "";
    }
    fs::path dir_;
};

TEST(scale_diff, fewer_than_wanted_takes_the_lowest_free_serials) {
    auto d = diff_scale(
        {{"n-000001", "2026-01-01T00:00:00Z"}, {"n-000003", "2026-01-01T00:00:00Z"}}, "n", 4, 6);
    EXPECT_EQ(d.create, (std::vector<std::size_t>{0, 2}));
    EXPECT_TRUE(d.remove.empty());
    // An object with the label but not a serial name counts (as kwokctl counts it).
    d = diff_scale({{"other", "2026-01-01T00:00:00Z"}}, "n", 2, 3);
    EXPECT_EQ(d.create, (std::vector<std::size_t>{0}));
    EXPECT_TRUE(diff_scale({{"n-0", "t"}, {"n-1", "t"}}, "n", 2, 1).create.empty());
}

TEST(scale_diff, more_than_wanted_keeps_the_oldest_then_the_lowest_names) {
    auto d = diff_scale({{"n-000000", "2026-01-01T00:00:05Z"},
                         {"n-000001", "2026-01-01T00:00:01Z"},
                         {"n-000002", "2026-01-01T00:00:01Z"},
                         {"n-000003", "2026-01-01T00:00:09Z"}},
                        "n", 2, 6);
    EXPECT_TRUE(d.create.empty());
    EXPECT_EQ(d.remove, (std::vector<std::string>{"n-000000", "n-000003"}));
    EXPECT_EQ(diff_scale({{"n-000000", "t"}}, "n", 0, 6).remove,
              (std::vector<std::string>{"n-000000"}));
}

TEST(scale_diff, objects_being_deleted_do_not_count_but_keep_their_names) {
    std::vector<scaled_object> objs{{"n-000000", "t1", true}, {"n-000001", "t2"},
                                    {"n-000002", "t3"}};
    auto up = diff_scale(objs, "n", 3, 6);
    EXPECT_EQ(up.create, (std::vector<std::size_t>{3})) << "n-000000 is taken until it is gone";
    auto down = diff_scale(objs, "n", 1, 6);
    EXPECT_EQ(down.remove, (std::vector<std::string>{"n-000002"}))
        << "the going one is not kept in place of a staying one";
}

TEST(scale_template, renders_kwokctl_scale_functions_per_object) {
    scale_template t(R"(
kind: Node
apiVersion: v1
metadata:
  name: {{ Name }}
spec:
  podCIDR: {{ AddCIDR "10.0.0.0/24" Index }}
  podCIDRs:
  {{ range .cidrs }}
  - {{ AddCIDR . Index }}
  {{ end }}
status:
  addresses:
  - address: {{ AddIP "192.0.2.1" Index | Quote }}
  - address: {{ AddIP "2001:db8::1" Index | Quote }}
  ns: {{ or Namespace "none" }}
  version: {{ Version }}
)");
    auto obj = t.render(json::parse(R"({"cidrs": ["10.0.0.0/24", "fd00::/64"]})"), "node-000002",
                        "", 2);
    EXPECT_EQ(obj.at("metadata").at("name"), "node-000002");
    EXPECT_EQ(obj.at("spec").at("podCIDR"), "10.0.2.0/24");
    EXPECT_EQ(obj.at("spec").at("podCIDRs"), json::parse(R"(["10.0.2.0/24", "fd00:0:0:2::/64"])"));
    EXPECT_EQ(obj.at("status").at("addresses").at(0).at("address"), "192.0.2.3");
    EXPECT_EQ(obj.at("status").at("addresses").at(1).at("address"), "2001:db8::3");
    EXPECT_EQ(obj.at("status").at("ns"), "none");
    EXPECT_EQ(obj.at("status").at("version").as_string().rfind("v", 0), 0u);
    EXPECT_EQ(t.render(json::object(), "n", "team", 0).at("status").at("ns"), "team");
}

TEST(scale_template, errors_name_the_function_and_the_place) {
    auto parse_error = [](const char* text) {
        try {
            scale_template t(text);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_EQ(parse_error("kind: {{ Bogus }}"), "template:1:9: function \"Bogus\" not defined");
    EXPECT_NE(parse_error("kind: {{ .x "), "");
    scale_template t("ip: {{ AddIP .ip Index }}");
    try {
        t.render(json::parse(R"({"ip": "nope"})"), "n", "", 0);
        ADD_FAILURE() << "no error";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("error calling AddIP: invalid ip \"nope\""),
                  std::string::npos)
            << e.what();
    }
    scale_template list("- a\n- b");
    EXPECT_THROW(list.render(json::object(), "n", "", 0), std::invalid_argument);
    EXPECT_EQ(add_cidr("fd00::/64", 1), "fd00:0:0:1::/64");
    EXPECT_THROW(add_cidr("10.0.0.0", 1), std::invalid_argument);
}

TEST_F(scale_docs, a_kwokctl_resource_is_read_rendered_named_and_labelled) {
    auto docs = read_kwokctl_documents({file("w.yaml", widget)});
    ASSERT_EQ(docs.resources.size(), 1u);
    const auto& r = docs.resources[0];
    EXPECT_EQ(r.name, "widget");
    EXPECT_EQ(r.parameters.at("size"), 3) << "YAML 1.1 scalars: a number";
    auto params = apply_params(r.parameters, {".ip=\"198.51.100.1\""});
    auto obj = render_scaled(r, params, "w", 3, 6, "ns1");
    EXPECT_EQ(obj.at("metadata").at("name"), "w-000003");
    EXPECT_EQ(obj.at("metadata").at("namespace"), "ns1");
    EXPECT_EQ(obj.at("metadata").at("labels"),
              json::parse(R"({"app": "widget", "kwok.x-k8s.io/kwokctl-scale": "w"})"));
    EXPECT_EQ(obj.at("data"), json::parse(R"({"index": "3", "cidr": "10.1.3.0/24",
                                              "ip": "198.51.100.4", "size": "3"})"));
    // Cluster-scoped: no namespace, whatever the template wrote.
    EXPECT_FALSE(render_scaled(r, params, "w", 0, 6, "").at("metadata").as_object().contains(
        "namespace"));
    // The template's failure names the document and the object.
    auto bad = apply_params(r.parameters, {".ip=1"});
    try {
        render_scaled(r, bad, "w", 1, 6, "ns1");
        ADD_FAILURE() << "no error";
    } catch (const scale_error& e) {
        EXPECT_NE(std::string(e.what()).find("w.yaml (document 1): template (object w-000001): "),
                  std::string::npos)
            << e.what();
    }
    // ghostlet.yaml keeps the document for a later scale.
    EXPECT_NE(ghostlet_config_text({}, docs, false).find("name: widget"), std::string::npos);
}

TEST_F(scale_docs, bad_kwokctl_resources_are_one_line_naming_the_field) {
    const std::string head = "apiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokctlResource\n";
    auto where = (dir_ / "bad.yaml").string() + " (document 1): ";
    EXPECT_EQ(error_of(head + "metadata: {name: x}\ntemplate: 'kind: {{ Nope }}'\n"),
              where + "template: template:1:9: function \"Nope\" not defined");
    EXPECT_EQ(error_of(head + "template: 'kind: x'\n"),
              where + "metadata.name: expected a name (what `scale NAME` uses)");
    EXPECT_EQ(error_of(head + "metadata: {name: x}\n"),
              where + "template: expected the Go template of one object");
    EXPECT_EQ(error_of(head + "metadata: {name: x}\nparamters: {}\ntemplate: 'kind: x'\n"),
              where + "paramters: unknown KwokctlResource field (expected metadata, parameters, "
                      "template)");
    EXPECT_EQ(error_of("apiVersion: v1\nkind: KwokctlResource\nmetadata: {name: x}\n"
                       "template: 'kind: x'\n"),
              where + "apiVersion: expected config.kwok.x-k8s.io/v1alpha1, got \"v1\"");
}

TEST_F(scale_docs, the_last_resource_of_a_name_wins_then_the_clusters_then_built_ins) {
    auto given = read_kwokctl_documents({file("a.yaml", widget),
                                         file("b.yaml", std::string(widget) + "---\n" +
                                                            "apiVersion: config.kwok.x-k8s.io/"
                                                            "v1alpha1\nkind: KwokctlResource\n"
                                                            "metadata: {name: node}\n"
                                                            "template: 'kind: Node'\n")})
                     .resources;
    auto saved = read_kwokctl_documents({file("s.yaml", "apiVersion: config.kwok.x-k8s.io/"
                                                        "v1alpha1\nkind: KwokctlResource\n"
                                                        "metadata: {name: gadget}\n"
                                                        "template: 'kind: Secret'\n")})
                     .resources;
    ASSERT_EQ(given.size(), 3u);
    EXPECT_EQ(choose_resource("widget", given, saved)->where, (dir_ / "b.yaml").string() +
                                                                  " (document 1)");
    EXPECT_EQ(choose_resource("node", given, saved)->name, "node") << "replaces the built-in";
    EXPECT_EQ(choose_resource("gadget", given, saved)->name, "gadget");
    EXPECT_EQ(choose_resource("pod", given, saved), nullptr) << "the built-in pod";
    try {
        choose_resource("gizmo", given, saved);
        ADD_FAILURE() << "no error";
    } catch (const scale_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "scale: no resource \"gizmo\" (known: gadget, node, pod, widget); define it "
                  "with a KwokctlResource document given with -c");
    }
}

TEST_F(scale_docs, dry_run_plan_of_a_namespaced_custom_resource) {
    auto docs = read_kwokctl_documents({file("w.yaml", widget)});
    const auto& r = docs.resources[0];
    scale_request req;
    req.resource = "widget";
    req.name = "w";
    req.kubectl = "/b/kubectl";
    scale_source src;
    src.resource = {"", "v1", "configmaps", true};
    src.ns = "team";
    src.make = [&](std::size_t i) { return render_scaled(r, r.parameters, "w", i, 6, "team"); };
    auto text = scale_plan(req, "/k", src, {{1}, {"w-000007"}});
    const std::string create =
        "/b/kubectl --kubeconfig /k --namespace team create --validate=false -f - <<'EOF'\n";
    ASSERT_EQ(text.rfind(create, 0), 0u) << text;
    auto end = text.find("\nEOF\n");
    auto list = json::parse(text.substr(create.size(), end - create.size()));
    EXPECT_EQ(list.at("items").at(0).at("metadata").at("name"), "w-000001");
    EXPECT_EQ(text.substr(end + 5),
              "/b/kubectl --kubeconfig /k --namespace team delete configmaps w-000007\n");
}

TEST(scale_params, a_bad_param_names_itself) {
    try {
        apply_params(json::object(), {".x="});
        ADD_FAILURE() << "no error";
    } catch (const scale_error& e) {
        EXPECT_EQ(std::string(e.what()).rfind("--param '.x=': ", 0), 0u) << e.what();
    }
    scale_request req;
    req.resource = "widget";
    EXPECT_THROW(builtin_source(req), scale_error);
    req.resource = "pod";
    EXPECT_EQ(builtin_source(req).ns, "default");
    req.ns = "x";
    EXPECT_EQ(builtin_source(req).ns, "x");
}

}  // namespace
}  // namespace ghost::ghostctl
