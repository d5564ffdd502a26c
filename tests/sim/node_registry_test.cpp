#include "sim/node_registry.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using namespace ghost::sim;

TEST(node_registry, host_ips_prefer_internal_and_add_the_other_family) {
    auto node = boost::json::parse(R"({"status":{"addresses":[
        {"type":"Hostname","address":"n0"},
        {"type":"ExternalIP","address":"203.0.113.1"},
        {"type":"InternalIP","address":"192.0.2.1"},
        {"type":"InternalIP","address":"2001:db8::1"}]}})").as_object();
    EXPECT_EQ(node_host_ips(node), (std::vector<std::string>{"192.0.2.1", "2001:db8::1"}));
    auto external_only = boost::json::parse(
        R"({"status":{"addresses":[{"type":"ExternalIP","address":"203.0.113.1"}]}})");
    EXPECT_EQ(node_host_ips(external_only.as_object()),
              (std::vector<std::string>{"203.0.113.1"}));
    EXPECT_TRUE(node_host_ips(boost::json::object{}).empty());
}

TEST(node_registry, pod_cidrs_fall_back_to_pod_cidr) {
    auto both = boost::json::parse(
        R"({"spec":{"podCIDR":"10.0.1.0/24","podCIDRs":["10.0.1.0/24","fd00::/64"]}})");
    EXPECT_EQ(node_pod_cidrs(both.as_object()),
              (std::vector<std::string>{"10.0.1.0/24", "fd00::/64"}));
    auto single = boost::json::parse(R"({"spec":{"podCIDR":"10.0.2.0/24"}})");
    EXPECT_EQ(node_pod_cidrs(single.as_object()), (std::vector<std::string>{"10.0.2.0/24"}));
}

TEST(node_registry, upsert_updates_and_erase_forgets) {
    node_registry reg;
    auto node = boost::json::parse(
        R"({"metadata":{"name":"n0","uid":"u1"},"spec":{"podCIDR":"10.0.0.0/24"}})");
    reg.upsert(node.as_object(), true);
    ASSERT_NE(reg.find("n0"), nullptr);
    EXPECT_EQ(reg.find("n0")->uid, "u1");
    EXPECT_TRUE(reg.is_managed("n0"));
    reg.upsert(node.as_object(), false);
    EXPECT_FALSE(reg.is_managed("n0"));
    EXPECT_EQ(reg.managed_count(), 0u);
    reg.erase("n0");
    EXPECT_EQ(reg.find("n0"), nullptr);
}
