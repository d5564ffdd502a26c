// debugging/catalog: kwok's selection rules — the pod's own namespaced resource decides, then
// the first Cluster* one with an entry; an entry naming the container/port wins over the first
// one with an empty list; custom resources come and go.
#include "debugging/catalog.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using namespace ghost::debugging;

namespace {

boost::json::object obj(std::string_view json) { return boost::json::parse(json).as_object(); }

void add(catalog& c, std::string_view json) {
    auto err = c.add_config(obj(json), "f.yaml");
    ASSERT_FALSE(err) << *err;
}

}  // namespace

TEST(debug_catalog, the_named_container_wins_over_the_first_default_entry) {
    catalog c;
    add(c, R"({"kind":"Logs","metadata":{"name":"p","namespace":"ns"},"spec":{"logs":[
        {"logsFile":"/first-default"},{"logsFile":"/second-default"},
        {"containers":["a","b"],"logsFile":"/ab"}]}})");
    auto b = c.find_logs("ns", "p", "b");
    ASSERT_TRUE(b.entry) << b.error;
    EXPECT_EQ(b.entry->logs_file, "/ab");
    auto other = c.find_logs("ns", "p", "z");
    ASSERT_TRUE(other.entry) << other.error;
    EXPECT_EQ(other.entry->logs_file, "/first-default");
}

TEST(debug_catalog, the_pods_own_resource_decides_even_without_an_entry) {
    catalog c;
    add(c, R"({"kind":"ClusterLogs","metadata":{"name":"all"},"spec":{"logs":[{"logsFile":"/cluster"}]}})");
    add(c, R"({"kind":"Logs","metadata":{"name":"p","namespace":"ns"},"spec":{"logs":[
        {"containers":["a"],"logsFile":"/a"}]}})");
    EXPECT_EQ(c.find_logs("ns", "p", "a").entry->logs_file, "/a");
    auto missing = c.find_logs("ns", "p", "b");
    EXPECT_EQ(missing.entry, nullptr);
    EXPECT_EQ(missing.error, "log target not found for container \"b\" in pod \"ns/p\"");
    EXPECT_EQ(c.find_logs("ns", "q", "b").entry->logs_file, "/cluster") << "other pods: cluster";
}

TEST(debug_catalog, cluster_resources_by_selector_first_with_an_entry) {
    catalog c;
    add(c, R"({"kind":"ClusterExec","metadata":{"name":"one"},"spec":{
        "selector":{"matchNamespaces":["team"]},"execs":[{"containers":["x"],"local":{"workDir":"/x"}}]}})");
    add(c, R"({"kind":"ClusterExec","metadata":{"name":"two"},"spec":{
        "selector":{"matchNames":["p"]},"execs":[{"local":{"workDir":"/two"}}]}})");
    EXPECT_EQ(c.find_exec("team", "p", "x").entry->work_dir, "/x");
    EXPECT_EQ(c.find_exec("team", "p", "y").entry->work_dir, "/two")
        << "the first has no entry for y: the next one that matches";
    auto none = c.find_exec("team", "q", "y");
    EXPECT_EQ(none.entry, nullptr);
    EXPECT_EQ(none.error, "no exec found for container \"y\" in pod \"team/q\"");
}

TEST(debug_catalog, port_forward_by_port_and_attach_by_container) {
    catalog c;
    add(c, R"({"kind":"PortForward","metadata":{"name":"p","namespace":"ns"},"spec":{"forwards":[
        {"target":{"address":"127.0.0.1","port":1}},{"ports":[80],"target":{"address":"127.0.0.1","port":8080}}]}})");
    add(c, R"({"kind":"ClusterAttach","metadata":{"name":"a"},"spec":{"attaches":[{"logsFile":"/att"}]}})");
    EXPECT_EQ(c.find_forward("ns", "p", 80).entry->target->port, 8080);
    EXPECT_EQ(c.find_forward("ns", "p", 81).entry->target->port, 1);
    EXPECT_EQ(c.find_forward("ns", "q", 80).error, "no forward found for port 80 in pod \"ns/q\"");
    EXPECT_EQ(c.find_attach("any", "pod", "c").entry->logs_file, "/att");
    EXPECT_EQ(c.find_logs("any", "pod", "c").error,
              "no logs found for container \"c\" in pod \"any/pod\"") << "kinds stay apart";
}

TEST(debug_catalog, custom_resources_come_and_go_and_an_invalid_one_drops_its_old_version) {
    catalog c;
    add(c, R"({"kind":"ClusterLogs","metadata":{"name":"cfg"},"spec":{"logs":[{"logsFile":"/config"}]}})");
    auto cr = obj(R"({"kind":"ClusterLogs","metadata":{"name":"cr"},"spec":{"logs":[{"logsFile":"/cr"}]}})");
    EXPECT_FALSE(c.upsert_resource(cr));
    EXPECT_EQ(c.find_logs("n", "p", "c").entry->logs_file, "/cr") << "custom resources first";
    auto bad = obj(R"({"kind":"ClusterLogs","metadata":{"name":"cr"},"spec":{"logs":[{"logsFile":1}]}})");
    auto err = c.upsert_resource(bad);
    ASSERT_TRUE(err);
    EXPECT_EQ(*err, "custom resource: ClusterLogs \"cr\": spec.logs[0].logsFile: expected a string, got 1");
    EXPECT_EQ(c.find_logs("n", "p", "c").entry->logs_file, "/config");
    EXPECT_FALSE(c.upsert_resource(cr));
    c.erase_resource(cr);
    EXPECT_EQ(c.find_logs("n", "p", "c").entry->logs_file, "/config");
    EXPECT_EQ(c.size(), 1u);
}
