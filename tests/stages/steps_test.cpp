#include "stages/steps.hpp"
#include "lang/yaml_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

namespace {

using namespace ghost::lang;
using namespace ghost::stages;
namespace json = boost::json;

stage load(const std::string& spec, const std::string& kind = "Pod") {
    return parse_stage(YAML::Load("apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\n"
                                  "metadata: {name: s}\nspec:\n  resourceRef: {kind: " + kind +
                                  "}\n  selector: {}\n" + spec),
                       "t.yaml");
}

// No templating: the "template" is YAML already; "FAIL" makes rendering fail.
boost::system::result<json::value> fake_render(const compiled_template& t, const json::value&,
                                               std::string* error) {
    std::string_view text = t.text();
    if (text.find("FAIL") != std::string_view::npos) {
        if (error) *error = "boom";
        return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
    }
    return yaml_to_json(text, error);
}

std::string ops(const std::vector<std::string>& current, const stage_finalizers& f) {
    return json::serialize(finalizer_ops(current, f));
}

TEST(finalizers, add) {
    stage_finalizers f{{"a", "b"}, {}, false};
    EXPECT_EQ(ops({}, f), R"([{"op":"add","path":"/metadata/finalizers","value":["a","b"]}])");
    EXPECT_EQ(ops({"a"}, f), R"([{"op":"add","path":"/metadata/finalizers/-","value":"b"}])");
    EXPECT_EQ(ops({"a", "b"}, f), "[]");
}

TEST(finalizers, remove) {
    stage_finalizers f{{}, {"a", "c"}, false};
    EXPECT_EQ(ops({"a", "b", "c"}, f),
              R"([{"op":"remove","path":"/metadata/finalizers/2"},)"
              R"({"op":"remove","path":"/metadata/finalizers/0"}])");
    EXPECT_EQ(ops({"a", "c"}, f), R"([{"op":"remove","path":"/metadata/finalizers"}])");
    EXPECT_EQ(ops({"x"}, f), "[]");
    EXPECT_EQ(ops({}, f), "[]");
}

TEST(finalizers, empty_then_add) {
    EXPECT_EQ(ops({"a"}, stage_finalizers{{}, {}, true}),
              R"([{"op":"remove","path":"/metadata/finalizers"}])");
    EXPECT_EQ(ops({}, stage_finalizers{{}, {}, true}), "[]");
    EXPECT_EQ(ops({"a"}, stage_finalizers{{"k"}, {}, true}),
              R"([{"op":"remove","path":"/metadata/finalizers"},)"
              R"({"op":"add","path":"/metadata/finalizers","value":["k"]}])");
    // remove-all then add behaves like empty
    EXPECT_EQ(ops({"a"}, stage_finalizers{{"k"}, {"a"}, false}),
              R"([{"op":"remove","path":"/metadata/finalizers"},)"
              R"({"op":"add","path":"/metadata/finalizers","value":["k"]}])");
}

TEST(steps, legacy_next_plays_event_finalizers_status_delete) {
    auto s = load(R"(  next:
    event: {type: Normal, reason: Created, message: m}
    finalizers: {add: [{value: f}]}
    statusTemplate: "phase: Running"
    delete: true
)");
    auto obj = json::parse(R"({"metadata":{"name":"p","finalizers":["g"]}})");
    auto r = play_stage(s, obj, fake_render);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 4u);
    EXPECT_EQ((*r)[0].kind, action_kind::event);
    EXPECT_EQ((*r)[0].event.reason, "Created");
    EXPECT_EQ((*r)[1].kind, action_kind::patch);
    EXPECT_EQ((*r)[1].type, patch_type::json);
    EXPECT_EQ(json::serialize((*r)[1].data),
              R"([{"op":"add","path":"/metadata/finalizers/-","value":"f"}])");
    EXPECT_EQ((*r)[2].kind, action_kind::patch);
    EXPECT_EQ((*r)[2].subresource, "status");
    EXPECT_EQ((*r)[2].type, patch_type::strategic);  // Pod default
    EXPECT_EQ(json::serialize((*r)[2].data), R"({"status":{"phase":"Running"}})");
    EXPECT_EQ((*r)[3].kind, action_kind::delete_object);
    EXPECT_EQ((*r)[3].step, 3u);
}

TEST(steps, default_patch_type_depends_on_kind_and_options) {
    auto s = load("  steps:\n  - patch: {template: 'a: 1'}\n", "ConfigMap");
    auto r = play_stage(s, json::parse("{}"), fake_render);
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)[0].type, patch_type::merge);
    auto pod = load("  steps:\n  - patch: {template: 'a: 1'}\n");
    play_options opt;
    opt.default_patch_type = patch_type::merge;
    EXPECT_EQ((*play_stage(pod, json::parse("{}"), fake_render, opt))[0].type, patch_type::merge);
}

TEST(steps, json_patch_root_prefixes_paths) {
    auto s = load(R"(  steps:
  - patch:
      type: json
      root: status
      template: |
        - op: replace
          path: /phase
          value: Running
)");
    auto r = play_stage(s, json::parse("{}"), fake_render);
    ASSERT_TRUE(r);
    EXPECT_EQ(json::serialize((*r)[0].data),
              R"([{"op":"replace","path":"/status/phase","value":"Running"}])");
}

TEST(steps, after_delete_only_events_are_emitted) {
    auto s = load(R"(  steps:
  - delete: true
  - event: {type: Normal, reason: Gone}
    patch: {template: 'a: 1'}
    finalizers: {empty: true}
)");
    auto r = play_stage(s, json::parse(R"({"metadata":{"finalizers":["x"]}})"), fake_render);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].kind, action_kind::delete_object);
    EXPECT_EQ((*r)[1].kind, action_kind::event);
}

TEST(steps, noop_finalizers_produce_no_action_and_resume_skips_steps) {
    auto s = load(R"(  steps:
  - finalizers: {remove: [{value: nope}]}
  - patch: {template: 'a: 1', type: merge}
)");
    auto r = play_stage(s, json::parse(R"({"metadata":{"finalizers":["x"]}})"), fake_render);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].step, 1u);
    play_options opt;
    opt.first_step = 2;
    EXPECT_TRUE(play_stage(s, json::parse("{}"), fake_render, opt)->empty());
}

TEST(steps, template_errors_are_returned_not_thrown) {
    auto s = load("  steps:\n  - patch: {template: 'FAIL'}\n");
    std::string err;
    auto r = play_stage(s, json::parse("{}"), fake_render, {}, &err);
    EXPECT_FALSE(r);
    EXPECT_EQ(err, "stage \"s\": steps[0].patch.template: boom");
}

// The namespace is the request encoder's business (it knows the target's scope, as kwok's
// REST mapping does): the rendered object is passed on as rendered.
TEST(steps, apply_passes_the_rendered_object_on_unchanged) {
    auto s = load(R"(  steps:
  - apply:
      template: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: x}
)");
    auto r = play_stage(s, json::parse(R"({"metadata":{"namespace":"ns"}})"), fake_render);
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)[0].kind, action_kind::apply);
    EXPECT_EQ((*r)[0].type, patch_type::apply);
    EXPECT_EQ((*r)[0].data, json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}})"));
}

}  // namespace
