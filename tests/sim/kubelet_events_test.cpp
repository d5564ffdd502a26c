#include "sim/kubelet_events.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace ghost::sim {
namespace {

namespace json = boost::json;

json::object pod(std::string_view status) {
    return json::parse(std::string(R"({"metadata":{"uid":"u1","name":"p"},"spec":{
        "initContainers":[{"name":"init","image":"busybox"}],
        "containers":[{"name":"app","image":"nginx:1"},{"name":"side","image":"envoy"}]},
        "status":)") + std::string(status) + "}").as_object();
}

std::vector<std::string> reasons(const std::vector<kubelet_event>& ev) {
    std::vector<std::string> out;
    for (const auto& e : ev) out.push_back(e.reason + " " + e.field_path);
    return out;
}

TEST(kubelet_events, a_node_starts_as_a_kubelet_does) {
    auto ev = node_start_events("n1");
    ASSERT_EQ(ev.size(), 5u);
    EXPECT_EQ(ev[0].reason, "Starting");
    EXPECT_EQ(ev[0].message, "Starting kubelet.");
    EXPECT_EQ(ev[1].message, "Node n1 status is now: NodeHasSufficientMemory");
    EXPECT_EQ(ev[4].reason, "NodeAllocatableEnforced");
    EXPECT_EQ(node_ready_event("n1").message, "Node n1 status is now: NodeReady");
    EXPECT_TRUE(node_is_ready(json::parse(
        R"({"status":{"conditions":[{"type":"MemoryPressure","status":"False"},
                                    {"type":"Ready","status":"True"}]}})").as_object()));
    EXPECT_FALSE(node_is_ready(json::parse(
        R"({"status":{"conditions":[{"type":"Ready","status":"Unknown"}]}})").as_object()));
    EXPECT_FALSE(node_is_ready(json::parse(R"({"status":{"conditions":7}})").as_object()));
}

TEST(kubelet_events, each_container_is_pulled_created_and_started_once) {
    pod_container_events tracker;
    // Pending, nothing running: no events.
    EXPECT_TRUE(tracker.on_pod(pod(R"({"phase":"Pending"})")).empty());
    // The init container finished, app runs, side still waits.
    auto ev = tracker.on_pod(pod(R"({"phase":"Pending",
        "initContainerStatuses":[{"name":"init","state":{"terminated":{"exitCode":0}}}],
        "containerStatuses":[{"name":"app","state":{"running":{}}},
                             {"name":"side","state":{"waiting":{}}}]})"));
    EXPECT_EQ(reasons(ev), (std::vector<std::string>{
                               "Pulled spec.initContainers{init}", "Created spec.initContainers{init}",
                               "Started spec.initContainers{init}", "Pulled spec.containers{app}",
                               "Created spec.containers{app}", "Started spec.containers{app}"}));
    EXPECT_EQ(ev[3].message,
              "Container image \"nginx:1\" already present on machine and can be accessed by the pod");
    // Next update: side runs too; app is not reported again.
    ev = tracker.on_pod(pod(R"({"phase":"Running",
        "containerStatuses":[{"name":"app","state":{"running":{}}},
                             {"name":"side","state":{"running":{}}}]})"));
    EXPECT_EQ(reasons(ev), (std::vector<std::string>{"Pulled spec.containers{side}",
                                                     "Created spec.containers{side}",
                                                     "Started spec.containers{side}"}));
    EXPECT_TRUE(tracker.on_pod(pod(R"({"phase":"Running",
        "containerStatuses":[{"name":"app","state":{"running":{}}}]})")).empty());
    EXPECT_EQ(tracker.pods(), 1u);
    tracker.forget("u1");
    EXPECT_EQ(tracker.pods(), 0u);
}

TEST(kubelet_events, malformed_status_yields_nothing) {
    pod_container_events tracker;
    EXPECT_TRUE(tracker.on_pod(json::object{}).empty());
    EXPECT_TRUE(tracker.on_pod(pod(R"({"containerStatuses":"x"})")).empty());
    EXPECT_TRUE(tracker.on_pod(pod(R"({"containerStatuses":[3,{"state":{"running":{}}}]})")).empty())
        << "a status without a name is skipped";
}

}  // namespace
}  // namespace ghost::sim
