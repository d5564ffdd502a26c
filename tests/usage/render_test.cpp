#include "usage/render.hpp"

#include "fixtures.hpp"
#include "usage/catalog.hpp"
#include "usage/object_index.hpp"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

namespace ghost::usage {
namespace {

using namespace testing;
using namespace std::chrono_literals;

// "name{labels}" -> value, for every sample line.
std::map<std::string, double> samples(const std::string& text) {
    std::map<std::string, double> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto sp = line.rfind(' ');
        out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
    }
    return out;
}

struct render_test : ::testing::Test {
    manual_clock clock;
    usage_state state{clock.fn()};
    catalog cat{state};
    object_index index;

    void SetUp() override {
        ASSERT_EQ(cat.add_config(shipped("metrics-resource.yaml"), "metrics-resource.yaml"),
                  std::nullopt);
        ASSERT_EQ(cat.add_config(shipped("usage-from-annotation.yaml"), "usage-from-annotation.yaml"),
                  std::nullopt);
        const std::string annotated =
            R"({"kwok.x-k8s.io/usage-cpu":"850m","kwok.x-k8s.io/usage-memory":"256Mi"})";
        index.upsert_node(make_node("n1").get_object(), true);
        index.upsert_pod(make_pod("default", "p1", "n1", {"app"}, annotated).get_object());
        index.upsert_pod(make_pod("default", "p2", "n1", {"c1", "c2"}, annotated).get_object());
        index.upsert_pod(make_pod("other", "p3", "n1", {"app"}, "").get_object());  // no annotations
        index.upsert_pod(make_pod("default", "elsewhere", "n2", {"app"}, annotated).get_object());
        state.set_started_containers(
            [this](std::string_view n) { return index.started_containers(n); });
    }
    std::string scrape(const std::string& node = "n1") {
        scrape_input in{index.node(node), index.pods_of(node)};
        std::string out;
        std::vector<std::string> errors;
        render_metric(cat.metrics().at(0), in, state, out, &errors);
        for (const auto& e : errors) ADD_FAILURE() << e;
        return out;
    }
};

constexpr double mib256 = 256.0 * 1024 * 1024;

TEST_F(render_test, shipped_metric_serves_container_pod_and_node_usage) {
    auto text = scrape();
    auto s = samples(text);
    EXPECT_EQ(s.at("scrape_error"), 0);
    EXPECT_EQ(s.at(R"(container_memory_working_set_bytes{container="app",namespace="default",pod="p1"})"),
              mib256);
    EXPECT_EQ(s.at(R"(container_memory_working_set_bytes{container="c2",namespace="default",pod="p2"})"),
              mib256);
    EXPECT_EQ(s.at(R"(pod_memory_working_set_bytes{namespace="default",pod="p1"})"), mib256);
    EXPECT_EQ(s.at(R"(pod_memory_working_set_bytes{namespace="default",pod="p2"})"), 2 * mib256);
    // No annotation at all: the shipped default 1Mi.
    EXPECT_EQ(s.at(R"(pod_memory_working_set_bytes{namespace="other",pod="p3"})"), 1024 * 1024);
    EXPECT_EQ(s.at("node_memory_working_set_bytes"), 3 * mib256 + 1024 * 1024);
    EXPECT_EQ(s.count(R"(pod_memory_working_set_bytes{namespace="default",pod="elsewhere"})"), 0u);
    // Counters start at 0 on the first scrape.
    EXPECT_EQ(s.at("node_cpu_usage_seconds_total"), 0);
    EXPECT_EQ(s.at(R"(pod_cpu_usage_seconds_total{namespace="default",pod="p1"})"), 0);
    // Exposition shape: HELP (escaped newline) and TYPE before the samples, families by name.
    EXPECT_NE(text.find("# HELP container_cpu_usage_seconds_total [ALPHA] Cumulative cpu time "
                        "consumed by the container in core-seconds\\n\n# TYPE "
                        "container_cpu_usage_seconds_total counter\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("node_memory_working_set_bytes 8.06354944e+08\n"), std::string::npos)
        << text;
    EXPECT_LT(text.find("# TYPE container_cpu"), text.find("# TYPE node_cpu"));
    EXPECT_LT(text.find("# TYPE pod_memory"), text.find("# TYPE scrape_error"));
}

TEST_F(render_test, cumulative_cpu_integrates_rate_times_elapsed_between_scrapes) {
    scrape();
    clock.now += 10s;
    auto s = samples(scrape());
    EXPECT_DOUBLE_EQ(
        s.at(R"(container_cpu_usage_seconds_total{container="app",namespace="default",pod="p1"})"),
        8.5);
    EXPECT_DOUBLE_EQ(s.at(R"(pod_cpu_usage_seconds_total{namespace="default",pod="p1"})"), 8.5);
    EXPECT_DOUBLE_EQ(s.at(R"(pod_cpu_usage_seconds_total{namespace="default",pod="p2"})"), 17);
    EXPECT_DOUBLE_EQ(s.at(R"(pod_cpu_usage_seconds_total{namespace="other",pod="p3"})"), 0.01);
    EXPECT_DOUBLE_EQ(s.at("node_cpu_usage_seconds_total"), (0.85 * 3 + 0.001) * 10);
    // The same instant again adds nothing; later scrapes keep growing.
    auto same = samples(scrape());
    EXPECT_DOUBLE_EQ(same.at("node_cpu_usage_seconds_total"), (0.85 * 3 + 0.001) * 10);
    clock.now += 5s;
    auto later = samples(scrape());
    EXPECT_DOUBLE_EQ(later.at(R"(pod_cpu_usage_seconds_total{namespace="default",pod="p1"})"),
                     8.5 + 0.85 * 5);
    EXPECT_GT(later.at("node_cpu_usage_seconds_total"), s.at("node_cpu_usage_seconds_total"));
}

TEST_F(render_test, rendered_in_steps_the_scrape_is_the_same_text_with_time_passing_between) {
    scrape();
    clock.now += 10s;
    // A twin fixture state would differ in its integrals; instead compare one scrape in steps of
    // one series, with the clock moving between the steps, against a whole scrape taken at the
    // instant the stepped one began.
    auto pods = index.pods_of("n1");
    std::string stepped;
    std::size_t steps = 0;
    {
        metric_render r(cat.metrics().at(0), scrape_input{index.node("n1"), pods}, state);
        while (!r.step(1, stepped)) {
            ++steps;
            EXPECT_TRUE(stepped.empty());  // nothing is written before the last step
        }
        EXPECT_GT(r.evaluated(), 10u);
        EXPECT_EQ(steps, r.evaluated());  // one series per step, then one that writes
    }
    auto s = samples(stepped);
    EXPECT_DOUBLE_EQ(s.at("node_cpu_usage_seconds_total"), (0.85 * 3 + 0.001) * 10);
    EXPECT_DOUBLE_EQ(s.at(R"(pod_cpu_usage_seconds_total{namespace="default",pod="p2"})"), 17);
    EXPECT_EQ(s.at(R"(container_memory_working_set_bytes{container="c2",namespace="default",pod="p2"})"),
              mib256);
    // Node = sum of its pods in the same scrape, as with a scrape in one go.
    EXPECT_DOUBLE_EQ(s.at("node_memory_working_set_bytes"), 3 * mib256 + 1024 * 1024);
    // Nothing was integrated twice: the same instant in one go reads the same values (start
    // times aside: SinceSecond reads the wall clock).
    auto whole = samples(scrape());
    auto wall = [](const auto& kv) { return kv.first.starts_with("container_start_time_seconds"); };
    std::erase_if(whole, wall);
    std::erase_if(s, wall);
    EXPECT_EQ(whole, s);
}

TEST_F(render_test, a_render_abandoned_midway_ends_the_scrape_and_the_next_one_works) {
    auto pods = index.pods_of("n1");
    {
        metric_render r(cat.metrics().at(0), scrape_input{index.node("n1"), pods}, state);
        std::string out;
        EXPECT_FALSE(r.step(2, out));
    }
    EXPECT_EQ(samples(scrape()).at("scrape_error"), 0);
}

TEST_F(render_test, a_deleted_pod_leaves_the_node_and_its_integral_is_dropped) {
    scrape();
    clock.now += 2s;
    scrape();
    auto before = state.integrals();
    auto p2 = make_pod("default", "p2", "n1", {"c1", "c2"}, "");
    index.erase_pod(p2.get_object());
    state.forget_pod("default", "p2");
    EXPECT_EQ(state.integrals(), before - 2);
    auto s = samples(scrape());
    EXPECT_EQ(s.count(R"(pod_memory_working_set_bytes{namespace="default",pod="p2"})"), 0u);
    EXPECT_EQ(s.at("node_memory_working_set_bytes"), mib256 + 1024 * 1024);
}

TEST_F(render_test, unknown_or_unmanaged_node_renders_nothing) {
    EXPECT_EQ(scrape("n2"), "");  // pods are known, the node is not managed
    index.upsert_node(make_node("n1").get_object(), false);
    EXPECT_EQ(index.node("n1"), nullptr);
}

TEST(render, histogram_folds_hidden_buckets_into_the_next_visible_and_escapes_labels) {
    manual_clock clock;
    usage_state state{clock.fn()};
    auto m = parse_metric(yaml(R"(
kind: Metric
metadata: {name: h}
spec:
  path: /metrics/h
  metrics:
  - name: lat
    help: "a \\ b"
    kind: histogram
    labels: [{name: node, value: 'node.metadata.name + "\"x\"\n"'}]
    buckets:
    - {le: 0.5, value: '2', hidden: true}
    - {le: 1, value: '3'}
    - {le: 2.5, value: '1', hidden: true}
    - {le: 5, value: '4'}
    - {le: 10, value: '5', hidden: true}
  - name: started
    kind: gauge
    value: 'StartedContainersTotal(node) + node.startedContainersTotal() + StartedContainersTotal("n")'
  - name: clock
    kind: gauge
    value: 'UnixSecond(now()) > 1.0e9 && UnixSecond(Now()) > 1.0e9 ? 1 : 0'
)"),
                          "h.yaml", state.environment());
    state.set_started_containers([](std::string_view n) { return n == "n" ? 2u : 0u; });
    auto node = make_node("n");
    std::string out;
    std::vector<std::string> errors;
    render_metric(m, {&node, {}}, state, out, &errors);
    EXPECT_TRUE(errors.empty()) << errors.front();
    EXPECT_EQ(out,
              "# TYPE clock gauge\n"
              "clock 1\n"
              "# HELP lat a \\\\ b\n"
              "# TYPE lat histogram\n"
              "lat_bucket{node=\"n\\\"x\\\"\\n\",le=\"1\"} 5\n"
              "lat_bucket{node=\"n\\\"x\\\"\\n\",le=\"5\"} 10\n"
              "lat_bucket{node=\"n\\\"x\\\"\\n\",le=\"+Inf\"} 15\n"
              "lat_sum{node=\"n\\\"x\\\"\\n\"} 76.5\n"
              "lat_count{node=\"n\\\"x\\\"\\n\"} 15\n"
              "# TYPE started gauge\n"
              "started 6\n");
}

TEST(render, a_series_that_fails_is_left_out_and_reported) {
    manual_clock clock;
    usage_state state{clock.fn()};
    auto m = parse_metric(yaml(R"(
kind: Metric
metadata: {name: e}
spec:
  path: /metrics/e
  metrics:
  - {name: good, kind: gauge, value: '1.5'}
  - {name: bad, kind: gauge, value: 'node.spec.missing'}
)"),
                          "e.yaml", state.environment());
    auto node = make_node("n");
    std::string out;
    std::vector<std::string> errors;
    render_metric(m, {&node, {}}, state, out, &errors);
    EXPECT_EQ(out, "# TYPE good gauge\ngood 1.5\n");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].rfind("metric \"bad\": value: ", 0), 0u) << errors[0];
}

TEST(render, floats_print_as_the_go_client_does) {
    auto f = [](double v) {
        std::string s;
        append_prometheus_float(s, v);
        return s;
    };
    EXPECT_EQ(f(0), "0");
    EXPECT_EQ(f(0.85), "0.85");
    EXPECT_EQ(f(1), "1");
    EXPECT_EQ(f(123456), "123456");
    EXPECT_EQ(f(1048576), "1.048576e+06");
    EXPECT_EQ(f(268435456), "2.68435456e+08");
    EXPECT_EQ(f(0.0001), "0.0001");
    EXPECT_EQ(f(0.00001), "1e-05");
    EXPECT_EQ(f(-2.5), "-2.5");
    EXPECT_EQ(f(1.0 / 0.0), "+Inf");
}

}  // namespace
}  // namespace ghost::usage
