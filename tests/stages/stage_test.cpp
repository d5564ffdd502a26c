#include "stages/stage.hpp"

#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

namespace {

using namespace ghost::lang;
using namespace ghost::stages;

std::string header(const std::string& name = "pod-ready") {
    return "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata:\n  name: " + name + "\n";
}

stage load(const std::string& yaml) { return parse_stage(YAML::Load(yaml), "stages.yaml"); }

std::string error_of(const std::string& yaml) {
    try {
        load(yaml);
    } catch (const stage_error& e) {
        return e.what();
    }
    return "<no error>";
}

TEST(stage, parses_the_basic_fields) {
    auto s = load(header() + R"(spec:
  resourceRef: {kind: Pod}
  selector:
    matchLabels: {a: b}
    matchExpressions:
    - key: .status.phase
      operator: In
      values: [Pending]
  weight: 3
  weightFrom: {expressionFrom: .w}
  delay:
    durationMilliseconds: 10
    jitterDurationMilliseconds: 20
    durationFrom: {jq: {expression: .d}}
  immediateNextStage: true
)");
    EXPECT_EQ(s.name, "pod-ready");
    EXPECT_EQ(s.api_group, "v1");
    EXPECT_EQ(s.kind, "Pod");
    ASSERT_TRUE(s.selector);
    EXPECT_EQ(s.selector->match_labels->at("a"), "b");
    ASSERT_EQ(s.selector->match_expressions.size(), 1u);
    EXPECT_EQ(s.selector->match_expressions[0].values[0], "Pending");
    EXPECT_EQ(s.weight, 3);
    EXPECT_TRUE(s.weight_from);
    EXPECT_EQ(*s.delay->duration_ms, 10);
    EXPECT_EQ(*s.delay->jitter_ms, 20);
    EXPECT_TRUE(s.delay->duration_from);
    EXPECT_FALSE(s.delay->jitter_from);
    EXPECT_TRUE(s.immediate_next_stage);
    EXPECT_TRUE(s.steps.empty());
}

TEST(stage, legacy_next_converts_to_steps_in_order) {
    auto s = load(header() + R"(spec:
  resourceRef: {kind: Pod}
  selector: {}
  next:
    event: {type: Normal, reason: Created, message: hi}
    finalizers:
      add: [{value: a}]
      remove: [{value: b}]
    statusTemplate: "phase: Running"
    statusPatchAs: {username: bob}
    delete: true
)");
    ASSERT_EQ(s.steps.size(), 4u);
    ASSERT_TRUE(s.steps[0].event);
    EXPECT_EQ(s.steps[0].event->reason, "Created");
    ASSERT_TRUE(s.steps[1].finalizers);
    EXPECT_EQ(s.steps[1].finalizers->add[0], "a");
    EXPECT_EQ(s.steps[1].finalizers->remove[0], "b");
    ASSERT_TRUE(s.steps[2].patch);
    EXPECT_EQ(s.steps[2].patch->subresource, "status");
    EXPECT_EQ(s.steps[2].patch->root, "status");
    EXPECT_EQ(s.steps[2].patch->templ.text, "phase: Running");
    EXPECT_EQ(*s.steps[2].patch->impersonation, "bob");
    EXPECT_EQ(s.steps[2].patch->type, std::nullopt);
    EXPECT_TRUE(s.steps[3].delete_object);
}

TEST(stage, legacy_patches_win_over_status_template) {
    auto s = load(header() + R"(spec:
  resourceRef: {kind: Pod}
  selector: {}
  next:
    statusTemplate: "phase: Running"
    statusSubresource: ""
    patches:
    - {template: "a: b", type: json, root: spec}
    - {template: "c: d", subresource: status}
)");
    ASSERT_EQ(s.steps.size(), 2u);
    EXPECT_EQ(s.steps[0].patch->type, patch_type::json);
    EXPECT_EQ(s.steps[0].patch->root, "spec");
    EXPECT_EQ(s.steps[1].patch->subresource, "status");
}

TEST(stage, steps_take_precedence_over_next) {
    auto s = load(header() + R"(spec:
  resourceRef: {kind: Pod}
  selector: {}
  steps:
  - delete: true
  - patch: {template: "x: y", type: merge}
    event: {type: Warning, reason: R}
  next:
    statusTemplate: "ignored: true"
)");
    ASSERT_EQ(s.steps.size(), 2u);
    EXPECT_TRUE(s.steps[0].delete_object);
    EXPECT_EQ(s.steps[1].patch->type, patch_type::merge);
    EXPECT_EQ(s.steps[1].event->type, "Warning");
}

TEST(stage, validation_errors_name_file_stage_and_field) {
    EXPECT_EQ(error_of(header() + R"(spec:
  resourceRef: {kind: Pod}
  selector:
    matchExpressions:
    - {key: .a, operator: Exists}
    - {key: .b, operator: Foo, values: [x]}
)"),
              "stages.yaml: stage \"pod-ready\": spec.selector.matchExpressions[1].operator: "
              "expected one of In, NotIn, Exists, DoesNotExist, got \"Foo\"");
    EXPECT_EQ(error_of(header() + "spec:\n  resourceRef: {apiGroup: v1}\n"),
              "stages.yaml: stage \"pod-ready\": spec.resourceRef.kind: expected a kind");
    EXPECT_NE(error_of(header() + "spec:\n  resourceRef: {kind: Pod}\n  selector:\n"
                                  "    matchExpressions:\n    - {key: '.a |', operator: Exists}\n")
                  .find("spec.selector.matchExpressions[0].key: jq: column"),
              std::string::npos);
    EXPECT_NE(error_of(header() + "spec:\n  resourceRef: {kind: Pod}\n  selector:\n"
                                  "    matchExpressions:\n    - {key: .a, operator: In}\n")
                  .find("matchExpressions[0].values: expected a non-empty list"),
              std::string::npos);
    EXPECT_NE(error_of(header() + "spec:\n  resourceRef: {kind: Pod}\n  weight: -1\n")
                  .find("spec.weight: expected an integer >= 0"),
              std::string::npos);
    EXPECT_NE(error_of(header() + "spec:\n  resourceRef: {kind: Pod}\n  delay:\n"
                                  "    durationMilliseconds: soon\n")
                  .find("spec.delay.durationMilliseconds: expected an integer, got \"soon\""),
              std::string::npos);
    EXPECT_NE(error_of(header() + "spec:\n  resourceRef: {kind: Pod}\n  steps:\n"
                                  "  - patch: {template: 'a: b', type: yolo}\n")
                  .find("spec.steps[0].patch.type: expected one of json, merge, strategic"),
              std::string::npos);
    EXPECT_NE(error_of(header() + "spec:\n  resourceRef: {kind: Pod}\n  steps:\n"
                                  "  - apply: {template: 'a: b', type: json}\n")
                  .find("spec.steps[0].apply.type: expected one of apply, merge, strategic, "
                        "got \"json\""),
              std::string::npos);
    EXPECT_NE(error_of(header() + "spec:\n  resourceRef: {kind: Pod}\n  sellector: {}\n")
                  .find("spec.sellector: unknown field"),
              std::string::npos);
    EXPECT_NE(error_of("apiVersion: v1\nkind: Stage\nmetadata: {name: x}\nspec: {}\n")
                  .find("stage \"x\": apiVersion: expected kwok.x-k8s.io/v1alpha1"),
              std::string::npos);
}

TEST(stage, templates_compile_at_load) {
    auto err = error_of(header() + "spec:\n  resourceRef: {kind: Pod}\n  next:\n"
                                   "    statusTemplate: '{{ .x'\n");
    EXPECT_NE(err.find("spec.next.statusTemplate: template does not parse"), std::string::npos)
        << err;
    // a function kwok does not define is a load error, as Go's parser makes it
    err = error_of(header() + "spec:\n  resourceRef: {kind: Pod}\n  steps:\n"
                              "  - patch: {template: '{{ NoSuchFunc }}'}\n");
    EXPECT_NE(err.find("spec.steps[0].patch.template: template does not parse: "), std::string::npos)
        << err;
    EXPECT_NE(err.find("function \"NoSuchFunc\" not defined"), std::string::npos) << err;
    // the stage keeps the compiled template
    auto doc = YAML::Load(header() + "spec:\n  resourceRef: {kind: Pod}\n  steps:\n"
                                     "  - patch: {template: ' phase: {{ PodIP }} '}\n");
    auto s = parse_stage(doc, "t.yaml");
    ASSERT_TRUE(s.steps[0].patch->templ.compiled);
    EXPECT_EQ(s.steps[0].patch->templ.compiled->text(), "phase: {{ PodIP }}");
    // the default checker is the real template parser
    err = error_of(header() + "spec:\n  resourceRef: {kind: Pod}\n  steps:\n"
                              "  - patch: {template: '{{ if .x }}a'}\n");
    EXPECT_NE(err.find("spec.steps[0].patch.template: template does not parse"), std::string::npos)
        << err;
    EXPECT_EQ(error_of(header() + "spec:\n  resourceRef: {kind: Pod}\n  steps:\n"
                                  "  - patch: {template: '{{ if .x }}a{{ end }}'}\n"),
              "<no error>");
}

TEST(stage, yaml_nodes_convert_with_yaml11_scalars) {
    auto v = yaml_node_to_json(YAML::Load("a: yes\nb: '5'\nc: 5\nd: [1.5, ~, \"true\", x]\ne:\n"));
    EXPECT_EQ(boost::json::serialize(v),
              R"({"a":true,"b":"5","c":5,"d":[1.5E0,null,"true","x"],"e":null})");
}

TEST(stage, config_loader_separates_kinds) {
    auto docs = load_config_text(header("a") + R"(spec:
  resourceRef: {kind: Node}
  selector: {}
---
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  cidr: 10.1.0.0/16
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Metric
metadata: {name: m}
---
kind: Mystery
---
)",
                                 "kwok.yaml");
    ASSERT_EQ(docs.stages.size(), 1u);
    EXPECT_EQ(docs.stages[0].kind, "Node");
    ASSERT_EQ(docs.kwok_configurations.size(), 1u);
    EXPECT_EQ(docs.kwok_configurations[0]["options"]["cidr"].as<std::string>(), "10.1.0.0/16");
    auto cfg = yaml_node_to_json(docs.kwok_configurations[0]);
    EXPECT_EQ(cfg.at("options").at("cidr"), "10.1.0.0/16");
    EXPECT_EQ(docs.others.size(), 1u);
    ASSERT_EQ(docs.warnings.size(), 1u);
    EXPECT_EQ(docs.warnings[0], "kwok.yaml: document 4: unknown kind \"Mystery\"");
    EXPECT_THROW(load_config_text("a: [", "bad.yaml"), stage_error);
}

// fuzz/stage_fuzz: a mapping used as a map key (`? {...}`) aborted the loader (an uncaught
// yaml-cpp conversion error); now the field is named.
TEST(stage, a_list_or_mapping_as_a_key_is_an_error_naming_the_field) {
    EXPECT_EQ(error_of(header() + "spec:\n  resourceRef: {kind: Pod}\n  selector: {}\n"
                                  "  weightFrom:\n   ? expressionFrom: '.a'\n"),
              "stages.yaml: stage \"pod-ready\": spec.weightFrom: expected string keys, got a "
              "list or mapping as a key");
    EXPECT_NE(error_of(header() + "spec:\n  resourceRef: {kind: Pod}\n  selector:\n"
                                  "    matchLabels: {? [a]: b}\n")
                  .find("spec.selector.matchLabels: expected string keys"),
              std::string::npos);
    EXPECT_THROW(yaml_node_to_json(YAML::Load("{? [a]: b}")), stage_error);
}

TEST(stage, yaml_node_to_json_expands_aliases_but_not_alias_bombs) {
    auto v = yaml_node_to_json(YAML::Load("a: &x {b: [1, 2]}\nc: *x\n"));
    EXPECT_EQ(boost::json::serialize(v), R"({"a":{"b":[1,2]},"c":{"b":[1,2]}})");
    // Nine levels of ten aliases each: 10^9 values from a few hundred bytes.
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    for (char c = 'b'; c <= 'j'; ++c) {
        const char prev = static_cast<char>(c - 1);
        bomb += std::string(1, c) + ": &" + c + " [";
        for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
        bomb += "]\n";
    }
    try {
        yaml_node_to_json(YAML::Load(bomb));
        ADD_FAILURE() << "an alias bomb was expanded";
    } catch (const stage_error& e) {
        EXPECT_NE(std::string(e.what()).find("excessive aliasing"), std::string::npos) << e.what();
    }
}

// fuzz/stage_fuzz (minimized): a mangled stage file whose template line starts with ',' at the
// top level used to take yaml-cpp beyond 2 GB; now one line naming the file and the place.
TEST(stage, a_stray_comma_at_the_top_level_is_one_error_naming_the_file) {
    try {
        load_config_text("# a pod\n        ,astTransitionTime: {{ $t | Quote }}\n", "bad.yaml");
        ADD_FAILURE() << "no error";
    } catch (const stage_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "bad.yaml: invalid YAML: yaml-cpp: error at line 2, column 9: ',' outside a flow "
                  "collection ([...] or {...}): no YAML node can start here");
    }
}

}  // namespace
