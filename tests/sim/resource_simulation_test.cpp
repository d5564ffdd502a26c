// Stages on other kinds, on a manual clock with a recording sink.
#include "sim/resource_simulation.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <deque>

namespace {

using namespace ghost::sim;
using ghost::engine::manual_scheduler;
namespace json = boost::json;

ghost::stages::stage stage_of(const std::string& spec) {
    return ghost::stages::parse_stage(
        YAML::Load("apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata: {name: s}\n"
                   "spec:\n" + spec),
        "t.yaml");
}

ghost::kube::api_resource resource(std::string group, std::string plural, std::string kind,
                                   bool namespaced, bool status) {
    ghost::kube::api_resource r;
    r.ref = {std::move(group), "v1", std::move(plural), namespaced};
    r.kind = std::move(kind);
    r.has_status = status;
    return r;
}

struct resource_sim : ::testing::Test {
    manual_scheduler::time_point steady{};
    manual_scheduler wheel{steady};
    std::deque<write_op> writes;
    ghost::kube::api_resource pv = resource("", "persistentvolumes", "PersistentVolume", false, true);
    std::unique_ptr<resource_simulation> sim;

    void make(ghost::kube::api_resource r, std::vector<ghost::stages::stage> stages) {
        resource_simulation_config cfg;
        cfg.steady_now = [this] { return steady; };
        cfg.seed = 1;
        sim = std::make_unique<resource_simulation>(
            std::move(r), std::move(stages), cfg, wheel,
            [this](write_op op) { writes.push_back(std::move(op)); },
            [this](std::string_view gv, std::string_view kind) -> const ghost::kube::api_resource* {
                return gv == "v1" && kind == "PersistentVolume" ? &pv : nullptr;
            });
    }
    void advance(std::chrono::milliseconds d) {
        steady += d;
        wheel.advance_to(steady);
    }
    write_op take() {
        EXPECT_FALSE(writes.empty());
        write_op op = std::move(writes.front());
        writes.pop_front();
        return op;
    }
    static void complete(write_op& op, unsigned status) {
        ghost::engine::http_response r;
        r.status = status;
        r.body = "{}";
        op.on_done(r);
    }
};

TEST_F(resource_sim, a_status_patch_goes_to_the_object_when_there_is_no_status_subresource) {
    make(resource("example.com", "widgets", "Widget", true, false),
         {stage_of("  resourceRef: {apiGroup: example.com/v1, kind: Widget}\n  selector: {}\n"
                   "  steps:\n  - patch: {subresource: status, root: status, template: 'phase: Ready'}\n")});
    sim->on_upsert(json::parse(R"({"metadata":{"name":"w","namespace":"ns","resourceVersion":"1"}})"));
    advance(std::chrono::milliseconds(1));
    auto op = take();
    EXPECT_EQ(op.request.target, "/apis/example.com/v1/namespaces/ns/widgets/w");
    EXPECT_EQ(op.request.content_type, "application/merge-patch+json");
    EXPECT_EQ(json::parse(op.request.body), json::parse(R"({"status":{"phase":"Ready"}})"));
}

TEST_F(resource_sim, apply_steps_server_side_apply_then_the_next_step_follows) {
    make(resource("", "persistentvolumeclaims", "PersistentVolumeClaim", true, true),
         {stage_of("  resourceRef: {apiGroup: v1, kind: PersistentVolumeClaim}\n  selector: {}\n"
                   "  steps:\n"
                   "  - apply:\n      template: |\n        apiVersion: v1\n        kind: PersistentVolume\n"
                   "        metadata: {name: 'pvc-{{ .metadata.uid }}'}\n"
                   "  - patch: {root: spec, template: 'volumeName: x'}\n")});
    sim->on_upsert(json::parse(
        R"({"metadata":{"name":"c","namespace":"ns","uid":"u1","resourceVersion":"1"}})"));
    advance(std::chrono::milliseconds(1));
    auto apply = take();
    EXPECT_EQ(apply.request.target, "/api/v1/persistentvolumes/pvc-u1?fieldManager=ghostlet&force=true");
    EXPECT_EQ(apply.request.content_type, "application/apply-patch+yaml");
    EXPECT_EQ(json::parse(apply.request.body).at("metadata"), json::parse(R"({"name":"pvc-u1"})"))
        << "a cluster-scoped target gets no namespace";
    EXPECT_TRUE(writes.empty()) << "the next step waits for the apply";
    complete(apply, 201);
    auto patch = take();
    EXPECT_EQ(patch.request.target, "/api/v1/namespaces/ns/persistentvolumeclaims/c");
}

TEST_F(resource_sim, merge_apply_creates_and_patches_when_the_object_exists) {
    make(resource("", "persistentvolumeclaims", "PersistentVolumeClaim", true, true),
         {stage_of("  resourceRef: {apiGroup: v1, kind: PersistentVolumeClaim}\n  selector: {}\n"
                   "  steps:\n  - apply:\n      type: merge\n      template: |\n"
                   "        apiVersion: v1\n        kind: PersistentVolume\n"
                   "        metadata: {name: pv1}\n        spec: {x: 1}\n")});
    sim->on_upsert(json::parse(R"({"metadata":{"name":"c","namespace":"ns","resourceVersion":"1"}})"));
    advance(std::chrono::milliseconds(1));
    auto create = take();
    EXPECT_EQ(create.request.method, boost::beast::http::verb::post);
    EXPECT_EQ(create.request.target, "/api/v1/persistentvolumes");
    complete(create, 409);
    auto patch = take();
    EXPECT_EQ(patch.request.method, boost::beast::http::verb::patch);
    EXPECT_EQ(patch.request.target, "/api/v1/persistentvolumes/pv1");
    EXPECT_EQ(patch.request.content_type, "application/merge-patch+json");
}

TEST_F(resource_sim, an_unknown_apply_target_fails_that_object_only) {
    make(resource("", "configmaps", "ConfigMap", true, false),
         {stage_of("  resourceRef: {apiGroup: v1, kind: ConfigMap}\n  selector: {}\n"
                   "  steps:\n  - apply:\n      template: |\n        apiVersion: nope/v1\n"
                   "        kind: Gadget\n        metadata: {name: g}\n")});
    sim->on_upsert(json::parse(R"({"metadata":{"name":"a","namespace":"ns","resourceVersion":"1"}})"));
    sim->on_upsert(json::parse(R"({"metadata":{"name":"b","namespace":"ns","resourceVersion":"1"}})"));
    advance(std::chrono::milliseconds(1));
    EXPECT_TRUE(writes.empty());
    EXPECT_EQ(sim->stats().play_errors, 2u);
    EXPECT_EQ(sim->stats().stages_played, 2u);
}

}  // namespace
