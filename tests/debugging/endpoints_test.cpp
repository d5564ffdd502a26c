// debugging/endpoints: kubelet's debugging paths and exec's repeated command parameters.
#include "debugging/endpoints.hpp"

#include <gtest/gtest.h>

using namespace ghost::debugging;

TEST(debug_endpoints, paths_with_and_without_a_uid) {
    auto logs = parse_endpoint_path(endpoint::container_logs, "/containerLogs/ns/p%2Dx/c");
    ASSERT_TRUE(logs);
    EXPECT_EQ(logs->namespace_, "ns");
    EXPECT_EQ(logs->pod, "p-x") << "segments are decoded";
    EXPECT_EQ(logs->container, "c");
    EXPECT_FALSE(parse_endpoint_path(endpoint::container_logs, "/containerLogs/ns/p/u/c"));
    EXPECT_FALSE(parse_endpoint_path(endpoint::container_logs, "/containerLogs/ns/p"));
    EXPECT_FALSE(parse_endpoint_path(endpoint::container_logs, "/containerLogs/ns//c"));
    EXPECT_FALSE(parse_endpoint_path(endpoint::container_logs, "/containerLogs/ns/p/c/"));
    auto exec = parse_endpoint_path(endpoint::exec, "/exec/ns/p/uid-1/c");
    ASSERT_TRUE(exec);
    EXPECT_EQ(exec->uid, "uid-1");
    EXPECT_EQ(exec->container, "c");
    EXPECT_EQ(parse_endpoint_path(endpoint::attach, "/attach/ns/p/c")->uid, "");
    auto pf = parse_endpoint_path(endpoint::port_forward, "/portForward/ns/p");
    ASSERT_TRUE(pf);
    EXPECT_EQ(pf->pod, "p");
    EXPECT_EQ(parse_endpoint_path(endpoint::port_forward, "/portForward/ns/p/u")->uid, "u");
    EXPECT_FALSE(parse_endpoint_path(endpoint::port_forward, "/portForward/ns/p/u/x"));
    EXPECT_FALSE(parse_endpoint_path(endpoint::exec, "/attach/ns/p/c"));
}

TEST(debug_endpoints, repeated_command_parameters_in_order) {
    EXPECT_EQ(query_values("command=sh&command=-c&stdout=1&command=echo%20hi", "command"),
              (std::vector<std::string>{"sh", "-c", "echo hi"}));
    EXPECT_EQ(query_values("command=echo+hi%2B", "command"), std::vector<std::string>{"echo hi+"})
        << "a plus is a space, as Go's url.ParseQuery reads it";
    EXPECT_TRUE(query_values("stdout=1", "command").empty());
    EXPECT_TRUE(query_values(std::string_view{}, "command").empty()) << "a null view";
}
