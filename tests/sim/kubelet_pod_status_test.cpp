#include "sim/kubelet_pod_status.hpp"

#include "stages/default_stages.hpp"
#include "stages/selector.hpp"
#include "stages/stage.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

namespace ghost::sim {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr std::string_view now = "2027-01-15T08:00:00Z";

json::object pod(std::string_view spec_extra = "", std::string_view meta_extra = "") {
    return json::parse(std::string(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p",
        "namespace":"ns","uid":"u1")") + std::string(meta_extra) + R"(},"spec":{"nodeName":"n1",
        "containers":[{"name":"app","image":"nginx:1"},{"name":"side","image":"envoy"}])" +
        std::string(spec_extra) + R"(},"status":{"phase":"Pending","qosClass":"BestEffort"}})")
        .as_object();
}

TEST(kubelet_pod_status, a_newly_admitted_pod_has_every_container_creating) {
    auto st = first_pod_status(pod(), now);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->at("phase"), "Pending");
    EXPECT_EQ(st->at("startTime").as_string(), now);
    const auto& cs = st->at("containerStatuses").as_array();
    ASSERT_EQ(cs.size(), 2u);
    EXPECT_EQ(cs[0].at("name"), "app");
    EXPECT_EQ(cs[0].at("image"), "nginx:1");
    EXPECT_EQ(cs[1].at("name"), "side");
    for (const auto& c : cs) {
        EXPECT_EQ(c.at("ready"), false);
        EXPECT_EQ(c.at("started"), false);
        EXPECT_EQ(c.at("state").at("waiting").at("reason"), "ContainerCreating");
    }
    EXPECT_FALSE(st->contains("conditions"));
    EXPECT_FALSE(st->contains("podIP"));
}

TEST(kubelet_pod_status, containers_wait_for_the_init_containers) {
    auto st = first_pod_status(pod(R"(,"initContainers":[{"name":"init","image":"busybox"}])"), now);
    ASSERT_TRUE(st);
    for (const auto& c : st->at("containerStatuses").as_array())
        EXPECT_EQ(c.at("state").at("waiting").at("reason"), "PodInitializing");
    EXPECT_FALSE(st->contains("initContainerStatuses"));
}

TEST(kubelet_pod_status, only_a_pod_no_status_was_written_for_yet) {
    auto unbound = pod();
    unbound["spec"].as_object().erase("nodeName");
    EXPECT_FALSE(first_pod_status(unbound, now));
    EXPECT_FALSE(first_pod_status(pod("", R"(,"deletionTimestamp":"2027-01-15T07:00:00Z")"), now));
    auto running = pod();
    running["status"].as_object()["phase"] = "Running";
    EXPECT_FALSE(first_pod_status(running, now));
    auto reported = pod();
    reported["status"].as_object()["containerStatuses"] = json::array{};
    EXPECT_FALSE(first_pod_status(reported, now));
    // Malformed objects are read as absent, never thrown on.
    EXPECT_FALSE(first_pod_status(json::parse(R"({"metadata":{},"spec":{"nodeName":"n1"},
        "status":7})").as_object(), now));
    EXPECT_FALSE(first_pod_status(json::parse(R"({"metadata":{},"spec":{"nodeName":"n1",
        "containers":{}},"status":{"phase":"Pending"}})").as_object(), now));
    EXPECT_FALSE(first_pod_status(json::object{}, now));
    EXPECT_FALSE(awaits_first_status(running));
    EXPECT_FALSE(first_pod_status_write(running, kube::wall_clock::now()));
}

TEST(kubelet_pod_status, the_write_is_a_strategic_patch_under_the_stages_key) {
    auto op = first_pod_status_write(pod(), *kube::parse_rfc3339(now));
    ASSERT_TRUE(op);
    EXPECT_EQ(op->key, "/api/v1/namespaces/ns/pods/p/status");
    EXPECT_EQ(op->priority, engine::write_priority::status);
    EXPECT_EQ(op->request.method, boost::beast::http::verb::patch);
    EXPECT_EQ(op->request.target, op->key);
    EXPECT_EQ(op->request.content_type, "application/strategic-merge-patch+json");
    auto body = json::parse(op->request.body);
    EXPECT_EQ(body.at("status"), json::value(*first_pod_status(pod(), now)));
}

// The names of the stages of `set` that match `object`.
std::set<std::string> matching(const std::vector<stages::stage>& set, const json::object& object) {
    std::set<std::string> out;
    for (const auto& s : set)
        if (s.kind == "Pod" && stages::stage_matches(s, object)) out.insert(s.name);
    return out;
}

std::vector<stages::stage> kwok_set(std::string_view name) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(fs::path(GHOST_SHARED_DIR) / "kwok-stages" / "pod" /
                                                std::string(name)))
        if (e.is_regular_file() && e.path().extension() == ".yaml")
            files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    return stages::load_stage_files(files);
}

TEST(kubelet_pod_status, every_stage_set_plays_the_same_stages_after_it) {
    const std::vector<std::pair<std::string, std::vector<stages::stage>>> sets = {
        {"ghostlet default", stages::default_stages(true)},
        {"kwok pod/fast", kwok_set("fast")},
        {"kwok pod/general", kwok_set("general")},
    };
    const std::vector<json::object> pods = {
        pod(),
        pod(R"(,"initContainers":[{"name":"init","image":"busybox"}])"),
        pod("", R"(,"ownerReferences":[{"kind":"Job","name":"j","apiVersion":"batch/v1","uid":"j1"}])"),
    };
    for (const auto& [name, set] : sets) {
        ASSERT_FALSE(set.empty()) << name;
        for (const auto& p : pods) {
            auto before = matching(set, p);
            EXPECT_FALSE(before.empty()) << name << " plays nothing on " << json::serialize(p);
            auto after = p;
            auto first = first_pod_status(p, now);
            ASSERT_TRUE(first);
            for (const auto& [k, v] : *first) after["status"].as_object()[k] = v;
            EXPECT_EQ(matching(set, after), before) << name << " on " << json::serialize(after);
        }
    }
}

}  // namespace
}  // namespace ghost::sim
