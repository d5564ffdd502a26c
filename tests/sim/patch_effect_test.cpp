// patch_changes: a stage patch that changes nothing is recognised without applying it; anything
// not modelled counts as a change.
#include "sim/patch_effect.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using namespace ghost::sim;
using ghost::kube::patch_type;

namespace {

const boost::json::value pod = boost::json::parse(R"({
  "metadata": {"name": "p", "resourceVersion": "7", "labels": {"app": "a"}},
  "status": {
    "phase": "Running",
    "conditions": [
      {"type": "PodScheduled", "status": "True"},
      {"type": "Ready", "status": "True", "lastTransitionTime": "2027-01-15T08:00:00Z"}
    ],
    "podIPs": [{"ip": "10.0.0.1"}],
    "containerStatuses": [{"name": "c", "ready": true, "restartCount": 0}]
  }
})");

bool changes(std::string_view patch, patch_type type = patch_type::strategic) {
    return patch_changes(pod, boost::json::parse(patch), type, pod_merge_keys());
}

}  // namespace

TEST(patch_effect, an_identical_patch_changes_nothing) {
    EXPECT_FALSE(changes(R"({"status":{"phase":"Running"}})"));
    EXPECT_FALSE(changes(R"({"metadata":{"labels":{"app":"a"}}})", patch_type::merge));
    EXPECT_FALSE(changes(R"({})"));
    // The keyed list merges element by element: a subset in another order is no change.
    EXPECT_FALSE(changes(R"({"status":{"conditions":[
        {"type":"Ready","status":"True","lastTransitionTime":"2027-01-15T08:00:00Z"},
        {"type":"PodScheduled","status":"True"}]}})"));
    EXPECT_FALSE(changes(R"({"status":{"containerStatuses":[
        {"restartCount":0,"ready":true,"name":"c"}]}})"));
    // Removing what is not there.
    EXPECT_FALSE(changes(R"({"status":{"hostIP":null}})"));
}

TEST(patch_effect, a_changed_or_new_scalar_is_a_change) {
    EXPECT_TRUE(changes(R"({"status":{"phase":"Succeeded"}})"));
    EXPECT_TRUE(changes(R"({"status":{"startTime":"2027-01-15T08:00:00Z"}})"));
    EXPECT_TRUE(changes(R"({"metadata":{"labels":{"app":"b"}}})", patch_type::merge));
    EXPECT_TRUE(changes(R"({"status":{"containerStatuses":[
        {"name":"c","ready":true,"restartCount":1}]}})"));
    // A time that is only re-stamped is still a change (compared as text, as kwok).
    EXPECT_TRUE(changes(R"({"status":{"conditions":[
        {"type":"Ready","status":"True","lastTransitionTime":"2027-01-15T08:00:01Z"}]}})"));
    // A number of another JSON kind is not assumed equal.
    EXPECT_TRUE(changes(R"({"status":{"containerStatuses":[
        {"name":"c","ready":true,"restartCount":0.0}]}})"));
}

TEST(patch_effect, list_and_condition_differences_are_changes) {
    // A condition whose status differs, a new condition, a new keyed element.
    EXPECT_TRUE(changes(R"({"status":{"conditions":[{"type":"Ready","status":"False"}]}})"));
    EXPECT_TRUE(changes(R"({"status":{"conditions":[{"type":"Initialized","status":"True"}]}})"));
    EXPECT_TRUE(changes(R"({"status":{"podIPs":[{"ip":"10.0.0.2"}]}})"));
    // An element without its merge key, an empty keyed list against a full one.
    EXPECT_TRUE(changes(R"({"status":{"conditions":[{"status":"True"}]}})"));
    EXPECT_TRUE(changes(R"({"status":{"conditions":[]}})"));
    // A list without a merge key must be equal: a subset or another order is a change.
    EXPECT_TRUE(changes(R"({"status":{"containerStatuses":[]}})"));
    // Under a merge patch every list replaces: a subset of the conditions is a change.
    EXPECT_TRUE(changes(R"({"status":{"conditions":[{"type":"PodScheduled","status":"True"}]}})",
                        patch_type::merge));
}

TEST(patch_effect, removals_directives_server_fields_and_json_patches_are_sent) {
    EXPECT_TRUE(changes(R"({"status":{"phase":null}})"));
    EXPECT_TRUE(changes(R"({"status":{"conditions":null}})"));
    EXPECT_TRUE(changes(R"({"status":{"$setElementOrder/conditions":[{"type":"Ready"}]}})"));
    EXPECT_TRUE(changes(R"({"status":{"$patch":"replace","phase":"Running"}})"));
    // Equal, but a precondition the API server checks: never decided here.
    EXPECT_TRUE(changes(R"({"metadata":{"resourceVersion":"7"}})"));
    EXPECT_TRUE(changes(R"([{"op":"add","path":"/status/phase","value":"Running"}])",
                        patch_type::json));
    EXPECT_TRUE(changes(R"({"status":{"phase":"Running"}})", patch_type::json));
    EXPECT_TRUE(changes(R"({"status":{"phase":"Running"}})", patch_type::apply));
    // An object patch over a scalar, a scalar patch over an object.
    EXPECT_TRUE(changes(R"({"status":{"phase":{"x":1}}})"));
    EXPECT_TRUE(changes(R"({"status":"Running"})"));
}
