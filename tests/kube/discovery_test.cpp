#include "kube/discovery.hpp"

#include <gtest/gtest.h>

using namespace ghost::kube;

TEST(discovery, group_versions_split_and_map_to_paths) {
    EXPECT_EQ(split_group_version("v1"), std::make_pair(std::string(), std::string("v1")));
    EXPECT_EQ(split_group_version("apps/v1"), std::make_pair(std::string("apps"), std::string("v1")));
    EXPECT_EQ(discovery_path("v1"), "/api/v1");
    EXPECT_EQ(discovery_path("storage.k8s.io/v1"), "/apis/storage.k8s.io/v1");
}

TEST(discovery, resource_lists_give_scope_and_status_subresources) {
    auto list = parse_api_resource_list(R"({"kind":"APIResourceList","groupVersion":"v1",
        "resources":[
          {"name":"configmaps","namespaced":true,"kind":"ConfigMap","verbs":["get"]},
          {"name":"persistentvolumes","namespaced":false,"kind":"PersistentVolume"},
          {"name":"persistentvolumes/status","namespaced":false,"kind":"PersistentVolume"},
          {"name":"pods/log","namespaced":true,"kind":"Pod"}]})",
                                        "v1");
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 2u);
    const auto* cm = find_kind(*list, "ConfigMap");
    ASSERT_NE(cm, nullptr);
    EXPECT_TRUE(cm->ref.namespaced);
    EXPECT_FALSE(cm->has_status);
    EXPECT_EQ(collection_path(cm->ref), "/api/v1/configmaps");
    const auto* pv = find_kind(*list, "PersistentVolume");
    ASSERT_NE(pv, nullptr);
    EXPECT_FALSE(pv->ref.namespaced);
    EXPECT_TRUE(pv->has_status);
    EXPECT_EQ(find_kind(*list, "Pod"), nullptr) << "only subresources of pods were listed";

    auto crd = parse_api_resource_list(
        R"({"resources":[{"name":"widgets","namespaced":true,"kind":"Widget"}]})", "example.com/v1");
    ASSERT_TRUE(crd);
    EXPECT_EQ(object_path(crd->front().ref, "ns", "w1", "status"),
              "/apis/example.com/v1/namespaces/ns/widgets/w1/status");
}

TEST(discovery, a_body_that_is_not_a_resource_list_is_an_error) {
    std::string error;
    EXPECT_FALSE(parse_api_resource_list("<html>", "v1", &error));
    EXPECT_EQ(error, "discovery v1: expected an APIResourceList object");
    EXPECT_FALSE(parse_api_resource_list(R"({"kind":"Status"})", "apps/v1", &error));
    EXPECT_EQ(error, "discovery apps/v1: expected a resources list");
}
