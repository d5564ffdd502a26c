#include "usage/resource_usage.hpp"

#include "fixtures.hpp"
#include "lang/cel.hpp"

#include <gtest/gtest.h>

namespace ghost::usage {
namespace {

using namespace testing;
namespace cel = lang::cel;

struct resource_usage_test : ::testing::Test {
    manual_clock clock;
    usage_state state{clock.fn()};

    double cpu(const boost::json::value& pod, const std::string& container) {
        auto pv = cel::value::json(pod);
        auto cs = pv.map_find_string("spec")->map_find_string("containers");
        for (std::size_t i = 0; i < cs->size(); ++i) {
            auto c = cs->list_at(i);
            if (c.map_find_string("name")->as_string() == container)
                return state.container_usage(pv, c, "cpu");
        }
        ADD_FAILURE() << "no container " << container;
        return -1;
    }
    resource_usage parse(const std::string& text) {
        return parse_resource_usage(yaml(text), "test.yaml", state.environment());
    }
};

TEST_F(resource_usage_test, shipped_usage_from_annotation_reads_the_annotations_else_1m) {
    auto u = parse_resource_usage(shipped("usage-from-annotation.yaml"), "usage-from-annotation.yaml",
                                  state.environment());
    EXPECT_TRUE(u.cluster);
    EXPECT_FALSE(u.selector.has_value());
    ASSERT_EQ(u.usages.size(), 1u);
    EXPECT_TRUE(u.usages[0].containers.empty());
    std::vector<resource_usage> all;
    all.push_back(std::move(u));
    state.set_usages(std::move(all));
    auto annotated = make_pod("default", "a", "n1", {"app"},
                              R"({"kwok.x-k8s.io/usage-cpu":"850m"})");
    auto plain = make_pod("default", "b", "n1", {"app"}, "{}");
    EXPECT_DOUBLE_EQ(cpu(annotated, "app"), 0.85);
    EXPECT_DOUBLE_EQ(cpu(plain, "app"), 0.001);
}

TEST_F(resource_usage_test, pod_resource_usage_wins_and_container_entry_before_default) {
    std::vector<resource_usage> all;
    all.push_back(parse(R"(
kind: ResourceUsage
metadata: {name: a, namespace: ns1}
spec:
  usages:
  - usage: {cpu: {value: 100m}}
  - containers: [side]
    usage: {cpu: {value: 200m}}
)"));
    all.push_back(parse(R"(
kind: ResourceUsage
metadata: {name: c, namespace: ns1}
spec:
  usages:
  - containers: [only]
    usage: {cpu: {value: 5}}
)"));
    all.push_back(parse(R"(
kind: ClusterResourceUsage
metadata: {name: ns1-only}
spec:
  selector: {matchNamespaces: [ns1]}
  usages:
  - usage: {cpu: {value: "3"}}
)"));
    all.push_back(parse(R"(
kind: ClusterResourceUsage
metadata: {name: everyone}
spec:
  usages:
  - usage: {cpu: {expression: 'Quantity("7")'}}
)"));
    state.set_usages(std::move(all));
    auto a = make_pod("ns1", "a", "n", {"main", "side"}, "{}");
    EXPECT_DOUBLE_EQ(cpu(a, "main"), 0.1);   // default entry of its own ResourceUsage
    EXPECT_DOUBLE_EQ(cpu(a, "side"), 0.2);   // its container entry, though listed later
    auto b = make_pod("ns1", "b", "n", {"main"}, "{}");
    EXPECT_DOUBLE_EQ(cpu(b, "main"), 3);     // first matching ClusterResourceUsage
    auto c = make_pod("ns1", "c", "n", {"main"}, "{}");
    EXPECT_DOUBLE_EQ(cpu(c, "main"), 0);     // own ResourceUsage without an entry: 0, no fallback
    auto d = make_pod("ns2", "d", "n", {"main"}, "{}");
    EXPECT_DOUBLE_EQ(cpu(d, "main"), 7);     // selector of ns1-only does not match
}

TEST_F(resource_usage_test, selector_lists_are_wildcards_when_empty) {
    usage_selector s{{}, {"x"}};
    EXPECT_TRUE(s.matches("any", "x"));
    EXPECT_FALSE(s.matches("any", "y"));
    usage_selector t{{"a", "b"}, {}};
    EXPECT_TRUE(t.matches("b", "whatever"));
    EXPECT_FALSE(t.matches("c", "whatever"));
}

TEST_F(resource_usage_test, bad_documents_are_one_line_errors_naming_object_and_field) {
    auto message = [&](const std::string& text) -> std::string {
        try {
            parse(text);
        } catch (const usage_error& e) {
            return e.what();
        }
        return "no error";
    };
    EXPECT_EQ(message(R"(
kind: ClusterResourceUsage
metadata: {name: x}
spec:
  usages:
  - usage: {cpu: {value: lots}}
)"),
              "test.yaml: ClusterResourceUsage \"x\": spec.usages[0].usage.cpu.value: expected a "
              "quantity such as 100m or 1Gi, got \"lots\"");
    auto cel_error = message(R"(
kind: ClusterResourceUsage
metadata: {name: why}
spec:
  usages:
  - usage: {memory: {expression: 'pod.Nope('}}
)");
    EXPECT_EQ(cel_error.rfind("test.yaml: ClusterResourceUsage \"why\": spec.usages[0].usage.memory."
                              "expression: CEL column ", 0),
              0u)
        << cel_error;
    EXPECT_EQ(cel_error.find('\n'), std::string::npos);
    EXPECT_EQ(message("kind: ClusterResourceUsage\nmetadata: {name: z}\nspec:\n  usages:\n  - usage: "
                      "{cpu: {}}\n"),
              "test.yaml: ClusterResourceUsage \"z\": spec.usages[0].usage.cpu: expected value (a "
              "quantity) or expression (CEL)");
}

}  // namespace
}  // namespace ghost::usage
