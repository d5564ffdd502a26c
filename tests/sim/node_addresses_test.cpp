// fix_repeated_address_types: a dual-stack node's two InternalIPs in a strategic patch (a 422
// from the API server as rendered) are left out when unchanged, or replace the list whole.
#include "sim/node_addresses.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

using namespace ghost::sim;
namespace json = boost::json;

namespace {

const json::value node = json::parse(R"({"metadata":{"name":"n"},"status":{"addresses":[
    {"type":"InternalIP","address":"192.0.2.5"},{"type":"InternalIP","address":"2001:db8::5"},
    {"type":"Hostname","address":"n"}]}})");

struct fixed {
    addresses_fix fix;
    json::value patch;
};

fixed fix(std::string_view patch) {
    json::value p = json::parse(patch);
    auto f = fix_repeated_address_types(p, node);
    return {f, std::move(p)};
}

}  // namespace

TEST(node_addresses, an_unchanged_dual_stack_list_is_left_out) {
    auto r = fix(R"({"status":{"conditions":[{"type":"Ready","status":"True"}],"addresses":[
        {"type":"InternalIP","address":"192.0.2.5"},{"type":"InternalIP","address":"2001:db8::5"},
        {"type":"Hostname","address":"n"}]}})");
    EXPECT_EQ(r.fix, addresses_fix::dropped);
    EXPECT_EQ(r.patch, json::parse(R"({"status":{"conditions":[{"type":"Ready","status":"True"}]}})"));
}

TEST(node_addresses, a_changed_dual_stack_list_replaces_the_nodes_own) {
    // The same addresses in another order, or one fewer: the stage's list is what it wants.
    auto r = fix(R"({"status":{"addresses":[
        {"type":"InternalIP","address":"192.0.2.5"},{"type":"InternalIP","address":"2001:db8::5"}]}})");
    EXPECT_EQ(r.fix, addresses_fix::replaced);
    EXPECT_EQ(r.patch, json::parse(R"({"status":{"addresses":[{"$patch":"replace"},
        {"type":"InternalIP","address":"192.0.2.5"},{"type":"InternalIP","address":"2001:db8::5"}]}})"));
}

TEST(node_addresses, lists_strategic_merge_can_express_are_sent_as_rendered) {
    for (std::string_view patch : {
             R"({"status":{"addresses":[{"type":"Hostname","address":"n"}]}})",
             R"({"status":{"addresses":[{"type":"InternalIP","address":"192.0.2.5"},
                 {"type":"Hostname","address":"n"}]}})",
             R"({"status":{"addresses":[]}})",
             R"({"status":{"conditions":[]}})",
             R"({"metadata":{"labels":{"a":"b"}}})",
             R"([{"op":"add","path":"/status/addresses","value":[]}])",
             R"({"status":{"addresses":[{"$patch":"replace"},
                 {"type":"InternalIP","address":"192.0.2.9"},{"type":"InternalIP","address":"::9"}]}})",
         }) {
        auto r = fix(patch);
        EXPECT_EQ(r.fix, addresses_fix::none) << patch;
        EXPECT_EQ(r.patch, json::parse(patch)) << patch;
    }
}

TEST(node_addresses, a_node_without_addresses_gets_the_list_whole) {
    json::value p = json::parse(R"({"status":{"addresses":[
        {"type":"InternalIP","address":"192.0.2.5"},{"type":"InternalIP","address":"2001:db8::5"}]}})");
    EXPECT_EQ(fix_repeated_address_types(p, json::parse(R"({"status":{}})")),
              addresses_fix::replaced);
    EXPECT_EQ(fix_repeated_address_types(p, json::parse("null")), addresses_fix::none)
        << "already carries the directive";
}
