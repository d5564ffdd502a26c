#include "kube/quantity.hpp"

#include <gtest/gtest.h>

using ghost::kube::quantity;

namespace {
quantity q(std::string_view s) {
    auto r = quantity::parse(s);
    EXPECT_TRUE(r) << s;
    return r.value_or(quantity());
}
}  // namespace

TEST(quantity, suffixes_scale_exactly) {
    EXPECT_EQ(q("100m").milli(), 100);
    EXPECT_EQ(q("1").milli(), 1000);
    EXPECT_EQ(q("1.5").milli(), 1500);
    EXPECT_EQ(q("2k").value(), 2000);
    EXPECT_EQ(q("1Ki").value(), 1024);
    EXPECT_EQ(q("1Mi").value(), 1048576);
    EXPECT_EQ(q("1Gi").value(), 1073741824);
    EXPECT_EQ(q("1Ei").value(), 1152921504606846976LL);
    EXPECT_EQ(q("1e3").value(), 1000);
    EXPECT_EQ(q("1E-3").milli(), 1);
    EXPECT_EQ(q("5n").nanos(), 5);
    EXPECT_EQ(q("-250m").milli(), -250);
    EXPECT_EQ(q("+3").value(), 3);
    EXPECT_EQ(q(".5").milli(), 500);
    EXPECT_DOUBLE_EQ(q("256Mi").as_double(), 268435456.0);
}

TEST(quantity, finer_digits_round_up_like_kubernetes) {
    EXPECT_EQ(q("0.1n").nanos(), 1);
    EXPECT_EQ(q("1.0000000001").nanos(), 1'000'000'001);
    EXPECT_EQ(q("1500u").milli(), 2);  // MilliValue rounds up
}

TEST(quantity, malformed_text_is_rejected) {
    for (auto bad : {"", "m", "1.2.3", "10Q", "1Kii", "--1", "1e", "e3", "1 m", "0x10"}) {
        EXPECT_FALSE(quantity::parse(bad)) << bad;
    }
}

TEST(quantity, arithmetic_comparison_and_text) {
    EXPECT_EQ(q("1") + q("500m"), q("1.5"));
    EXPECT_EQ(q("1Gi") - q("512Mi"), q("512Mi"));
    EXPECT_LT(q("999m"), q("1"));
    EXPECT_EQ(q("1000m"), q("1"));
    EXPECT_EQ(q("100m").to_string(), "100m");
    EXPECT_EQ(q("1500m").to_string(), "1500m");
    EXPECT_EQ(q("2000").to_string(), "2k");
    EXPECT_EQ(q("1Gi").to_string(), "1Gi");
    EXPECT_EQ(q("1536Mi").to_string(), "1536Mi");
    EXPECT_EQ(q("0").to_string(), "0");
    EXPECT_EQ((-q("5")).to_string(), "-5");
    EXPECT_EQ(quantity::from_double(0.25).milli(), 250);
}
