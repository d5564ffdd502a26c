#include "kube/time.hpp"

#include <gtest/gtest.h>

using namespace ghost::kube;
using namespace std::chrono;

namespace {

wall_clock::time_point at(int y, unsigned mo, unsigned d, int h, int mi, int s, int us,
                          int ns = 0) {
    auto tp = sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi) + seconds(s) +
              microseconds(us) + nanoseconds(ns);
    return time_point_cast<wall_clock::duration>(tp);
}

}  // namespace

TEST(time, micro_time_format_and_parse) {
    auto t = at(2026, 1, 2, 3, 4, 5, 123456);
    EXPECT_EQ(format_micro_time(t), "2026-01-02T03:04:05.123456Z");
    EXPECT_EQ(format_micro_time(at(1999, 12, 31, 23, 59, 59, 7)), "1999-12-31T23:59:59.000007Z");
    EXPECT_EQ(parse_rfc3339("2026-01-02T03:04:05.123456Z"), t);
    EXPECT_EQ(parse_rfc3339("2026-01-02T03:04:05Z"), at(2026, 1, 2, 3, 4, 5, 0));
    EXPECT_EQ(parse_rfc3339("2026-01-02T05:04:05.5+02:00"), at(2026, 1, 2, 3, 4, 5, 500000));
    EXPECT_EQ(parse_rfc3339("2026-01-02T01:04:05-02:00"), at(2026, 1, 2, 3, 4, 5, 0));
    EXPECT_FALSE(parse_rfc3339("2026-01-02 03:04:05Z"));
    EXPECT_FALSE(parse_rfc3339("2026-13-02T03:04:05Z"));
    EXPECT_FALSE(parse_rfc3339("2026-01-02T03:04:05"));
    EXPECT_FALSE(parse_rfc3339("2026-01-02T03:04:05.Z"));
    EXPECT_FALSE(parse_rfc3339("2026-01-02T03:04:05Zjunk"));
}

TEST(time, rfc3339) {
    auto t = parse_rfc3339("2006-01-02T15:04:05Z");
    ASSERT_TRUE(t);
    EXPECT_EQ(duration_cast<seconds>(t->time_since_epoch()).count(), 1136214245);
    EXPECT_EQ(*parse_rfc3339("2006-01-02T16:04:05.5+01:00") - *t, 500ms);
    EXPECT_EQ(*parse_rfc3339("2006-01-02t15:04:05.000000001z") - *t, 1ns);
    EXPECT_FALSE(parse_rfc3339("2006-01-02 15:04:05"));
    EXPECT_FALSE(parse_rfc3339("2006-01-02T15:04:05"));
    EXPECT_FALSE(parse_rfc3339("2006-02-30T15:04:05Z"));
    EXPECT_FALSE(parse_rfc3339("2006-01-02T15:04:60Z"));
    EXPECT_EQ(format_rfc3339(*t + 999ms), "2006-01-02T15:04:05Z");
}

TEST(time, rfc3339_nano_trims_trailing_zeros_as_go) {
    EXPECT_EQ(format_rfc3339_nano(at(2006, 1, 2, 15, 4, 5, 0)), "2006-01-02T15:04:05Z");
    EXPECT_EQ(format_rfc3339_nano(at(2006, 1, 2, 15, 4, 5, 500000)), "2006-01-02T15:04:05.5Z");
    EXPECT_EQ(format_rfc3339_nano(at(2006, 1, 2, 15, 4, 5, 0, 1)),
              "2006-01-02T15:04:05.000000001Z");
    EXPECT_EQ(format_rfc3339_nano(at(1969, 12, 31, 23, 59, 59, 250000)),
              "1969-12-31T23:59:59.25Z");
    auto t = at(2026, 5, 6, 7, 8, 9, 123456, 789);
    EXPECT_EQ(parse_rfc3339(format_rfc3339_nano(t)), t);
}
