// Client-side strategic merge patches. The expected patches were produced by apimachinery
// v0.36.1's strategicpatch.CreateTwoWayMergePatch(original, modified, corev1.Pod{}) for the
// same inputs; the schema below mirrors the shape of kube-apiserver's /openapi/v3/api/v1
// (properties behind allOf/$ref, the x-kubernetes-patch-* extensions on the property).

#include "kube/strategic_patch.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace ghost::kube {
namespace {

namespace json = boost::json;

const char* const openapi = R"({
 "paths": {
  "/api/v1/namespaces/{namespace}/pods/{name}": {"get": {"responses": {"200": {"content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/io.k8s.api.core.v1.Pod"}}}}}}},
  "/api/v1/watch/namespaces/{namespace}/pods/{name}": {"get": {"responses": {"200": {"content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/watch.Event"}}}}}}},
  "/api/v1/namespaces/{namespace}/pods/{name}/status": {},
  "/api/v1/nodes/{name}": {"get": {"responses": {"200": {"content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/missing"}}}}}}}
 },
 "components": {"schemas": {
  "io.k8s.api.core.v1.Pod": {"type": "object", "properties": {
    "apiVersion": {"type": "string"},
    "metadata": {"allOf": [{"$ref": "#/components/schemas/meta.ObjectMeta"}], "default": {}},
    "spec": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSpec"}]},
    "status": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.PodStatus"}]}}},
  "meta.ObjectMeta": {"type": "object", "properties": {
    "name": {"type": "string"},
    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
    "finalizers": {"type": "array", "items": {"type": "string"},
                   "x-kubernetes-patch-strategy": "merge"},
    "ownerReferences": {"type": "array",
      "items": {"allOf": [{"$ref": "#/components/schemas/meta.OwnerReference"}]},
      "x-kubernetes-patch-merge-key": "uid", "x-kubernetes-patch-strategy": "merge"}}},
  "meta.OwnerReference": {"type": "object", "properties": {"uid": {"type": "string"}}},
  "io.k8s.api.core.v1.PodSpec": {"type": "object", "properties": {
    "nodeName": {"type": "string"},
    "priority": {"type": "integer"},
    "containers": {"type": "array",
      "items": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"}]},
      "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge"},
    "tolerations": {"type": "array",
      "items": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.Toleration"}]}},
    "volumes": {"type": "array", "items": {"type": "object"},
      "x-kubernetes-patch-merge-key": "name",
      "x-kubernetes-patch-strategy": "merge,retainKeys"}}},
  "io.k8s.api.core.v1.Container": {"type": "object", "properties": {
    "name": {"type": "string"},
    "image": {"type": "string"},
    "args": {"type": "array", "items": {"type": "string"}},
    "env": {"type": "array", "items": {"$ref": "#/components/schemas/io.k8s.api.core.v1.EnvVar"},
      "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge"},
    "ports": {"type": "array", "items": {"type": "object"},
      "x-kubernetes-patch-merge-key": "containerPort", "x-kubernetes-patch-strategy": "merge"}}},
  "io.k8s.api.core.v1.EnvVar": {"type": "object", "properties": {"name": {"type": "string"}}},
  "io.k8s.api.core.v1.Toleration": {"type": "object", "properties": {"key": {"type": "string"}}},
  "io.k8s.api.core.v1.PodStatus": {"type": "object", "properties": {
    "phase": {"type": "string"},
    "conditions": {"type": "array", "items": {"type": "object"},
      "x-kubernetes-patch-merge-key": "type", "x-kubernetes-patch-strategy": "merge"}}}
 }}
})";

patch_schema pod_schema() {
    auto doc = std::make_shared<const json::value>(json::parse(openapi));
    std::string error;
    auto s = patch_schema::for_resource(doc, "pods", &error);
    EXPECT_TRUE(s) << error;
    return *s;
}

std::string diff(const char* original, const char* modified) {
    auto schema = pod_schema();
    std::string error;
    auto p = two_way_merge_patch(json::parse(original).as_object(),
                                 json::parse(modified).as_object(), &schema, &error);
    if (!p) return "ERROR " + error;
    return json::serialize(*p);
}

// Object key order is not significant: compare as JSON values.
#define EXPECT_PATCH(orig, mod, want)                                                         \
    do {                                                                                      \
        auto got_ = diff(orig, mod);                                                          \
        if (got_.rfind("ERROR", 0) == 0) {                                                    \
            ADD_FAILURE() << got_;                                                            \
        } else {                                                                              \
            EXPECT_EQ(json::parse(got_), json::parse(want)) << got_;                          \
        }                                                                                     \
    } while (0)

TEST(strategic_patch, maps_diff_key_by_key_and_removed_keys_become_null) {
    EXPECT_PATCH(R"({"metadata":{"name":"p","labels":{"a":"1","b":"2"}}})",
                 R"({"metadata":{"name":"p","labels":{"a":"9","c":"3"}}})",
                 R"({"metadata":{"labels":{"a":"9","b":null,"c":"3"}}})");
    EXPECT_PATCH(R"({"spec":{"priority":"high","nodeName":"n1"}})", R"({"spec":{"priority":5}})",
                 R"({"spec":{"nodeName":null,"priority":5}})");
    EXPECT_PATCH(R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]}})",
                 R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]}})", "{}");
}

TEST(strategic_patch, merge_lists_of_objects_by_merge_key_with_element_order) {
    EXPECT_PATCH(
        R"({"spec":{"containers":[{"name":"a","image":"x:1","args":["--v=1"]},{"name":"b","image":"y:1"}]}})",
        R"({"spec":{"containers":[{"name":"a","image":"x:2","args":["--v=2","--q"]},{"name":"b","image":"y:1"}]}})",
        R"({"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],"containers":[{"args":["--v=2","--q"],"image":"x:2","name":"a"}]}})");
    EXPECT_PATCH(
        R"({"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]}})",
        R"({"spec":{"containers":[{"name":"c","image":"z"},{"name":"a","image":"x"}]}})",
        R"({"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"a"}],"containers":[{"image":"z","name":"c"},{"$patch":"delete","name":"b"}]}})");
    EXPECT_PATCH(R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]}})",
                 R"({"spec":{"containers":[{"name":"b"},{"name":"a"}]}})",
                 R"({"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}]}})");
    EXPECT_PATCH(
        R"({"status":{"phase":"Pending","conditions":[{"type":"Ready","status":"False"},{"type":"PodScheduled","status":"True"}]}})",
        R"({"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"},{"type":"PodScheduled","status":"True"}],"podIP":"10.0.0.1"}})",
        R"({"status":{"$setElementOrder/conditions":[{"type":"Ready"},{"type":"PodScheduled"}],"conditions":[{"status":"True","type":"Ready"}],"phase":"Running","podIP":"10.0.0.1"}})");
    EXPECT_PATCH(
        R"({"metadata":{"ownerReferences":[{"uid":"u1","name":"rs1","kind":"ReplicaSet","apiVersion":"apps/v1"}]}})",
        R"({"metadata":{"ownerReferences":[{"uid":"u2","name":"rs2","kind":"ReplicaSet","apiVersion":"apps/v1"}]}})",
        R"({"metadata":{"$setElementOrder/ownerReferences":[{"uid":"u2"}],"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs2","uid":"u2"},{"$patch":"delete","uid":"u1"}]}})");
}

TEST(strategic_patch, nested_merge_lists_and_numeric_merge_keys_sort_as_text) {
    EXPECT_PATCH(
        R"({"spec":{"containers":[{"name":"a","env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}]}]}})",
        R"({"spec":{"containers":[{"name":"a","env":[{"name":"X","value":"1"},{"name":"Z","value":"3"}]}]}})",
        R"({"spec":{"$setElementOrder/containers":[{"name":"a"}],"containers":[{"$setElementOrder/env":[{"name":"X"},{"name":"Z"}],"env":[{"name":"Z","value":"3"},{"$patch":"delete","name":"Y"}],"name":"a"}]}})");
    EXPECT_PATCH(
        R"({"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":9000}]}]}})",
        R"({"spec":{"containers":[{"name":"a","ports":[{"containerPort":443},{"containerPort":80,"protocol":"UDP"}]}]}})",
        R"({"spec":{"$setElementOrder/containers":[{"name":"a"}],"containers":[{"$setElementOrder/ports":[{"containerPort":443},{"containerPort":80}],"name":"a","ports":[{"containerPort":443},{"containerPort":80,"protocol":"UDP"},{"$patch":"delete","containerPort":9000}]}]}})");
}

TEST(strategic_patch, merge_lists_of_scalars_use_a_parallel_deletion_list) {
    EXPECT_PATCH(R"({"metadata":{"finalizers":["x","y","z"]}})",
                 R"({"metadata":{"finalizers":["w","x","z"]}})",
                 R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["y"],"$setElementOrder/finalizers":["w","x","z"],"finalizers":["w"]}})");
    EXPECT_PATCH(R"({"metadata":{"finalizers":["x","y"]}})",
                 R"({"metadata":{"finalizers":["y","x"]}})",
                 R"({"metadata":{"$setElementOrder/finalizers":["y","x"]}})");
}

TEST(strategic_patch, other_lists_are_replaced_and_empty_lists_need_no_directives) {
    EXPECT_PATCH(R"({"spec":{"tolerations":[{"key":"a","operator":"Exists"}]}})",
                 R"({"spec":{"tolerations":[{"key":"a","operator":"Exists"},{"key":"b","operator":"Exists"}]}})",
                 R"({"spec":{"tolerations":[{"key":"a","operator":"Exists"},{"key":"b","operator":"Exists"}]}})");
    EXPECT_PATCH(R"({"spec":{"containers":[]}})", R"({"spec":{"containers":[{"name":"a"}]}})",
                 R"({"spec":{"containers":[{"name":"a"}]}})");
    EXPECT_PATCH(R"({"spec":{"containers":[{"name":"a"}]},"metadata":{"finalizers":["x"]}})",
                 R"({"spec":{"containers":[]},"metadata":{"finalizers":[]}})",
                 R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["x"]},"spec":{"containers":[{"$patch":"delete","name":"a"}]}})");
}

TEST(strategic_patch, retain_keys_is_dropped_as_kwok_does) {
    // volumes is "merge,retainKeys": merged by name; apimachinery's patch minus its
    // "$retainKeys":["hostPath","name"] (kwok's schema lookup drops the strategy).
    EXPECT_PATCH(R"({"spec":{"volumes":[{"name":"v","emptyDir":{}}]}})",
                 R"({"spec":{"volumes":[{"name":"v","hostPath":{"path":"/x"}}]}})",
                 R"({"spec":{"$setElementOrder/volumes":[{"name":"v"}],"volumes":[{"emptyDir":null,"hostPath":{"path":"/x"},"name":"v"}]}})");
}

TEST(strategic_patch, fields_the_schema_does_not_describe_are_diffed_without_metadata) {
    // Unknown to the schema: the list is replaced, the map merged.
    EXPECT_PATCH(R"({"extra":{"items":[{"name":"a"}],"k":"1"}})",
                 R"({"extra":{"items":[{"name":"b"}],"k":"1"}})",
                 R"({"extra":{"items":[{"name":"b"}]}})");
    // No schema at all is a JSON merge patch.
    auto p = two_way_merge_patch(json::parse(R"({"spec":{"containers":[{"name":"a"}]}})").as_object(),
                                 json::parse(R"({"spec":{"containers":[{"name":"b"}]}})").as_object(),
                                 nullptr);
    ASSERT_TRUE(p);
    EXPECT_EQ(json::value(*p), json::parse(R"({"spec":{"containers":[{"name":"b"}]}})"));
}

TEST(strategic_patch, bad_lists_are_errors_naming_the_list) {
    EXPECT_EQ(diff(R"({"spec":{"containers":[{"name":"a"}]}})",
                   R"({"spec":{"containers":[{"image":"x"}]}})"),
              "ERROR containers: an element has no merge key \"name\"");
    EXPECT_EQ(diff(R"({"metadata":{"finalizers":["a"]}})",
                   R"({"metadata":{"finalizers":["a",1]}})"),
              "ERROR finalizers: list element types are not identical");
}

TEST(strategic_patch, schema_lookup_follows_refs_and_skips_watch_paths) {
    auto doc = std::make_shared<const json::value>(json::parse(openapi));
    auto pods = patch_schema::for_resource(doc, "pods");
    ASSERT_TRUE(pods);
    auto spec = pods->field("spec");
    ASSERT_TRUE(spec);
    auto containers = spec->first.list_field("containers");
    ASSERT_TRUE(containers);
    EXPECT_EQ(containers->second.strategy, "merge");
    EXPECT_EQ(containers->second.merge_key, "name");
    EXPECT_TRUE(containers->first.list_field("env"));      // items resolved to Container
    EXPECT_FALSE(containers->first.list_field("image"));   // not an array
    EXPECT_FALSE(spec->first.field("nope"));

    std::string error;
    EXPECT_FALSE(patch_schema::for_resource(doc, "nodes", &error));
    EXPECT_EQ(error, "openapi: /api/v1/nodes/{name}: the response schema does not resolve to a type");
    EXPECT_FALSE(patch_schema::for_resource(doc, "services", &error));
    EXPECT_EQ(error, "openapi: no path ends in /services/{name}");
    EXPECT_EQ(openapi_v3_key("", "v1"), "api/v1");
    EXPECT_EQ(openapi_v3_key("apps", "v1"), "apis/apps/v1");
}

}  // namespace
}  // namespace ghost::kube
