// Stage custom resources, live (--enable-crds=Stage), against a real control plane: a Stage
// applied with kubectl changes how new pods behave within seconds, deleting it restores the
// default behaviour, and an invalid Stage gets an Event naming the field while the rest play.
#include "tests/integration/cluster_fixture.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace ghost::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

std::string pod(const std::string& name, const std::string& node) {
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: default}\n"
           "spec:\n  nodeName: " + node + "\n  containers: [{name: c, image: fake}]\n";
}

const char* const failing_stage = R"(apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-fails-for-the-test
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  weight: 10000
  selector:
    matchExpressions:
    - {key: .metadata.deletionTimestamp, operator: DoesNotExist}
    - {key: .status.phase, operator: In, values: [Pending]}
  next:
    statusTemplate: |
      phase: Failed
      reason: FromStageResource
)";

const char* const invalid_stage = R"(apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: broken-stage
spec:
  resourceRef: {apiGroup: v1}
  selector: {}
)";

class stage_crs_it : public cluster_fixture {};

TEST_F(stage_crs_it, stage_resources_change_new_pods_live) {
    // ghostctl installs kwok's Stage CRD and starts ghostlet with --enable-crds=Stage.
    create_cluster("crs", {"--enable-crds", "Stage"});
    ASSERT_EQ(kubectl({"get", "crd", "stages.kwok.x-k8s.io"}).exit_code, 0);
    ASSERT_TRUE(wait_for(30s, [&] { return kubectl({"get", "stages"}).exit_code == 0; }));
    ASSERT_EQ(ghostctl({"scale", "node", "--replicas", "1"}).exit_code, 0);
    std::string node = first_node_name();
    ASSERT_FALSE(node.empty()) << "no node appeared";

    // default behaviour first
    apply(pod("before", node));
    EXPECT_TRUE(wait_for(60s, [&] {
        return str(kubectl_json({"get", "pod", "before"}), {"status", "phase"}) == "Running";
    }));

    apply(invalid_stage);
    apply(failing_stage);
    // The Stage resource is picked up live: new pods (one per poll, the first may come before
    // ghostlet saw the Stage) soon play it.
    json::value p;
    EXPECT_TRUE(wait_for(60s, [&, n = 0]() mutable {
        std::string name = "probe-" + std::to_string(n++);
        apply(pod(name, node));
        return wait_for(3s, [&] {
            p = kubectl_json({"get", "pod", name});
            return str(p, {"status", "reason"}) == "FromStageResource";
        });
    })) << json::serialize(p);
    EXPECT_EQ(str(p, {"status", "phase"}), "Failed");

    // the invalid one is reported on its own object, naming the field
    json::value events;
    EXPECT_TRUE(wait_for(30s, [&] {
        events = kubectl_json({"get", "events", "-n", "default", "--field-selector",
                               "involvedObject.name=broken-stage,reason=InvalidStage"});
        return !events.at("items").as_array().empty();
    })) << json::serialize(events);
    if (!events.at("items").as_array().empty()) {
        auto message = str(events.at("items").at(0), {"message"});
        EXPECT_NE(message.find("spec.resourceRef.kind"), std::string::npos) << message;
    }

    // deleting the Stage restores the default behaviour for new pods
    ASSERT_EQ(kubectl({"delete", "stage", "pod-fails-for-the-test"}).exit_code, 0);
    std::string name;
    EXPECT_TRUE(wait_for(60s, [&, n = 0]() mutable {
        name = "after-" + std::to_string(n++);  // one new pod per poll until one runs
        apply(pod(name, node));
        return wait_for(3s, [&] {
            return str(kubectl_json({"get", "pod", name}), {"status", "phase"}) == "Running";
        });
    })) << "no new pod ran after the Stage was deleted";
}

}  // namespace
}  // namespace ghost::testing
