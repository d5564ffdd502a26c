// Dual-stack nodes (two InternalIPs, as `ghostctl scale node` makes them) against the real
// control plane. Strategic merge matches status.addresses by type, so a stage that renders the
// node's own two InternalIPs back (kwok's node-initialize and heartbeat-with-lease templates do)
// is answered 422 "Duplicate value" as rendered. ghostlet leaves an unchanged list out and
// sends a changed one with `$patch: replace`, as the kubelet does; its default heartbeat does
// not send addresses the node already has. The heartbeats' delays are cut to about a second.

#include "tests/integration/cluster_fixture.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <set>

namespace ghost::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

const char* const dual_stack_node = R"({"apiVersion": "v1", "kind": "Node",
  "metadata": {"name": "dual-0", "annotations": {"kwok.x-k8s.io/node": "fake"},
               "labels": {"type": "kwok"}},
  "status": {"addresses": [{"type": "InternalIP", "address": "192.0.2.7"},
                           {"type": "InternalIP", "address": "2001:db8::7"}]}})";

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

class node_addresses_it : public cluster_fixture {
protected:
    // One config file of `files`, the heartbeat's 10-20 minute delay cut to 1-2 s.
    fs::path stage_set(const std::vector<fs::path>& files) {
        fs::path set = work_ / "stages.yaml";
        std::ofstream out(set);
        for (const auto& f : files) {
            std::string text = read_text(f);
            EXPECT_FALSE(text.empty()) << f;
            text = replace_all(text, "durationMilliseconds: 600000", "durationMilliseconds: 1000");
            text = replace_all(text, "DurationMilliseconds: 610000", "DurationMilliseconds: 1000");
            out << text << "\n---\n";
        }
        return set;
    }

    std::string heartbeat(const json::value& node) {
        const auto* conds = node.at("status").as_object().if_contains("conditions");
        if (!conds) return "";
        for (const auto& c : conds->as_array())
            if (str(c, {"type"}) == "Ready" && str(c, {"status"}) == "True")
                return str(c, {"lastHeartbeatTime"});
        return "";
    }

    // The node turns Ready and its heartbeat advances twice, its own addresses kept; returns
    // ghostlet's metrics text.
    std::string expect_heartbeats_on_a_dual_stack_node() {
        std::ofstream(work_ / "node.json") << dual_stack_node;
        auto created = kubectl({"create", "-f", (work_ / "node.json").string()});
        EXPECT_EQ(created.exit_code, 0) << created.output;
        std::set<std::string> beats;
        json::value node;
        bool beating = wait_for(60s, [&] {
            node = kubectl_json({"get", "node", "dual-0"});
            auto t = heartbeat(node);
            if (!t.empty()) beats.insert(t);
            return beats.size() >= 3;
        });
        EXPECT_TRUE(beating) << beats.size() << " heartbeat times seen: " << json::serialize(node);
        std::set<std::string> ips;
        for (const auto& a : node.at("status").at("addresses").as_array())
            if (str(a, {"type"}) == "InternalIP") ips.insert(str(a, {"address"}));
        EXPECT_EQ(ips, (std::set<std::string>{"192.0.2.7", "2001:db8::7"}))
            << json::serialize(node.at("status").at("addresses"));
        auto metrics = http_get(ghostlet_metrics_port(), "/metrics");
        EXPECT_EQ(metric_value(metrics, "ghostlet_write_errors_total"), 0) << "a patch refused";
        return metrics;
    }
};

TEST_F(node_addresses_it, kwoks_stages_as_written_beat_on_a_dual_stack_node) {
    fs::path kwok = KWOK_STAGES_DIR;
    auto set = stage_set({kwok / "node/fast/node-initialize.yaml",
                          kwok / "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml"});
    create_cluster("kwok", {"--extra-args", "ghostlet=config=" + set.string()});
    auto metrics = expect_heartbeats_on_a_dual_stack_node();
    // kwok's initialize adds only what is missing; each heartbeat renders the node's two
    // InternalIPs back, and each was left out (two heartbeats at least: three times seen).
    EXPECT_GE(metric_value(metrics, "ghostlet_node_addresses_fixed_total"), 2);
}

TEST_F(node_addresses_it, the_default_heartbeat_does_not_send_the_nodes_addresses) {
    fs::path own = fs::path(GHOST_SOURCE_DIR) / "stages/defaults";
    auto set = stage_set({own / "node-initialize.yaml", own / "node-heartbeat-with-lease.yaml"});
    create_cluster("default", {"--extra-args", "ghostlet=config=" + set.string()});
    auto metrics = expect_heartbeats_on_a_dual_stack_node();
    EXPECT_EQ(metric_value(metrics, "ghostlet_node_addresses_fixed_total"), 0);
}

}  // namespace
}  // namespace ghost::testing
