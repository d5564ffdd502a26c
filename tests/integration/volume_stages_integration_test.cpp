// Volume stage sets (CEL selectors and apply steps) against a real control plane, each loaded
// unchanged from its directory: ghostlet's own stages/sets/volume and kwok's own
// kustomize/stage/volume/fast (read in place from kwok v0.8.0's source, which
// tools/get-control-plane.sh links as <bin>/kwok-source). A PersistentVolumeClaim of class
// kwok-volume becomes Bound to a PersistentVolume that ghostlet created with an apply step, a
// Pod using the claim runs, and deleting the claim releases and deletes the volume.
#include "tests/integration/cluster_fixture.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace ghost::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

struct volume_set {
    std::string name;
    std::filesystem::path dir;
};
void PrintTo(const volume_set& s, std::ostream* os) { *os << s.name; }

class volume_stages_it : public cluster_fixture,
                         public ::testing::WithParamInterface<volume_set> {};

TEST_P(volume_stages_it, claims_bind_to_applied_volumes_and_are_reclaimed) {
    const std::filesystem::path set = GetParam().dir;
    ASSERT_TRUE(std::filesystem::exists(set / "kustomization.yaml"))
        << set << " missing: run tools/get-control-plane.sh (it links kwok's source)";
    create_cluster("volume-" + GetParam().name, {"--extra-args", "ghostlet=config=" + set.string()});
    std::ifstream sc(set / "storage-class.yaml");
    std::stringstream text;
    text << sc.rdbuf();
    apply(text.str());
    ASSERT_EQ(ghostctl({"scale", "node", "--replicas", "1"}).exit_code, 0);
    std::string node;
    ASSERT_TRUE(wait_for(60s, [&] {
        auto nodes = kubectl_json({"get", "nodes"});
        if (nodes.at("items").as_array().empty()) return false;
        node = str(nodes.at("items").at(0), {"metadata", "name"});
        return true;
    }));

    apply(R"(apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: default}
spec:
  storageClassName: kwok-volume
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
)");
    json::value pvc;
    ASSERT_TRUE(wait_for(60s, [&] {
        pvc = kubectl_json({"get", "pvc", "data", "-n", "default"});
        return str(pvc, {"status", "phase"}) == "Bound";
    })) << json::serialize(pvc);
    std::string uid = str(pvc, {"metadata", "uid"});
    std::string volume = str(pvc, {"spec", "volumeName"});
    EXPECT_EQ(volume, "pvc-" + uid);
    json::value pv;
    EXPECT_TRUE(wait_for(60s, [&] {
        pv = kubectl_json({"get", "pv", volume});
        return str(pv, {"status", "phase"}) == "Bound";
    })) << json::serialize(pv);
    EXPECT_EQ(str(pv, {"metadata", "annotations", "pv.kubernetes.io/provisioned-by"}),
              "kwok.x-k8s.io/volume");
    EXPECT_EQ(str(pv, {"spec", "claimRef", "name"}), "data");
    EXPECT_EQ(str(pv, {"spec", "capacity", "storage"}), "1Gi");

    apply("apiVersion: v1\nkind: Pod\nmetadata: {name: uses-data, namespace: default}\nspec:\n"
          "  nodeName: " + node + "\n  containers: [{name: c, image: fake}]\n"
          "  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]\n");
    EXPECT_TRUE(wait_for(60s, [&] {
        return str(kubectl_json({"get", "pod", "uses-data", "-n", "default"}),
                       {"status", "phase"}) == "Running";
    }));

    ASSERT_EQ(kubectl({"delete", "pod", "uses-data", "-n", "default", "--wait=false"}).exit_code, 0);
    ASSERT_EQ(kubectl({"delete", "pvc", "data", "-n", "default", "--wait=false"}).exit_code, 0);
    EXPECT_TRUE(wait_for(120s, [&] { return kubectl({"get", "pv", volume}).exit_code != 0; }))
        << "the released volume was not deleted: " << kubectl({"get", "pv", volume, "-o", "yaml"}).output;
}

INSTANTIATE_TEST_SUITE_P(
    sets, volume_stages_it,
    ::testing::Values(
        volume_set{"ghostlet", std::filesystem::path(GHOST_SOURCE_DIR) / "stages/sets/volume"},
        volume_set{"kwok", kwok_source_dir() / "kustomize/stage/volume/fast"}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace ghost::testing
