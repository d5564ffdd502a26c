// Stages on kinds other than Node and Pod against a real control plane: a Stage on ConfigMaps
// (core, no status subresource) and one on a custom resource whose CRD is installed only after
// ghostlet started (resolved when it appears), with a status subresource, an event and an apply
// step that creates another object; and a Pod stage whose apply step creates a ConfigMap in
// the pod's namespace before the pod runs.
#include "tests/integration/cluster_fixture.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>

namespace ghost::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

const char* const stages_yaml = R"(apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: configmap-played
spec:
  resourceRef: {apiGroup: v1, kind: ConfigMap}
  selector:
    matchLabels: {ghostlet-test: play}
    matchExpressions:
    - key: .data.played
      operator: DoesNotExist
  next:
    patches:
    - root: data
      template: |
        played: "yes"
        name: {{ .metadata.name }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: widget-ready
spec:
  resourceRef: {apiGroup: example.com/v1, kind: Widget}
  selector:
    matchExpressions:
    - key: .status.phase
      operator: NotIn
      values: [Ready]
  delay:
    durationMilliseconds: 100
  steps:
  - event: {type: Normal, reason: Simulated, message: widget played by ghostlet}
  - apply:
      template: |
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{ .metadata.name }}-made
        data:
          owner: {{ .metadata.name }}
  - patch:
      subresource: status
      root: status
      template: |
        phase: Ready
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-with-config
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - key: .status.phase
      operator: NotIn
      values: [Running]
  steps:
  - apply:
      template: |
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{ .metadata.name }}-info
        data:
          node: {{ .spec.nodeName }}
  - patch:
      subresource: status
      root: status
      template: |
        phase: Running
)";

const char* const widget_crd = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
)";

class resource_stages_it : public cluster_fixture {};

TEST_F(resource_stages_it, configmap_and_late_custom_resource_stages_play) {
    auto file = work_ / "stages.yaml";
    std::ofstream(file) << stages_yaml;
    create_cluster("kinds", {"--extra-args", "ghostlet=config=" + file.string()});

    apply(R"(apiVersion: v1
kind: ConfigMap
metadata: {name: cm-play, namespace: default, labels: {ghostlet-test: play}}
data: {a: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm-skip, namespace: default}
data: {a: "1"}
)");
    json::value cm;
    EXPECT_TRUE(wait_for(30s, [&] {
        cm = kubectl_json({"get", "configmap", "cm-play", "-n", "default"});
        return str(cm, {"data", "played"}) == "yes";
    })) << json::serialize(cm);
    EXPECT_EQ(str(cm, {"data", "name"}), "cm-play");
    EXPECT_EQ(str(cm, {"data", "a"}), "1") << "a merge patch keeps the other keys";

    // The CRD arrives after ghostlet started: its stage is resolved then.
    apply(widget_crd);
    ASSERT_TRUE(wait_for(30s, [&] {
        return kubectl({"get", "widgets.example.com", "-A"}).exit_code == 0;
    }));
    apply("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, namespace: default}\n"
          "spec: {size: 3}\n");
    json::value w;
    EXPECT_TRUE(wait_for(60s, [&] {
        w = kubectl_json({"get", "widget", "w1", "-n", "default"});
        return str(w, {"status", "phase"}) == "Ready";
    })) << json::serialize(w);
    // the apply step created a ConfigMap, the event step recorded an Event
    auto made = kubectl_json({"get", "configmap", "w1-made", "-n", "default"});
    EXPECT_EQ(str(made, {"data", "owner"}), "w1") << json::serialize(made);
    auto events = kubectl_json({"get", "events", "-n", "default", "--field-selector",
                                "involvedObject.name=w1,reason=Simulated"});
    EXPECT_FALSE(events.at("items").as_array().empty()) << json::serialize(events);

    // A Pod stage's apply step: the ConfigMap first (in the pod's namespace), then the pod runs.
    ASSERT_EQ(ghostctl({"scale", "node", "--replicas", "1"}).exit_code, 0);
    std::string node = first_node_name();
    ASSERT_FALSE(node.empty());
    apply("apiVersion: v1\nkind: Pod\nmetadata: {name: p1, namespace: default}\nspec:\n"
          "  nodeName: " + node + "\n  containers: [{name: c, image: fake}]\n");
    EXPECT_TRUE(wait_for(60s, [&] {
        return str(kubectl_json({"get", "pod", "p1", "-n", "default"}), {"status", "phase"}) ==
               "Running";
    }));
    auto info = kubectl_json({"get", "configmap", "p1-info", "-n", "default"});
    EXPECT_EQ(str(info, {"data", "node"}), node) << json::serialize(info);

    // the unlabelled ConfigMap was left alone
    auto skip = kubectl_json({"get", "configmap", "cm-skip", "-n", "default"});
    EXPECT_EQ(str(skip, {"data", "played"}), "");
}

}  // namespace
}  // namespace ghost::testing
