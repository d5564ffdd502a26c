// debugging/container_logs: kubelet's query parameters and the line filter (CRI, Docker JSON,
// plain text; since, timestamps, tailLines, limitBytes).
#include "debugging/container_logs.hpp"

#include "kube/time.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace ghost::debugging;
using std::chrono::system_clock;

namespace {

system_clock::time_point at(std::string_view rfc3339) { return *ghost::kube::parse_rfc3339(rfc3339); }

log_options query(std::string_view q, system_clock::time_point now = {}) {
    std::string error;
    auto o = parse_log_query(q, now, error);
    EXPECT_TRUE(o) << error;
    return o.value_or(log_options{});
}

// Feeds whole text as the reader would (tail offset first, then lines until done).
std::string serve(std::string_view text, const log_options& o) {
    std::size_t start = o.tail_lines ? tail_offset(text, *o.tail_lines) : 0;
    log_filter f(o);
    std::string out;
    while (start < text.size() && !f.done()) {
        auto nl = text.find('\n', start);
        auto end = nl == std::string_view::npos ? text.size() : nl + 1;
        if (!f.feed(text.substr(start, end - start), out)) break;
        start = end;
    }
    return out;
}

const std::string cri =
    "2026-01-01T00:00:01.5Z stdout F one\n"
    "2026-01-01T00:00:02Z stderr F two\n"
    "2026-01-01T00:00:03.000000001Z stdout P thr\n"
    "2026-01-01T00:00:03.2Z stdout F ee\n"
    "2026-01-01T00:00:04Z stdout F four\n";

}  // namespace

TEST(log_query, kubelet_parameters) {
    auto now = at("2026-01-01T00:01:00Z");
    auto o = query("follow=true&previous=1&timestamps&tailLines=3&limitBytes=100&sinceSeconds=10", now);
    EXPECT_TRUE(o.follow);
    EXPECT_TRUE(o.previous);
    EXPECT_TRUE(o.timestamps) << "a bare name is true";
    EXPECT_EQ(o.tail_lines, 3);
    EXPECT_EQ(o.limit_bytes, 100);
    EXPECT_EQ(o.since, at("2026-01-01T00:00:50Z"));
    auto f = query("follow=FALSE&previous=0&timestamps=false");
    EXPECT_FALSE(f.follow);
    EXPECT_FALSE(f.previous);
    EXPECT_FALSE(f.timestamps);
    EXPECT_EQ(query("tail=5").tail_lines, 5) << "the old name";
    EXPECT_FALSE(query("tail=all&tailLines=5").tail_lines);
    auto later = query("sinceSeconds=100&sinceTime=2026-01-01T00:00:30%2B00:00", now);
    EXPECT_EQ(later.since, at("2026-01-01T00:00:30Z")) << "the later of the two";
    std::string error;
    EXPECT_TRUE(parse_log_query(std::string_view{}, now, error)) << "no query at all (a null view)";
    EXPECT_FALSE(parse_log_query("tailLines=x", now, error));
    EXPECT_EQ(error, "Unable to decode query: tailLines: expected an integer, got \"x\"");
    EXPECT_FALSE(parse_log_query("sinceTime=yesterday", now, error));
    EXPECT_NE(error.find("sinceTime"), std::string::npos);
}

TEST(log_filter, cri_lines_with_partial_entries_and_timestamps) {
    EXPECT_EQ(serve(cri, {}), "one\ntwo\nthree\nfour\n");
    log_options ts;
    ts.timestamps = true;
    EXPECT_EQ(serve(cri, ts),
              "2026-01-01T00:00:01.5Z one\n2026-01-01T00:00:02Z two\n"
              "2026-01-01T00:00:03.000000001Z three\n2026-01-01T00:00:04Z four\n")
        << "a partial entry's continuation gets no second timestamp";
    log_options since;
    since.since = at("2026-01-01T00:00:02Z");
    EXPECT_EQ(serve(cri, since), "two\nthree\nfour\n");
}

TEST(log_filter, tail_lines_and_limit_bytes) {
    log_options tail;
    tail.tail_lines = 2;
    EXPECT_EQ(serve(cri, tail), "ee\nfour\n") << "file lines, as kwok's reader counts them";
    tail.tail_lines = 0;
    EXPECT_EQ(serve(cri, tail), "");
    tail.tail_lines = 50;
    EXPECT_EQ(serve(cri, tail), "one\ntwo\nthree\nfour\n");
    log_options limit;
    limit.limit_bytes = 6;
    EXPECT_EQ(serve(cri, limit), "one\ntw");
    EXPECT_EQ(tail_offset("a\nb\nc", 1), 4u) << "an unfinished last line counts";
    EXPECT_EQ(tail_offset("a\nb\nc\n", 2), 2u);
    EXPECT_EQ(tail_offset("a\nb\n", 0), 4u);
    EXPECT_EQ(tail_offset("a\nb\n", -1), 0u);
}

TEST(log_filter, plain_text_and_docker_json) {
    EXPECT_EQ(serve("hello\nworld\n", {}), "hello\nworld\n");
    log_options ts;
    ts.timestamps = true;
    ts.since = at("2030-01-01T00:00:00Z");
    EXPECT_EQ(serve("hello\n", ts), "hello\n") << "plain lines have no time to print or compare";
    std::string docker =
        R"({"log":"a\n","stream":"stdout","time":"2026-01-01T00:00:01Z"})" "\n"
        "not json\n"
        R"({"log":"b\n","stream":"stderr","time":"2026-01-01T00:00:02Z"})" "\n";
    EXPECT_EQ(serve(docker, {}), "a\nb\n") << "a line that does not parse is skipped";
    log_filter f({});
    std::string out;
    f.feed("2026-01-01T00:00:01Z stdout F x\n", out);
    EXPECT_EQ(f.format(), log_format::cri);
    f.feed("garbage\n", out);
    EXPECT_EQ(out, "x\n");
}
