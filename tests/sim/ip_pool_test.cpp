#include "sim/ip_pool.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace {

using ghost::sim::ip_pool;
using ghost::sim::pool_set;

TEST(ip_pool, allocates_from_base_plus_one) {
    ip_pool p("10.0.0.0/24");
    EXPECT_EQ(p.allocate(), "10.0.0.1");
    EXPECT_EQ(p.allocate(), "10.0.0.2");
    EXPECT_EQ(p.used_count(), 2u);
}

TEST(ip_pool, base_is_taken_as_written) {
    ip_pool p("10.0.0.5/24");
    EXPECT_EQ(p.allocate(), "10.0.0.6");
    ip_pool q("10.0.0.255/16");
    EXPECT_EQ(q.allocate(), "10.0.1.0");
}

TEST(ip_pool, released_addresses_are_reused_first) {
    ip_pool p("10.0.0.0/24");
    auto a = p.allocate();
    auto b = p.allocate();
    p.release(a);
    EXPECT_FALSE(p.in_use(a));
    EXPECT_EQ(p.allocate(), a);
    EXPECT_EQ(p.allocate(), "10.0.0.3");
    EXPECT_TRUE(p.in_use(b));
}

TEST(ip_pool, marked_addresses_are_skipped) {
    ip_pool p("10.0.0.0/24");
    p.mark_used("10.0.0.1");
    p.mark_used("10.0.0.2");
    p.mark_used("bogus");
    p.mark_used("fd00::1");  // other family: ignored
    EXPECT_EQ(p.allocate(), "10.0.0.3");
    p.release("10.0.0.1");
    EXPECT_EQ(p.allocate(), "10.0.0.1");
    p.release("10.9.9.9");  // never used: ignored
    EXPECT_EQ(p.allocate(), "10.0.0.4");
}

TEST(ip_pool, released_addresses_come_back_lowest_first) {
    ip_pool p("10.0.0.0/16");
    for (int i = 0; i < 200; ++i) p.allocate();  // 10.0.0.1 .. 10.0.0.200
    p.release("10.0.0.150");
    p.release("10.0.0.3");
    p.release("10.0.0.70");
    EXPECT_EQ(p.used_count(), 197u);
    EXPECT_EQ(p.allocate(), "10.0.0.3");
    EXPECT_EQ(p.allocate(), "10.0.0.70");
    EXPECT_EQ(p.allocate(), "10.0.0.150");
    EXPECT_EQ(p.allocate(), "10.0.0.201");
}

TEST(ip_pool, an_address_marked_ahead_and_released_is_reached_in_turn) {
    ip_pool p("10.0.0.0/24");
    p.mark_used("10.0.0.3");
    p.release("10.0.0.3");
    EXPECT_FALSE(p.in_use("10.0.0.3"));
    EXPECT_EQ(p.allocate(), "10.0.0.1");
    EXPECT_EQ(p.allocate(), "10.0.0.2");
    EXPECT_EQ(p.allocate(), "10.0.0.3");
    EXPECT_EQ(p.used_count(), 3u);
}

TEST(ip_pool, a_released_address_marked_again_is_not_handed_out) {
    ip_pool p("10.0.0.0/24");
    p.allocate();
    p.allocate();
    p.release("10.0.0.1");
    p.mark_used("10.0.0.1");  // a restarted pod still shows it
    EXPECT_EQ(p.allocate(), "10.0.0.3");
}

TEST(ip_pool, addresses_far_from_the_base_and_the_base_itself) {
    ip_pool p("10.0.0.0/8");
    p.mark_used("10.200.0.1");  // 13M past the base: beyond the bitmap
    p.mark_used("10.0.0.0");    // the base, never handed out by counting
    EXPECT_TRUE(p.in_use("10.200.0.1"));
    EXPECT_EQ(p.used_count(), 2u);
    p.release("10.0.0.0");
    EXPECT_EQ(p.allocate(), "10.0.0.0");  // released: reused first
    EXPECT_EQ(p.allocate(), "10.0.0.1");
    p.release("10.200.0.1");
    EXPECT_FALSE(p.in_use("10.200.0.1"));
    EXPECT_EQ(p.used_count(), 2u);
}

TEST(ip_pool, ipv6) {
    ip_pool p("fd00:10::/64");
    EXPECT_TRUE(p.is_v6());
    EXPECT_EQ(p.allocate(), "fd00:10::1");
    p.mark_used("fd00:10::2");
    EXPECT_EQ(p.allocate(), "fd00:10::3");
    ip_pool q("fd00::ffff/120");
    EXPECT_EQ(q.allocate(), "fd00::1:0");
}

TEST(ip_pool, bad_cidrs_throw) {
    EXPECT_THROW(ip_pool("nope"), std::invalid_argument);
    EXPECT_THROW(ip_pool("10.0.0.0/33"), std::invalid_argument);
    EXPECT_THROW(ip_pool("10.0.0.0/"), std::invalid_argument);
}

TEST(pool_set, one_pool_per_cidr_string) {
    pool_set s;
    EXPECT_EQ(s.allocate("10.0.0.0/24"), "10.0.0.1");
    EXPECT_EQ(s.allocate("10.0.1.0/24"), "10.0.1.1");
    EXPECT_EQ(s.allocate("10.0.0.0/24"), "10.0.0.2");
    s.release("10.0.0.0/24", "10.0.0.1");
    EXPECT_EQ(s.allocate("10.0.0.0/24"), "10.0.0.1");
    EXPECT_EQ(s.size(), 2u);
}

}  // namespace
