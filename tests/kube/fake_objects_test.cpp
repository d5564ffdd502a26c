#include "kube/fake_objects.hpp"

#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

using namespace ghost::kube;
namespace json = boost::json;

TEST(fake_objects, scaled_names) {
    EXPECT_EQ(scaled_name("node", 42), "node-000042");
    EXPECT_EQ(scaled_name("pod", 7, 3), "pod-007");
}

TEST(fake_objects, node_gets_its_index_th_cidrs_and_addresses) {
    auto n = make_fake_node("node", 3, default_fake_node_parameters());
    const auto& md = n.at("metadata").as_object();
    EXPECT_EQ(md.at("name"), "node-000003");
    EXPECT_EQ(md.at("labels").at(scale_label), "node");
    EXPECT_EQ(md.at("labels").at("type"), "kwok");
    EXPECT_EQ(md.at("annotations").at("kwok.x-k8s.io/node"), "fake");
    const auto& spec = n.at("spec").as_object();
    EXPECT_EQ(spec.at("podCIDR"), "10.0.3.0/24");
    EXPECT_EQ(json::serialize(spec.at("podCIDRs")), R"(["10.0.3.0/24","fd00:0:0:3::/64"])");
    EXPECT_EQ(spec.at("taints").at(0).at("key"), "kwok.x-k8s.io/node");
    const auto& status = n.at("status").as_object();
    EXPECT_EQ(status.at("addresses").at(0).at("address"), "192.0.2.4");
    EXPECT_EQ(status.at("addresses").at(1).at("address"), "2001:db8::4");
    EXPECT_EQ(status.at("allocatable").at("pods"), "110");
    EXPECT_EQ(status.at("capacity"), status.at("allocatable"));

    auto params = default_fake_node_parameters();
    params["podCIDR"] = "10.0.0.0";
    EXPECT_THROW(make_fake_node("node", 0, params), std::invalid_argument);
}

TEST(fake_objects, pod_is_bound_or_kept_on_fake_nodes) {
    auto params = default_fake_pod_parameters();
    auto free = make_fake_pod("pod", 1, params, "ns");
    EXPECT_EQ(free.at("metadata").at("name"), "pod-000001");
    EXPECT_EQ(free.at("metadata").at("namespace"), "ns");
    EXPECT_EQ(free.at("metadata").at("labels").at("app"), "pod");
    EXPECT_FALSE(free.at("spec").as_object().contains("nodeName"));
    EXPECT_TRUE(free.at("spec").as_object().contains("affinity"));
    EXPECT_EQ(free.at("spec").at("containers").at(0).at("image"), "busybox");
    params["nodeName"] = "node-000000";
    auto bound = make_fake_pod("pod", 1, params, "ns");
    EXPECT_EQ(bound.at("spec").at("nodeName"), "node-000000");
    EXPECT_FALSE(bound.at("spec").as_object().contains("affinity"));
}
