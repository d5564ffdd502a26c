// debugging/resources: the eight kinds parse as kwok's types; a bad field is one line naming the
// source, the object and the field.
#include "debugging/resources.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using namespace ghost::debugging;

namespace {

boost::json::object obj(std::string_view json) { return boost::json::parse(json).as_object(); }

std::string error_of(std::string_view json) {
    std::string error;
    auto r = parse_debug_resource(obj(json), "f.yaml", error);
    EXPECT_FALSE(r.has_value()) << json;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    return error;
}

}  // namespace

TEST(debug_resources, logs_and_cluster_logs) {
    std::string error;
    auto logs = parse_debug_resource(
        obj(R"({"kind":"Logs","metadata":{"name":"p","namespace":"ns"},"spec":{"logs":[
            {"containers":["c"],"logsFile":"/a","previousLogsFile":"/b","follow":true},
            {"logsFile":"/d"}]}})"),
        "f.yaml", error);
    ASSERT_TRUE(logs) << error;
    EXPECT_EQ(logs->kind, debug_kind::logs);
    EXPECT_FALSE(logs->cluster);
    EXPECT_EQ(logs->namespace_, "ns");
    ASSERT_EQ(logs->logs.size(), 2u);
    EXPECT_EQ(logs->logs[0].containers, std::vector<std::string>{"c"});
    EXPECT_EQ(logs->logs[0].previous_logs_file, "/b");
    EXPECT_TRUE(logs->logs[0].follow);
    EXPECT_EQ(logs->logs[1].logs_file, "/d");
    EXPECT_TRUE(logs->applies_to("ns", "p"));
    EXPECT_FALSE(logs->applies_to("other", "p"));
    EXPECT_FALSE(logs->applies_to("ns", "q"));

    auto cluster = parse_debug_resource(
        obj(R"({"kind":"ClusterLogs","metadata":{"name":"all"},"spec":{
            "selector":{"matchNamespaces":["ns"]},"logs":[{"logsFile":"/x"}]}})"),
        "f.yaml", error);
    ASSERT_TRUE(cluster) << error;
    EXPECT_TRUE(cluster->cluster);
    EXPECT_TRUE(cluster->applies_to("ns", "anything"));
    EXPECT_FALSE(cluster->applies_to("kube-system", "anything"));
    auto everyone = parse_debug_resource(
        obj(R"({"kind":"ClusterLogs","metadata":{"name":"all"},"spec":{"logs":[]}})"), "f", error);
    ASSERT_TRUE(everyone) << error;
    EXPECT_TRUE(everyone->applies_to("any", "pod")) << "no selector: every pod, as kwok";
}

TEST(debug_resources, exec_attach_and_port_forward) {
    std::string error;
    auto exec = parse_debug_resource(
        obj(R"({"kind":"ClusterExec","metadata":{"name":"e"},"spec":{"execs":[
            {"containers":["c"],"local":{"workDir":"/tmp","envs":[{"name":"A","value":"1"}],
             "securityContext":{"runAsUser":1000,"runAsGroup":100}}},{}]}})"),
        "f", error);
    ASSERT_TRUE(exec) << error;
    ASSERT_EQ(exec->execs.size(), 2u);
    EXPECT_TRUE(exec->execs[0].local);
    EXPECT_EQ(exec->execs[0].work_dir, "/tmp");
    ASSERT_EQ(exec->execs[0].envs.size(), 1u);
    EXPECT_EQ(exec->execs[0].envs[0].name, "A");
    EXPECT_EQ(exec->execs[0].run_as_user, 1000);
    EXPECT_EQ(exec->execs[0].run_as_group, 100);
    EXPECT_FALSE(exec->execs[1].local) << "no local: nothing may run";

    auto attach = parse_debug_resource(
        obj(R"({"kind":"Attach","metadata":{"name":"p"},"spec":{"attaches":[{"logsFile":"/l"}]}})"),
        "f", error);
    ASSERT_TRUE(attach) << error;
    EXPECT_EQ(attach->namespace_, "default");
    EXPECT_EQ(attach->attaches[0].logs_file, "/l");

    auto forward = parse_debug_resource(
        obj(R"({"kind":"PortForward","metadata":{"name":"p","namespace":"n"},"spec":{"forwards":[
            {"ports":[80],"target":{"address":"127.0.0.1","port":8080}},{"command":["nc","x","1"]}]}})"),
        "f", error);
    ASSERT_TRUE(forward) << error;
    EXPECT_EQ(forward->forwards[0].ports, std::vector<std::int32_t>{80});
    ASSERT_TRUE(forward->forwards[0].target);
    EXPECT_EQ(forward->forwards[0].target->port, 8080);
    EXPECT_EQ(forward->forwards[1].command.size(), 3u);
}

TEST(debug_resources, bad_fields_are_one_line_errors_naming_the_field) {
    EXPECT_EQ(error_of(R"({"kind":"Logs","metadata":{"name":"p"},"spec":{"logs":[{"logsFile":3}]}})"),
              "f.yaml: Logs \"p\": spec.logs[0].logsFile: expected a string, got 3");
    EXPECT_EQ(error_of(R"({"kind":"Logs","metadata":{"name":"p"},"spec":{}})"),
              "f.yaml: Logs \"p\": spec.logs: expected a list, got nothing");
    EXPECT_EQ(error_of(R"({"kind":"ClusterExec","metadata":{"name":"e"},"spec":{"execs":[
                  {"local":{"securityContext":{"runAsUser":"root"}}}]}})"),
              "f.yaml: ClusterExec \"e\": spec.execs[0].local.securityContext.runAsUser: expected "
              "an integer, got \"root\"");
    EXPECT_EQ(error_of(R"({"kind":"Exec","metadata":{"name":"e"},"spec":{"execs":[
                  {"local":{"securityContext":{"runAsUser":-1}}}]}})"),
              "f.yaml: Exec \"e\": spec.execs[0].local.securityContext.runAsUser: expected an "
              "integer from 0 to 4294967295, got -1");
    EXPECT_EQ(error_of(R"({"kind":"PortForward","metadata":{"name":"p"},"spec":{"forwards":[
                  {"target":{"address":"x","port":70000}}]}})"),
              "f.yaml: PortForward \"p\": spec.forwards[0].target.port: expected an integer from 0 "
              "to 65535, got 70000");
    EXPECT_EQ(error_of(R"({"kind":"PortForward","metadata":{"name":"p"},"spec":{"forwards":[{}]}})"),
              "f.yaml: PortForward \"p\": spec.forwards[0]: expected target (address and port) or "
              "command");
    EXPECT_EQ(error_of(R"({"kind":"ClusterAttach","metadata":{"name":"a"},"spec":{
                  "selector":{"matchNames":"x"},"attaches":[]}})"),
              "f.yaml: ClusterAttach \"a\": spec.selector.matchNames: expected a list, got \"x\"");
    EXPECT_NE(error_of(R"({"kind":"Stage","metadata":{"name":"s"},"spec":{}})").find("kind: expected Logs"),
              std::string::npos);
    EXPECT_TRUE(is_debug_kind("ClusterPortForward"));
    EXPECT_FALSE(is_debug_kind("Metric"));
}
