// The simulation state machine on a manual clock with a recording sink: no sockets, no threads.
#include "stages/default_stages.hpp"
#include "sim/simulation.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <deque>
#include <set>

using namespace std::chrono_literals;
using namespace ghost::sim;
using namespace ghost::stages;
namespace http = boost::beast::http;
using ghost::engine::http_response;
using ghost::engine::manual_scheduler;

namespace {

boost::json::value node_json(std::string_view name, std::string_view extra_meta = "",
                             std::string_view cidr = "10.0.7.0/24",
                             std::string_view ip = "192.0.2.7") {
    return boost::json::parse(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")" +
                              std::string(name) + R"(","uid":"uid-)" + std::string(name) +
                              R"(","resourceVersion":"1")" + std::string(extra_meta) +
                              R"(},"spec":{"podCIDR":")" + std::string(cidr) +
                              R"("},"status":{"addresses":[{"type":"InternalIP","address":")" +
                              std::string(ip) + R"("}]}})");
}

boost::json::value pod_json(std::string_view name, std::string_view node, std::string_view rv,
                            std::string_view extra_spec = "", std::string_view status = "") {
    return boost::json::parse(
        R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + std::string(name) +
        R"(","namespace":"default","uid":"u-)" + std::string(name) + R"(","resourceVersion":")" +
        std::string(rv) + R"("},"spec":{"nodeName":")" + std::string(node) +
        R"(","containers":[{"name":"c","image":"busybox"}])" + std::string(extra_spec) +
        R"(},"status":)" + (status.empty() ? std::string(R"({"phase":"Pending"})") : std::string(status)) +
        "}");
}

struct sim_fixture : ::testing::Test {
    manual_scheduler::time_point steady{};
    std::chrono::system_clock::time_point wall =
        std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    manual_scheduler wheel{steady};
    std::deque<write_op> writes;
    std::unique_ptr<simulation> sim;

    void make(simulation_config cfg, bool leases = false) {
        cfg.steady_now = [this] { return steady; };
        cfg.wall_now = [this] { return wall; };
        cfg.seed = 42;
        cfg.identity = "test-holder";
        sim = std::make_unique<simulation>(std::move(cfg), default_stages(leases), wheel,
                                           [this](write_op op) { writes.push_back(std::move(op)); });
    }

    void advance(std::chrono::milliseconds d) {
        steady += d;
        wall += d;
        wheel.advance_to(steady);
    }

    write_op take() {
        EXPECT_FALSE(writes.empty());
        if (writes.empty()) return {};
        auto op = std::move(writes.front());
        writes.pop_front();
        return op;
    }

    void complete(write_op& op, unsigned status, std::string body = "{}") {
        http_response r;
        r.status = status;
        r.body = std::move(body);
        op.on_done(r);
    }

    static boost::json::value body(const write_op& op) { return boost::json::parse(op.request.body); }

    // Our lease as another live holder has it, renewed at `renew_time`.
    static boost::json::value foreign_lease(const write_op& ours, std::string_view renew_time) {
        auto lease = body(ours);
        lease.at("spec").as_object()["holderIdentity"] = "someone-else";
        lease.at("spec").as_object()["renewTime"] = renew_time;
        lease.at("metadata").as_object()["resourceVersion"] = "5";
        return lease;
    }
};

}  // namespace

TEST_F(sim_fixture, a_new_node_is_initialized_with_kwok_like_status) {
    make({});
    sim->on_node_upsert(node_json("n0"));
    auto op = take();
    EXPECT_EQ(op.request.method, http::verb::patch);
    EXPECT_EQ(op.request.target, "/api/v1/nodes/n0/status");
    EXPECT_EQ(op.request.content_type, "application/strategic-merge-patch+json");
    auto status = body(op).at("status");
    EXPECT_EQ(status.at("phase"), "Running");
    auto& conds = status.at("conditions").as_array();
    ASSERT_EQ(conds.size(), 5u);
    EXPECT_EQ(conds[0].at("type"), "Ready");
    EXPECT_EQ(conds[0].at("status"), "True");
    EXPECT_EQ(status.at("allocatable").at("pods"), "1M");
    EXPECT_EQ(status.at("nodeInfo").at("kubeletVersion"), "kwok-v0.1.0-ghostlet");
    // The node has an InternalIP and there is no --node-name: nothing to add, and an empty
    // "addresses" would delete the node's own under strategic merge.
    EXPECT_FALSE(status.as_object().contains("addresses"));
    EXPECT_TRUE(writes.empty());
}

TEST_F(sim_fixture, missing_addresses_come_from_node_ip_and_node_name) {
    simulation_config cfg;
    cfg.node_ip = "198.51.100.1";
    cfg.node_name = "localhost";
    cfg.node_port = 10250;
    make(std::move(cfg));
    sim->on_node_upsert(node_json("n0"));
    auto status = body(take()).at("status");
    auto& addresses = status.at("addresses").as_array();
    ASSERT_EQ(addresses.size(), 1u) << "InternalIP exists already; only Hostname is added";
    EXPECT_EQ(addresses[0].at("type"), "Hostname");
    EXPECT_EQ(addresses[0].at("address"), "localhost");
    EXPECT_EQ(status.at("daemonEndpoints").at("kubeletEndpoint").at("Port"), 10250);
}

TEST_F(sim_fixture, a_node_without_internal_ip_gets_a_stable_one_its_pods_use_as_host_ip) {
    // kwok's quick start: `kubectl apply` of a Node with no addresses, kwokctl's --node-ip=.
    make({});
    auto bare = boost::json::parse(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"kwok-node-0",
        "uid":"u0","resourceVersion":"1"},"spec":{"podCIDR":"10.0.9.0/24"}})");
    sim->on_node_upsert(bare);
    auto status = body(take()).at("status");
    auto expected = fallback_node_address(fallback_node_offset("kwok-node-0"));
    EXPECT_EQ(expected.rfind("10.255.", 0), 0u) << expected;
    auto& addresses = status.at("addresses").as_array();
    ASSERT_EQ(addresses.size(), 1u);
    EXPECT_EQ(addresses[0].at("type"), "InternalIP");
    EXPECT_EQ(addresses[0].at("address").as_string(), expected);
    // A pod played before the node's update has come back already uses that address.
    sim->on_pod_upsert(pod_json("p0", "kwok-node-0", "1"));
    auto s = body(take()).at("status");
    EXPECT_EQ(s.at("hostIP").as_string(), expected);
    EXPECT_EQ(s.at("hostIPs").at(0).at("ip").as_string(), expected);
    // And once the node carries it, nothing changes.
    auto with_ip = bare;
    with_ip.at("metadata").as_object()["resourceVersion"] = "2";
    with_ip.as_object()["status"] = {
        {"addresses", boost::json::array{{{"type", "InternalIP"}, {"address", expected}}}}};
    with_ip.at("status").as_object()["conditions"] = boost::json::array{
        {{"type", "Ready"}, {"status", "True"}}};
    sim->on_node_upsert(with_ip);
    sim->on_pod_upsert(pod_json("p1", "kwok-node-0", "1"));
    auto op = take();
    EXPECT_EQ(op.request.target, "/api/v1/namespaces/default/pods/p1/status");
    EXPECT_EQ(body(op).at("status").at("hostIP").as_string(), expected);
}

TEST_F(sim_fixture, fallback_node_ips_are_distinct_and_node_ip_wins) {
    make({});
    std::set<std::string> seen;
    for (int i = 0; i < 3000; ++i) {
        auto name = "n-" + std::to_string(i);
        auto node = boost::json::parse(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")" +
                                       name + R"(","uid":"u","resourceVersion":"1"}})");
        sim->on_node_upsert(node);
        auto ip = body(take()).at("status").at("addresses").at(0).at("address").as_string();
        EXPECT_TRUE(seen.insert(std::string(ip)).second) << name << " got a used address " << ip;
    }

    simulation_config cfg;
    cfg.node_ip = "198.51.100.1";
    make(std::move(cfg));
    auto bare = boost::json::parse(
        R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"n","uid":"u","resourceVersion":"1"}})");
    sim->on_node_upsert(bare);
    EXPECT_EQ(body(take()).at("status").at("addresses").at(0).at("address"), "198.51.100.1");
}

TEST_F(sim_fixture, pods_run_with_an_ip_from_the_node_cidr_and_the_node_host_ip) {
    make({});
    sim->on_node_upsert(node_json("n0"));
    take();
    sim->on_pod_upsert(pod_json("p1", "n0", "10"));
    sim->on_pod_upsert(pod_json("p2", "n0", "11"));
    auto a = take();
    auto b = take();
    EXPECT_EQ(a.request.target, "/api/v1/namespaces/default/pods/p1/status");
    auto sa = body(a).at("status");
    auto sb = body(b).at("status");
    EXPECT_EQ(sa.at("phase"), "Running");
    EXPECT_EQ(sa.at("podIP"), "10.0.7.1");
    EXPECT_EQ(sb.at("podIP"), "10.0.7.2");
    EXPECT_EQ(sa.at("hostIP"), "192.0.2.7");
    EXPECT_EQ(sa.at("containerStatuses").at(0).at("ready"), true);
}

TEST_F(sim_fixture, deleted_pods_return_their_ip_and_deletion_is_forced) {
    make({});
    sim->on_node_upsert(node_json("n0"));
    take();
    sim->on_pod_upsert(pod_json("p1", "n0", "10"));
    auto ready = take();
    EXPECT_EQ(body(ready).at("status").at("podIP"), "10.0.7.1");
    auto terminating = pod_json("p1", "n0", "12", "",
                                R"({"phase":"Running","podIP":"10.0.7.1"})");
    terminating.at("metadata").as_object()["deletionTimestamp"] = "2027-01-01T00:00:00Z";
    sim->on_pod_upsert(terminating);
    auto del = take();
    EXPECT_EQ(del.request.method, http::verb::delete_);
    EXPECT_EQ(del.request.target, "/api/v1/namespaces/default/pods/p1");
    EXPECT_NE(del.request.body.find("\"gracePeriodSeconds\":0"), std::string::npos);
    auto again = terminating;
    again.at("metadata").as_object()["resourceVersion"] = "13";
    sim->on_pod_upsert(again);
    EXPECT_TRUE(writes.empty()) << "one DELETE per pod while the first is pending";
    sim->on_pod_delete(terminating);
    EXPECT_EQ(sim->tracked_pods(), 0u);
    sim->on_pod_upsert(pod_json("p3", "n0", "20"));
    EXPECT_EQ(body(take()).at("status").at("podIP"), "10.0.7.1") << "released IP is reused first";
}

// etcd restarted without some acknowledged writes (seen in the chaos suite): a pod's binding
// was lost and the scheduler bound it again elsewhere. Its address must come from the new
// node's range, and the old node's address must be free again for that node's pods.
TEST_F(sim_fixture, a_pod_bound_again_to_another_node_gets_an_address_there) {
    make({});
    sim->on_node_upsert(node_json("n0"));
    take();
    sim->on_node_upsert(node_json("n1", "", "10.0.8.0/24", "192.0.2.8"));
    take();
    sim->on_pod_upsert(pod_json("p1", "n0", "10"));
    EXPECT_EQ(body(take()).at("status").at("podIP"), "10.0.7.1");
    sim->on_pod_upsert(pod_json("p1", "n1", "30"));  // same uid, the other node
    EXPECT_EQ(body(take()).at("status").at("podIP"), "10.0.8.1");
    sim->on_pod_upsert(pod_json("p2", "n0", "31"));
    EXPECT_EQ(body(take()).at("status").at("podIP"), "10.0.7.1") << "n0's address was returned";
}

// Deleted while our DELETE was pending, its DELETED event unseen, and created anew under the
// same name: the new pod is another pod (its own deletion is sent, not taken as pending).
TEST_F(sim_fixture, a_pod_recreated_under_the_same_name_starts_afresh) {
    make({});
    sim->on_node_upsert(node_json("n0"));
    take();
    auto terminating = pod_json("p1", "n0", "10", "", R"({"phase":"Running","podIP":"10.0.7.1"})");
    terminating.at("metadata").as_object()["deletionTimestamp"] = "2027-01-01T00:00:00Z";
    sim->on_pod_upsert(terminating);
    EXPECT_EQ(take().request.method, http::verb::delete_);
    auto again = pod_json("p1", "n0", "20", "", R"({"phase":"Running","podIP":"10.0.7.2"})");
    again.at("metadata").as_object()["uid"] = "u-p1-second";
    again.at("metadata").as_object()["deletionTimestamp"] = "2027-01-01T00:01:00Z";
    sim->on_pod_upsert(again);
    ASSERT_FALSE(writes.empty()) << "the second p1's deletion was taken for the first one's";
    EXPECT_EQ(take().request.method, http::verb::delete_);
}

// The pod shows another address than the one we allocated (our status write was lost, an
// older one of ours survived): the shown one is the pod's, ours is free again.
TEST_F(sim_fixture, the_address_a_pod_shows_wins_over_ours) {
    make({});
    sim->on_node_upsert(node_json("n0"));
    take();
    sim->on_pod_upsert(pod_json("p1", "n0", "10"));
    EXPECT_EQ(body(take()).at("status").at("podIP"), "10.0.7.1");
    sim->on_pod_upsert(pod_json("p1", "n0", "11", "", R"({"phase":"Running","podIP":"10.0.7.9"})"));
    while (!writes.empty()) take();
    sim->on_pod_upsert(pod_json("p2", "n0", "12"));
    EXPECT_EQ(body(take()).at("status").at("podIP"), "10.0.7.1");
}

TEST_F(sim_fixture, host_network_pods_get_the_node_ip) {
    make({});
    sim->on_node_upsert(node_json("n0"));
    take();
    sim->on_pod_upsert(pod_json("h", "n0", "10", R"(,"hostNetwork":true)"));
    auto s = body(take()).at("status");
    EXPECT_EQ(s.at("podIP"), "192.0.2.7");
    EXPECT_EQ(s.at("hostIP"), "192.0.2.7");
}

TEST_F(sim_fixture, job_pods_complete_once_running) {
    make({});
    sim->on_node_upsert(node_json("n0"));
    take();
    auto running = pod_json("j", "n0", "30", "", R"({"phase":"Running"})");
    running.at("metadata").as_object()["ownerReferences"] =
        boost::json::parse(R"([{"apiVersion":"batch/v1","kind":"Job","name":"job","uid":"x"}])");
    sim->on_pod_upsert(running);
    auto s = body(take()).at("status");
    EXPECT_EQ(s.at("phase"), "Succeeded");
    EXPECT_EQ(s.at("containerStatuses").at(0).at("state").at("terminated").at("reason"),
              "Completed");
}

TEST_F(sim_fixture, pods_that_arrive_before_their_node_wait_for_it) {
    make({});
    sim->on_pod_upsert(pod_json("early", "n9", "5"));
    EXPECT_TRUE(writes.empty());
    EXPECT_EQ(sim->stats().pods_parked, 1u);
    sim->on_node_upsert(node_json("n9", "", "10.0.9.0/24"));
    take();  // node-initialize
    auto pod = take();
    EXPECT_EQ(body(pod).at("status").at("podIP"), "10.0.9.1");
}

TEST_F(sim_fixture, annotation_selector_leaves_other_nodes_and_their_pods_alone) {
    simulation_config cfg;
    cfg.mode = simulation_config::manage_mode::selectors;
    cfg.node_annotation_selector = ghost::kube::label_selector::parse("kwok.x-k8s.io/node=fake", nullptr);
    make(std::move(cfg));
    sim->on_node_upsert(node_json("real"));
    sim->on_node_upsert(node_json("other", R"(,"annotations":{"x":"y"})"));
    EXPECT_TRUE(writes.empty());
    sim->on_pod_upsert(pod_json("p", "real", "3"));
    EXPECT_TRUE(writes.empty());
    sim->on_node_upsert(node_json("fake", R"(,"annotations":{"kwok.x-k8s.io/node":"fake"})"));
    EXPECT_EQ(take().request.target, "/api/v1/nodes/fake/status");
}

TEST_F(sim_fixture, a_stage_failing_on_one_object_leaves_the_others_running) {
    auto stages = default_stages(false);
    auto extra = load_config_text(R"(apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: broken-for-some}
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  weight: 100
  selector:
    matchLabels: {broken: "yes"}
  next:
    statusTemplate: |
      phase: {{ index .spec.containers 5 }}
)", "test.yaml");
    stages.push_back(std::move(extra.stages.at(0)));
    steady = {};
    sim = std::make_unique<simulation>(
        simulation_config{.steady_now = [this] { return steady; },
                          .wall_now = [this] { return wall; },
                          .seed = 1},
        std::move(stages), wheel, [this](write_op op) { writes.push_back(std::move(op)); });
    sim->on_node_upsert(node_json("n0"));
    take();
    auto bad = pod_json("bad", "n0", "1");
    bad.at("metadata").as_object()["labels"] = boost::json::object{{"broken", "yes"}};
    sim->on_pod_upsert(bad);
    EXPECT_TRUE(writes.empty());
    EXPECT_EQ(sim->stats().play_errors, 1u);
    sim->on_pod_upsert(pod_json("good", "n0", "2"));
    EXPECT_EQ(body(take()).at("status").at("phase"), "Running");
}

TEST_F(sim_fixture, a_failing_template_skips_that_object_only) {
    make({});
    sim->on_node_upsert(node_json("n0"));
    take();
    // PodIPsWith cannot allocate from a malformed CIDR: the pod still renders (no IP), and
    // another node's pods are unaffected.
    sim->on_node_upsert(node_json("bad", "", "not-a-cidr"));
    take();
    sim->on_pod_upsert(pod_json("p-bad", "bad", "1"));
    sim->on_pod_upsert(pod_json("p-ok", "n0", "2"));
    auto first = take();
    auto second = take();
    EXPECT_FALSE(body(first).at("status").as_object().contains("podIP"));
    EXPECT_EQ(body(second).at("status").at("podIP"), "10.0.7.1");
}

// Apply steps on Pod stages (kwok plays them on any kind): a namespaced target takes the pod's
// namespace, a merge apply creates and patches when the object exists, the next step waits.
TEST_F(sim_fixture, pod_stages_apply_objects_in_the_pods_namespace) {
    auto extra = load_config_text(R"(apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: pod-config}
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  weight: 100
  selector:
    matchLabels: {config: "yes"}
  steps:
  - apply:
      template: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: 'cfg-{{ .metadata.name }}'}
        data: {node: '{{ .spec.nodeName }}'}
  - apply:
      type: merge
      template: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: shared, namespace: other}
        data: {last: '{{ .metadata.name }}'}
  - patch: {root: status, subresource: status, template: 'phase: Running'}
)", "test.yaml");
    auto stages = default_stages(false);
    stages.push_back(std::move(extra.stages.at(0)));
    ghost::kube::api_resource configmaps;
    configmaps.ref = {"", "v1", "configmaps", true};
    configmaps.kind = "ConfigMap";
    simulation_config cfg{.steady_now = [this] { return steady; },
                          .wall_now = [this] { return wall; },
                          .seed = 1};
    cfg.resolve_apply_target = [&](std::string_view gv, std::string_view kind) {
        return gv == "v1" && kind == "ConfigMap" ? &configmaps : nullptr;
    };
    sim = std::make_unique<simulation>(std::move(cfg), std::move(stages), wheel,
                                       [this](write_op op) { writes.push_back(std::move(op)); });
    sim->on_node_upsert(node_json("n0"));
    take();
    auto pod = pod_json("p1", "n0", "1");
    pod.at("metadata").as_object()["labels"] = boost::json::object{{"config", "yes"}};
    sim->on_pod_upsert(pod);

    auto ssa = take();
    EXPECT_EQ(ssa.request.method, http::verb::patch);
    EXPECT_EQ(ssa.request.target,
              "/api/v1/namespaces/default/configmaps/cfg-p1?fieldManager=ghostlet&force=true");
    EXPECT_EQ(ssa.request.content_type, "application/apply-patch+yaml");
    EXPECT_EQ(body(ssa).at("metadata").at("namespace"), "default");
    EXPECT_EQ(body(ssa).at("data").at("node"), "n0");
    EXPECT_TRUE(writes.empty()) << "the next step waits for the apply";
    complete(ssa, 200);

    auto create = take();
    EXPECT_EQ(create.request.method, http::verb::post);
    EXPECT_EQ(create.request.target, "/api/v1/namespaces/other/configmaps");
    complete(create, 409);
    auto merge = take();
    EXPECT_EQ(merge.request.method, http::verb::patch);
    EXPECT_EQ(merge.request.target, "/api/v1/namespaces/other/configmaps/shared");
    EXPECT_EQ(merge.request.content_type, "application/merge-patch+json");
    complete(merge, 200);

    auto status = take();
    EXPECT_EQ(status.request.target, "/api/v1/namespaces/default/pods/p1/status");
    EXPECT_EQ(sim->stats().write_errors, 0u);
}

TEST_F(sim_fixture, an_apply_step_without_a_resolvable_target_fails_that_pod_only) {
    auto extra = load_config_text(R"(apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: pod-gadget}
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  weight: 100
  selector:
    matchLabels: {gadget: "yes"}
  steps:
  - apply:
      template: |
        apiVersion: nope/v1
        kind: Gadget
        metadata: {name: g}
  - patch: {root: status, subresource: status, template: 'phase: Failed'}
)", "test.yaml");
    auto stages = default_stages(false);
    stages.push_back(std::move(extra.stages.at(0)));
    sim = std::make_unique<simulation>(
        simulation_config{.steady_now = [this] { return steady; },
                          .wall_now = [this] { return wall; },
                          .seed = 1},
        std::move(stages), wheel, [this](write_op op) { writes.push_back(std::move(op)); });
    sim->on_node_upsert(node_json("n0"));
    take();
    auto pod = pod_json("p1", "n0", "1");
    pod.at("metadata").as_object()["labels"] = boost::json::object{{"gadget", "yes"}};
    sim->on_pod_upsert(pod);
    EXPECT_TRUE(writes.empty()) << "the play ends at the step that cannot be sent";
    EXPECT_EQ(sim->stats().play_errors, 1u);
    sim->on_pod_upsert(pod_json("p2", "n0", "2"));
    EXPECT_EQ(body(take()).at("status").at("phase"), "Running");
}

TEST_F(sim_fixture, leases_are_acquired_before_the_node_is_staged_and_then_renewed) {
    simulation_config cfg;
    cfg.lease_duration_seconds = 40;
    make(std::move(cfg), true);
    sim->on_node_upsert(node_json("n0"));
    auto create = take();
    EXPECT_EQ(create.request.method, http::verb::post);
    EXPECT_EQ(create.request.target, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases");
    EXPECT_EQ(create.priority, ghost::engine::write_priority::lease);
    auto lease = body(create);
    EXPECT_EQ(lease.at("spec").at("holderIdentity"), "test-holder");
    EXPECT_EQ(lease.at("metadata").at("ownerReferences").at(0).at("uid"), "uid-n0");
    EXPECT_TRUE(writes.empty()) << "the node is not staged before the lease is ours";
    lease.at("metadata").as_object()["resourceVersion"] = "100";
    complete(create, 201, boost::json::serialize(lease));
    auto init = take();
    EXPECT_EQ(init.request.target, "/api/v1/nodes/n0/status");
    advance(9s);
    EXPECT_TRUE(writes.empty());
    advance(2s);  // 40 s / 4 = 10 s, plus at most 4 % jitter
    auto renew = take();
    EXPECT_EQ(renew.request.method, http::verb::put);
    EXPECT_EQ(body(renew).at("metadata").at("resourceVersion"), "100");
}

TEST_F(sim_fixture, a_lease_held_by_another_live_holder_keeps_the_node_read_only) {
    simulation_config cfg;
    cfg.lease_duration_seconds = 40;
    make(std::move(cfg), true);
    sim->on_node_upsert(node_json("n0"));
    auto create = take();
    complete(create, 409, R"({"kind":"Status","code":409,"reason":"AlreadyExists"})");
    advance(1ms);
    auto get = take();
    EXPECT_EQ(get.request.method, http::verb::get);
    auto foreign = foreign_lease(create, "2027-01-15T08:00:00.000000Z");  // renewed = wall
    complete(get, 200, boost::json::serialize(foreign));
    advance(1ms);
    EXPECT_TRUE(writes.empty()) << "neither the lease nor the node may be touched";
    sim->on_pod_upsert(pod_json("p", "n0", "1"));
    EXPECT_TRUE(writes.empty()) << "pods of a node held elsewhere wait";
    // The other holder stops renewing: ghostlet looks again every interval and takes the lease
    // over once it has expired (40 s after its renewTime).
    write_op takeover;
    for (int round = 0; round < 20; ++round) {
        advance(5s);
        if (writes.empty()) continue;
        auto op = take();
        if (op.request.method == http::verb::put) {
            takeover = std::move(op);
            break;
        }
        EXPECT_EQ(op.request.method, http::verb::get);
        EXPECT_LT(wall, std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'041)))
            << "a GET after expiry should have been answered by a take-over";
        complete(op, 200, boost::json::serialize(foreign));
    }
    ASSERT_EQ(takeover.request.method, http::verb::put);
    EXPECT_GE(wall, std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'040)));
    EXPECT_EQ(body(takeover).at("spec").at("holderIdentity"), "test-holder");
    EXPECT_EQ(body(takeover).at("spec").at("leaseTransitions"), 1);
    complete(takeover, 200, takeover.request.body);
    auto init = take();
    EXPECT_EQ(init.request.target, "/api/v1/nodes/n0/status");
    EXPECT_EQ(take().request.target, "/api/v1/namespaces/default/pods/p/status");
}

TEST_F(sim_fixture, heartbeat_with_lease_refreshes_node_status_within_ten_minutes) {
    simulation_config cfg;
    cfg.lease_duration_seconds = 40;
    make(std::move(cfg), true);
    auto ready = node_json("n0");
    ready.at("status").as_object()["phase"] = "Running";
    ready.at("status").as_object()["conditions"] =
        boost::json::parse(R"([{"type":"Ready","status":"True"}])");
    sim->on_node_upsert(ready);
    auto create = take();
    complete(create, 201, create.request.body);
    EXPECT_TRUE(writes.empty()) << "a Ready node waits for the heartbeat delay";
    std::size_t status_patches = 0;
    for (int i = 0; i < 62; ++i) {
        advance(10s);
        while (!writes.empty()) {
            auto op = take();
            if (op.request.target == "/api/v1/nodes/n0/status") ++status_patches;
            complete(op, 200,
                     op.priority == ghost::engine::write_priority::lease ? create.request.body
                                                                        : "{}");
        }
    }
    EXPECT_EQ(status_patches, 1u);
}

TEST_F(sim_fixture, a_lease_taken_back_after_a_loss_reads_the_node_again_and_stages_it) {
    simulation_config cfg;
    cfg.lease_duration_seconds = 40;
    make(std::move(cfg), true);
    sim->on_node_upsert(node_json("n0"));
    auto create = take();
    complete(create, 201, create.request.body);
    auto init = take();
    EXPECT_EQ(init.request.target, "/api/v1/nodes/n0/status");
    complete(init, 200);
    // Someone else writes the lease: our renewal conflicts, the read shows their live lease.
    advance(11s);
    auto renew = take();
    ASSERT_EQ(renew.request.method, http::verb::put);
    complete(renew, 409, R"({"kind":"Status","code":409,"reason":"Conflict"})");
    advance(1ms);
    auto get = take();
    ASSERT_EQ(get.request.method, http::verb::get);
    auto foreign = foreign_lease(create, "2027-01-15T08:00:11.000000Z");  // renewed = wall
    complete(get, 200, boost::json::serialize(foreign));
    // They stop renewing; after expiry ghostlet takes the lease back. No node event came in
    // meanwhile, so it reads the node to stage it again.
    write_op takeover;
    for (int round = 0; round < 20 && takeover.request.target.empty(); ++round) {
        advance(5s);
        while (!writes.empty()) {
            auto op = take();
            if (op.request.method == http::verb::put) takeover = std::move(op);
            else complete(op, 200, boost::json::serialize(foreign));
        }
    }
    ASSERT_EQ(takeover.request.method, http::verb::put);
    complete(takeover, 200, takeover.request.body);
    auto read = take();
    EXPECT_EQ(read.request.method, http::verb::get);
    EXPECT_EQ(read.request.target, "/api/v1/nodes/n0");
    EXPECT_TRUE(writes.empty());
    complete(read, 200, boost::json::serialize(node_json("n0")));
    EXPECT_EQ(take().request.target, "/api/v1/nodes/n0/status");
}

TEST_F(sim_fixture, replaced_stages_apply_to_the_next_event_and_chosen_ones_still_play) {
    make({});
    sim->on_node_upsert(node_json("n0"));
    take();
    auto failed_stage = [](std::string_view phase, int delay_ms) {
        return ghost::stages::parse_stage(
            YAML::Load("apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata: {name: pod-" +
                       std::string(phase) + "}\nspec:\n  resourceRef: {kind: Pod}\n  selector: {}\n"
                       "  delay: {durationMilliseconds: " + std::to_string(delay_ms) + "}\n"
                       "  next:\n    statusTemplate: 'phase: " + std::string(phase) + "'\n"),
            "crs");
    };
    std::vector<ghost::stages::stage> first;
    first.push_back(failed_stage("Failed", 1000));
    auto node_stages = default_stages(false);
    std::erase_if(node_stages, [](const auto& s) { return s.kind != "Node"; });
    for (auto& s : node_stages) first.push_back(s);
    sim->replace_stages(first);
    sim->on_pod_upsert(pod_json("p1", "n0", "10"));  // chooses pod-Failed, due in 1 s

    std::vector<ghost::stages::stage> second;
    second.push_back(failed_stage("Unknown", 0));
    for (auto& s : node_stages) second.push_back(s);
    sim->replace_stages(second);
    sim->on_pod_upsert(pod_json("p2", "n0", "11"));  // the new set: pod-Unknown at once
    EXPECT_EQ(body(take()).at("status").at("phase"), "Unknown");
    EXPECT_TRUE(writes.empty());
    advance(std::chrono::milliseconds(1001));
    auto late = take();
    EXPECT_EQ(late.request.target, "/api/v1/namespaces/default/pods/p1/status");
    EXPECT_EQ(body(late).at("status").at("phase"), "Failed") << "chosen before the change";
}

namespace {

// A running pod the node-lifecycle controller marked not ready (MarkPodsNotReady sets the
// Ready condition False and leaves the rest).
boost::json::value marked_not_ready(std::string_view name, std::string_view rv) {
    return pod_json(name, "n0", rv, "",
                    R"({"phase":"Running","podIP":"10.0.7.1","conditions":[)"
                    R"({"type":"Initialized","status":"True"},)"
                    R"({"type":"Ready","status":"False","reason":"NodeNotReady"},)"
                    R"({"type":"ContainersReady","status":"True"}],)"
                    R"("containerStatuses":[{"name":"c","ready":true}]})");
}

std::string condition(const boost::json::value& status, std::string_view type) {
    for (const auto& c : status.at("conditions").as_array())
        if (c.at("type").as_string() == type) return std::string(c.at("status").as_string());
    return "absent";
}

}  // namespace

TEST_F(sim_fixture, default_stages_make_a_pod_marked_not_ready_ready_again) {
    make({});
    sim->on_node_upsert(node_json("n0"));
    take();
    sim->on_pod_upsert(marked_not_ready("p", "40"));
    auto op = take();
    EXPECT_EQ(op.request.target, "/api/v1/namespaces/default/pods/p/status");
    auto s = body(op).at("status");
    EXPECT_EQ(condition(s, "Ready"), "True");
    EXPECT_EQ(condition(s, "ContainersReady"), "True");
    EXPECT_FALSE(s.as_object().contains("phase")) << "only the conditions change";
    EXPECT_FALSE(s.as_object().contains("podIP")) << "the pod keeps its IP";
    auto ready = marked_not_ready("p", "41");
    ready.at("status").at("conditions").at(1).as_object()["status"] = "True";
    sim->on_pod_upsert(ready);
    EXPECT_TRUE(writes.empty()) << "a ready running pod is left alone";
}

TEST_F(sim_fixture, a_not_ready_job_pod_or_deleted_pod_is_not_made_ready_again) {
    make({});
    sim->on_node_upsert(node_json("n0"));
    take();
    auto job = marked_not_ready("j", "50");
    job.at("metadata").as_object()["ownerReferences"] =
        boost::json::parse(R"([{"apiVersion":"batch/v1","kind":"Job","name":"job","uid":"x"}])");
    sim->on_pod_upsert(job);
    EXPECT_EQ(body(take()).at("status").at("phase"), "Succeeded") << "pod-complete, not ready again";
    auto deleting = marked_not_ready("d", "51");
    deleting.at("metadata").as_object()["deletionTimestamp"] = "2027-01-01T00:00:00Z";
    sim->on_pod_upsert(deleting);
    EXPECT_EQ(take().request.method, http::verb::delete_);
}

TEST_F(sim_fixture, kwok_pod_fast_stages_leave_a_pod_marked_not_ready_unready_as_kwok) {
    const std::string dir = std::string(GHOST_SHARED_DIR) + "/kwok-stages/";
    auto stages = load_stage_files({dir + "node/fast/node-initialize.yaml",
                                    dir + "pod/fast/pod-ready.yaml", dir + "pod/fast/pod-complete.yaml",
                                    dir + "pod/fast/pod-delete.yaml"});
    simulation_config cfg;
    cfg.steady_now = [this] { return steady; };
    cfg.wall_now = [this] { return wall; };
    cfg.identity = "test-holder";
    sim = std::make_unique<simulation>(std::move(cfg), std::move(stages), wheel,
                                       [this](write_op op) { writes.push_back(std::move(op)); });
    sim->on_node_upsert(node_json("n0"));
    writes.clear();
    sim->on_pod_upsert(marked_not_ready("p", "40"));
    EXPECT_TRUE(writes.empty()) << "kwok's stages only start Pending pods";
}

namespace {

// A sharded replica: `ours` is what the membership says is ours, `alive` the live members.
struct shard_fixture : sim_fixture {
    std::set<std::string> ours;
    std::set<std::string> alive{"test-holder", "other-replica"};

    void make_sharded() {
        simulation_config cfg;
        cfg.lease_duration_seconds = 40;
        cfg.owns_node = [this](std::string_view n) { return ours.count(std::string(n)) > 0; };
        cfg.holder_alive = [this](std::string_view h) { return alive.count(std::string(h)) > 0; };
        make(std::move(cfg), true);
    }
    // Answers every queued write: leases with what was sent, reads with `node`/`pods`.
    void serve(const std::string& pods_list = R"({"items":[]})") {
        while (!writes.empty()) {
            auto op = take();
            auto& t = op.request.target;
            if (t.find("/leases") != std::string::npos) {
                complete(op, op.request.method == http::verb::post ? 201 : 200, op.request.body);
            } else if (t.rfind("/api/v1/pods?", 0) == 0) {
                complete(op, 200, pods_list);
            } else if (op.request.method == http::verb::get) {
                complete(op, 200, boost::json::serialize(node_json(t.substr(t.rfind('/') + 1))));
            } else {
                complete(op, 200);
            }
        }
    }
};

}  // namespace

TEST_F(shard_fixture, nodes_of_another_member_are_left_alone_with_their_pods) {
    ours = {"n0"};
    make_sharded();
    sim->on_node_upsert(node_json("n1"));
    sim->on_pod_upsert(pod_json("p1", "n1", "1"));
    EXPECT_TRUE(writes.empty()) << "neither the lease nor the pods of another member's node";
    EXPECT_FALSE(sim->nodes().is_managed("n1"));
    sim->on_node_upsert(node_json("n0"));
    EXPECT_EQ(take().request.method, http::verb::post) << "our node: its lease first";
}

TEST_F(shard_fixture, a_node_moving_away_is_released_and_its_pods_forgotten_without_deletes) {
    ours = {"n0"};
    make_sharded();
    sim->on_node_upsert(node_json("n0"));
    sim->on_pod_upsert(pod_json("p0", "n0", "1"));
    serve();
    EXPECT_EQ(sim->tracked_pods(), 1u);
    ours.clear();  // a member joined and n0 hashes to it now
    sim->reevaluate_ownership();
    auto release = take();
    EXPECT_EQ(release.request.method, http::verb::put);
    EXPECT_EQ(release.request.target,
              "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n0");
    auto lease = body(release);
    EXPECT_FALSE(lease.at("spec").as_object().contains("holderIdentity"))
        << "given up, so the new owner takes it at once";
    EXPECT_TRUE(writes.empty()) << "no DELETE, no status write";
    EXPECT_EQ(sim->tracked_pods(), 0u);
    EXPECT_EQ(sim->stats().nodes_released, 1u);
    complete(release, 200, release.request.body);
    advance(60s);
    sim->on_pod_upsert(pod_json("p0", "n0", "2"));
    sim->on_node_upsert(node_json("n0"));
    EXPECT_TRUE(writes.empty()) << "no renewal, no stage: n0 is another member's";
}

TEST_F(shard_fixture, a_release_that_races_a_renewal_in_flight_is_sent_again) {
    ours = {"n0"};
    make_sharded();
    sim->on_node_upsert(node_json("n0"));
    serve();
    advance(11s);
    auto renew = take();  // in flight while the membership changes
    ASSERT_EQ(renew.request.method, http::verb::put);
    ours.clear();
    sim->reevaluate_ownership();
    auto release = take();  // carries the resourceVersion from before the renewal
    auto renewed = body(renew);
    renewed.at("metadata").as_object()["resourceVersion"] = "9";
    complete(renew, 200, boost::json::serialize(renewed));
    auto again = take();  // the renewal's reply: still ours on the server, give it up again
    EXPECT_EQ(again.request.method, http::verb::put);
    EXPECT_EQ(body(again).at("metadata").at("resourceVersion"), "9");
    EXPECT_FALSE(body(again).at("spec").as_object().contains("holderIdentity"));
    complete(again, 200, again.request.body);
    complete(release, 409, R"({"kind":"Status","code":409,"reason":"Conflict"})");
    auto get = take();  // the stale one conflicted: is it still ours?
    ASSERT_EQ(get.request.method, http::verb::get);
    complete(get, 200, again.request.body);
    EXPECT_TRUE(writes.empty()) << "given up already: nothing more";
}

TEST_F(shard_fixture, a_node_moving_in_waits_for_a_live_holder_then_reads_node_and_pods) {
    ours = {};
    make_sharded();
    sim->on_node_upsert(node_json("n0"));
    sim->on_pod_upsert(pod_json("p0", "n0", "1"));
    EXPECT_TRUE(writes.empty());
    ours = {"n0"};
    sim->reevaluate_ownership();
    EXPECT_EQ(sim->stats().nodes_taken, 1u);
    auto create = take();
    ASSERT_EQ(create.request.method, http::verb::post);
    complete(create, 409, R"({"kind":"Status","code":409,"reason":"AlreadyExists"})");
    advance(1ms);
    auto get = take();
    ASSERT_EQ(get.request.method, http::verb::get);
    auto held = body(create);
    held.at("spec").as_object()["holderIdentity"] = "other-replica";
    held.at("metadata").as_object()["resourceVersion"] = "5";
    complete(get, 200, boost::json::serialize(held));
    advance(1ms);
    EXPECT_TRUE(writes.empty()) << "the other member is live and still holds it: wait";
    advance(1s);
    auto again = take();
    ASSERT_EQ(again.request.method, http::verb::get) << "read again within a second";
    auto released = held;
    released.at("spec").as_object().erase("holderIdentity");
    complete(again, 200, boost::json::serialize(released));
    advance(1ms);
    auto take_over = take();
    ASSERT_EQ(take_over.request.method, http::verb::put);
    EXPECT_EQ(body(take_over).at("spec").at("holderIdentity"), "test-holder");
    complete(take_over, 200, take_over.request.body);
    auto read_node = take();
    EXPECT_EQ(read_node.request.target, "/api/v1/nodes/n0");
    auto read_pods = take();
    EXPECT_EQ(read_pods.request.target, "/api/v1/pods?fieldSelector=spec.nodeName%3Dn0");
    complete(read_node, 200, boost::json::serialize(node_json("n0")));
    EXPECT_EQ(take().request.target, "/api/v1/nodes/n0/status");
    boost::json::object list;
    list["items"] = boost::json::array{pod_json("p0", "n0", "1")};
    complete(read_pods, 200, boost::json::serialize(list));
    EXPECT_EQ(take().request.target, "/api/v1/namespaces/default/pods/p0/status");
}

TEST_F(shard_fixture, a_dead_members_node_lease_is_taken_before_it_expires) {
    ours = {};
    make_sharded();
    sim->on_node_upsert(node_json("n0"));
    alive.erase("other-replica");  // its membership Lease expired
    ours = {"n0"};
    sim->reevaluate_ownership();
    auto create = take();
    complete(create, 409, R"({"kind":"Status","code":409,"reason":"AlreadyExists"})");
    advance(1ms);
    auto get = take();
    auto held = body(create);
    held.at("spec").as_object()["holderIdentity"] = "other-replica";
    held.at("spec").as_object()["renewTime"] = ghost::kube::format_micro_time(wall - 5s);
    held.at("metadata").as_object()["resourceVersion"] = "5";
    complete(get, 200, boost::json::serialize(held));
    advance(1ms);
    auto take_over = take();
    ASSERT_EQ(take_over.request.method, http::verb::put) << "renewed 5 s ago, but its holder is dead";
    EXPECT_EQ(body(take_over).at("spec").at("holderIdentity"), "test-holder");
    EXPECT_EQ(body(take_over).at("spec").at("leaseTransitions"), 1);
}

TEST_F(shard_fixture, a_late_reply_to_a_released_lease_is_not_fed_to_the_next_one) {
    ours = {"n0"};
    make_sharded();
    sim->on_node_upsert(node_json("n0"));
    serve();
    advance(11s);
    auto renew = take();
    ours.clear();
    sim->reevaluate_ownership();
    auto release = take();
    ours = {"n0"};
    sim->reevaluate_ownership();  // back before the renewal's reply came
    auto create = take();
    ASSERT_EQ(create.request.method, http::verb::post);
    complete(renew, 200, renew.request.body);   // for the first fsm: ignored
    complete(release, 200, release.request.body);
    EXPECT_TRUE(writes.empty());
    complete(create, 409, R"({"kind":"Status","code":409,"reason":"AlreadyExists"})");
    advance(1ms);
    EXPECT_EQ(take().request.method, http::verb::get) << "the new fsm goes on by itself";
}

TEST_F(shard_fixture, a_lease_acquired_after_the_node_moved_away_is_given_up_at_once) {
    ours = {"n0"};
    make_sharded();
    sim->on_node_upsert(node_json("n0"));
    auto create = take();  // queued behind a slow API server when a member joins
    ASSERT_EQ(create.request.method, http::verb::post);
    ours.clear();
    sim->reevaluate_ownership();
    EXPECT_TRUE(writes.empty()) << "not held yet: nothing to give up";
    auto created = body(create);
    created.at("metadata").as_object()["resourceVersion"] = "3";
    complete(create, 201, boost::json::serialize(created));
    auto release = take();
    EXPECT_EQ(release.request.method, http::verb::put);
    EXPECT_EQ(body(release).at("metadata").at("resourceVersion"), "3");
    EXPECT_FALSE(body(release).at("spec").as_object().contains("holderIdentity"));
    EXPECT_EQ(body(release).at("metadata").at("ownerReferences").at(0).at("uid"), "uid-n0");
    EXPECT_TRUE(writes.empty()) << "and the node is not staged";
}

// kwok's checkNeedPatch: a stage patch that would change nothing is not sent (and counted);
// the same stage a second later re-stamps the heartbeat, which is a change.
TEST_F(sim_fixture, a_stage_patch_that_changes_nothing_is_not_sent) {
    make({});
    auto node = node_json("n0");
    sim->on_node_upsert(node);
    auto init = take();
    // The node as the API server has it after node-initialize's patch (status fields replaced
    // wholesale: the patch sets every condition and no addresses).
    auto& status = node.at("status").as_object();
    auto patch = body(init);
    for (const auto& kv : patch.at("status").as_object()) status[kv.key()] = kv.value();
    node.at("metadata").as_object()["resourceVersion"] = "2";
    complete(init, 200);
    sim->on_node_upsert(node);
    EXPECT_TRUE(writes.empty()) << "node-heartbeat waits for its delay";
    // The heartbeat is due while the wall clock still reads the initialization's time: it
    // renders exactly the conditions the node has.
    steady += 30s;
    wheel.advance_to(steady);
    EXPECT_TRUE(writes.empty()) << "an identical heartbeat is not sent";
    EXPECT_EQ(sim->stats().writes_skipped, 1u);
    EXPECT_EQ(sim->stats().stages_played, 2u);
    // A newer version of the node, a second later: the heartbeat's time differs.
    node.at("metadata").as_object()["resourceVersion"] = "3";
    sim->on_node_upsert(node);
    advance(30s);
    auto beat = take();
    EXPECT_EQ(beat.request.target, "/api/v1/nodes/n0/status");
    EXPECT_NE(body(beat).at("status").at("conditions").at(0).at("lastHeartbeatTime"),
              status.at("conditions").at(0).at("lastHeartbeatTime"));
    EXPECT_EQ(sim->stats().writes_skipped, 1u);
}

TEST_F(sim_fixture, a_delete_is_sent_even_after_a_patch_that_changes_nothing) {
    auto stages = default_stages(false);
    auto extra = load_config_text(R"(apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: patch-then-delete}
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  weight: 100
  selector:
    matchExpressions:
    - {key: .metadata.deletionTimestamp, operator: Exists}
  next:
    statusTemplate: |
      phase: Running
    delete: true
)", "test.yaml");
    stages.insert(stages.begin(), std::move(extra.stages.at(0)));
    sim = std::make_unique<simulation>(
        simulation_config{.steady_now = [this] { return steady; },
                          .wall_now = [this] { return wall; },
                          .seed = 1},
        std::move(stages), wheel, [this](write_op op) { writes.push_back(std::move(op)); });
    sim->on_node_upsert(node_json("n0"));
    take();
    auto pod = pod_json("p1", "n0", "5", "", R"({"phase":"Running"})");
    pod.at("metadata").as_object()["deletionTimestamp"] = "2027-01-01T00:00:00Z";
    sim->on_pod_upsert(pod);
    auto del = take();
    EXPECT_EQ(del.request.method, http::verb::delete_);
    EXPECT_EQ(sim->stats().writes_skipped, 1u) << "the unchanged phase patch was skipped";
    EXPECT_TRUE(writes.empty());
}
