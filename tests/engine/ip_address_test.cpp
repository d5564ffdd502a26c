#include "engine/ip_address.hpp"

#include <gtest/gtest.h>

using namespace ghost::engine;

TEST(ip_address, parses_and_formats_both_families) {
    auto v4 = parse_ip("192.0.2.1");
    ASSERT_TRUE(v4);
    EXPECT_FALSE(v4->v6);
    EXPECT_EQ(v4->value, 0xC0000201u);
    EXPECT_EQ(to_string(*v4), "192.0.2.1");
    auto v6 = parse_ip("2001:db8:0::1");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->v6);
    EXPECT_EQ(to_string(*v6), "2001:db8::1");
    EXPECT_FALSE(parse_ip("10.0.0"));
    EXPECT_FALSE(parse_ip("10.0.0.0/24"));
    EXPECT_FALSE(parse_ip(""));
}

TEST(ip_address, adds_within_the_family) {
    EXPECT_EQ(to_string(add(*parse_ip("192.0.2.1"), 300)), "192.0.3.45");
    EXPECT_EQ(to_string(add(*parse_ip("255.255.255.255"), 2)), "0.0.0.1");
    EXPECT_EQ(to_string(add(*parse_ip("2001:db8::1"), 0x10000)), "2001:db8::1:1");
}

TEST(ip_address, cidrs_and_subnets) {
    auto p = parse_cidr("10.0.0.0/24");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->bits, 24);
    EXPECT_EQ(to_string(nth_subnet(*p, 3)), "10.0.3.0/24");
    EXPECT_EQ(to_string(nth_subnet(*p, 256)), "10.1.0.0/24");
    EXPECT_EQ(to_string(nth_subnet(*parse_cidr("fd00::/64"), 2)), "fd00:0:0:2::/64");
    EXPECT_EQ(to_string(nth_subnet(*parse_cidr("10.0.0.0/0"), 1)), "10.0.0.0/0");
    EXPECT_TRUE(contains(*p, *parse_ip("10.0.0.200")));
    EXPECT_FALSE(contains(*p, *parse_ip("10.0.1.0")));
    EXPECT_FALSE(contains(*p, *parse_ip("::1")));
    EXPECT_TRUE(contains(*parse_cidr("::/0"), *parse_ip("fd00::1")));
    EXPECT_FALSE(parse_cidr("10.0.0.0"));
    EXPECT_FALSE(parse_cidr("10.0.0.0/33"));
    EXPECT_FALSE(parse_cidr("fd00::/129"));
    EXPECT_FALSE(parse_cidr("10.0.0.0/"));
    EXPECT_FALSE(parse_cidr("10.0.0.0/2x"));
}
