#include "kube/list_watch.hpp"

#include <gtest/gtest.h>

using namespace ghost::kube;
using namespace std::chrono;
using fsm = list_watch_fsm;
using kind = list_watch_fsm::action_kind;

namespace {
backoff_policy policy() { return {1000ms, 8000ms, 2.0}; }
}  // namespace

TEST(list_watch_fsm, list_then_watch_from_list_rv) {
    fsm f(policy());
    auto a = f.next();
    EXPECT_EQ(a.kind, kind::list);
    EXPECT_EQ(a.resource_version, "0");
    EXPECT_EQ(f.current_state(), fsm::state::listing);
    auto gone = f.on_list_done("100", {"ns/a", "ns/b"});
    EXPECT_TRUE(gone.empty());
    EXPECT_EQ(f.known_objects(), 2u);
    a = f.next();
    EXPECT_EQ(a.kind, kind::watch);
    EXPECT_EQ(a.resource_version, "100");
}

TEST(list_watch_fsm, tracks_rv_including_bookmarks_and_resumes_after_clean_close) {
    fsm f(policy());
    f.next();
    f.on_list_done("100", {"ns/a"});
    f.next();
    f.on_event(watch_event_type::added, "101", "ns/b");
    f.on_event(watch_event_type::modified, "102", "ns/a");
    f.on_event(watch_event_type::bookmark, "150", "");
    EXPECT_EQ(f.last_resource_version(), "150");
    EXPECT_EQ(f.known_objects(), 2u);
    f.on_event(watch_event_type::deleted, "151", "ns/a");
    EXPECT_EQ(f.known_objects(), 1u);
    f.on_watch_ended(true, 300s);
    auto a = f.next();
    EXPECT_EQ(a.kind, kind::watch);
    EXPECT_EQ(a.resource_version, "151");
}

TEST(list_watch_fsm, disconnect_backs_off_exponentially_with_cap_then_resumes) {
    fsm f(policy());
    f.next();
    f.on_list_done("100", {});
    std::vector<long long> delays;
    for (int i = 0; i < 6; ++i) {
        auto w = f.next();
        ASSERT_EQ(w.kind, kind::watch);
        EXPECT_EQ(w.resource_version, "100");
        f.on_watch_ended(false, 10ms);
        auto b = f.next();
        ASSERT_EQ(b.kind, kind::wait);
        delays.push_back(b.delay.count());
    }
    EXPECT_EQ(delays, (std::vector<long long>{1000, 2000, 4000, 8000, 8000, 8000}));
    // An event resets the backoff.
    f.next();
    f.on_event(watch_event_type::added, "101", "ns/x");
    f.on_watch_ended(false, 5s);
    EXPECT_EQ(f.next().delay, 1000ms);
    auto w = f.next();
    EXPECT_EQ(w.kind, kind::watch);
    EXPECT_EQ(w.resource_version, "101");
}

TEST(list_watch_fsm, immediate_empty_clean_close_is_a_failure) {
    fsm f(policy());
    f.next();
    f.on_list_done("100", {});
    f.next();
    f.on_watch_ended(true, 5ms);
    EXPECT_EQ(f.next().kind, kind::wait);
    EXPECT_EQ(f.next().kind, kind::watch);
}

TEST(list_watch_fsm, gone_relists_consistently_and_reports_vanished_objects) {
    fsm f(policy());
    f.next();
    f.on_list_done("100", {"ns/a", "ns/b", "c"});
    f.next();
    f.on_event(watch_event_type::added, "101", "ns/d");
    f.on_gone();
    auto a = f.next();
    EXPECT_EQ(a.kind, kind::list);
    EXPECT_EQ(a.resource_version, "");   // consistent read, not the watch cache
    auto gone = f.on_list_done("500", {"ns/b", "ns/e"});
    EXPECT_EQ(gone, (std::vector<std::string>{"c", "ns/a", "ns/d"}));
    EXPECT_EQ(f.known_objects(), 2u);
    a = f.next();
    EXPECT_EQ(a.kind, kind::watch);
    EXPECT_EQ(a.resource_version, "500");
}

TEST(list_watch_fsm, repeated_gone_backs_off) {
    fsm f(policy());
    f.next();
    f.on_list_done("100", {});
    f.next();
    f.on_gone();
    EXPECT_EQ(f.next().kind, kind::list);
    f.on_list_done("200", {});
    f.next();
    f.on_gone();   // again without any event in between
    auto a = f.next();
    EXPECT_EQ(a.kind, kind::wait);
    EXPECT_EQ(f.next().kind, kind::list);
}

TEST(list_watch_fsm, list_failures_back_off_and_retry_list) {
    fsm f(policy());
    f.next();
    f.on_list_failed(false);
    auto a = f.next();
    EXPECT_EQ(a.kind, kind::wait);
    EXPECT_EQ(a.delay, 1000ms);
    a = f.next();
    EXPECT_EQ(a.kind, kind::list);
    EXPECT_EQ(a.resource_version, "0");
    f.on_list_failed(true);   // expired continue token
    EXPECT_EQ(f.next().delay, 2000ms);
    a = f.next();
    EXPECT_EQ(a.kind, kind::list);
    EXPECT_EQ(a.resource_version, "");
    f.on_list_done("300", {});
    EXPECT_EQ(f.consecutive_failures(), 0);
}
