#include "lang/duration.hpp"

#include <gtest/gtest.h>

using namespace ghost::lang;
using namespace std::chrono_literals;

TEST(duration, go_durations) {
    EXPECT_EQ(*parse_go_duration("10s"), 10s);
    EXPECT_EQ(*parse_go_duration("1m30s"), 90s);
    EXPECT_EQ(*parse_go_duration("500ms"), 500ms);
    EXPECT_EQ(*parse_go_duration("1.5h"), 90min);
    EXPECT_EQ(*parse_go_duration("-2us"), -2us);
    EXPECT_EQ(*parse_go_duration("0"), 0ns);
    EXPECT_FALSE(parse_go_duration("10"));
    EXPECT_FALSE(parse_go_duration(""));
    EXPECT_FALSE(parse_go_duration("1x"));
    EXPECT_FALSE(parse_go_duration("s"));
}
