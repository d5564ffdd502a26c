#include "sim/mounted_objects.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace ghost::sim {
namespace {

namespace json = boost::json;
using kind = object_ref::kind;

json::object pod(std::string_view spec) {
    auto text = std::string(R"({"metadata":{"name":"p","namespace":"team"},"spec":)") +
                std::string(spec) + "}";
    return json::parse(text).as_object();
}

TEST(mounted_objects, reads_volumes_env_env_from_and_pull_secrets_of_every_container_list) {
    auto refs = mounted_objects(pod(R"({
        "volumes": [
            {"name": "a", "configMap": {"name": "cm-vol"}},
            {"name": "b", "secret": {"secretName": "s-vol"}},
            {"name": "c", "projected": {"sources": [{"configMap": {"name": "cm-proj"}},
                                                    {"secret": {"name": "s-proj"}},
                                                    {"serviceAccountToken": {"path": "t"}}]}},
            {"name": "d", "csi": {"driver": "x", "nodePublishSecretRef": {"name": "s-csi"}}},
            {"name": "e", "emptyDir": {}}],
        "initContainers": [{"name": "i", "envFrom": [{"configMapRef": {"name": "cm-init"}}]}],
        "containers": [{"name": "c", "env": [
            {"name": "A", "value": "1"},
            {"name": "B", "valueFrom": {"secretKeyRef": {"name": "s-env", "key": "k"}}},
            {"name": "C", "valueFrom": {"configMapKeyRef": {"name": "cm-vol", "key": "k"}}}]}],
        "ephemeralContainers": [{"name": "dbg", "envFrom": [{"secretRef": {"name": "s-eph"}}]}],
        "imagePullSecrets": [{"name": "s-pull"}]})"));
    std::vector<object_ref> want = {
        {kind::config_map, "team", "cm-init"}, {kind::config_map, "team", "cm-proj"},
        {kind::config_map, "team", "cm-vol"},  {kind::secret, "team", "s-csi"},
        {kind::secret, "team", "s-env"},       {kind::secret, "team", "s-eph"},
        {kind::secret, "team", "s-proj"},      {kind::secret, "team", "s-pull"},
        {kind::secret, "team", "s-vol"}};
    EXPECT_EQ(refs, want) << "each once (cm-vol twice in the pod), sorted";
}

TEST(mounted_objects, ignores_what_is_not_a_reference_and_malformed_fields) {
    EXPECT_TRUE(mounted_objects(pod(R"({"containers": [{"name": "c"}]})")).empty());
    EXPECT_TRUE(mounted_objects(pod(R"({"volumes": "x", "containers": [{"env": 3}],
        "imagePullSecrets": [{"name": ""}, 7]})")).empty());
    EXPECT_TRUE(mounted_objects(json::object{}).empty());
    auto no_ns = json::parse(R"({"spec":{"volumes":[{"configMap":{"name":"c"}}]}})").as_object();
    ASSERT_EQ(mounted_objects(no_ns).size(), 1u);
    EXPECT_EQ(mounted_objects(no_ns)[0].ns, "default");
}

TEST(mounted_object_refs, one_watch_per_object_from_its_first_pod_to_its_last) {
    mounted_object_refs refs;
    object_ref cm{kind::config_map, "ns", "cm"}, s{kind::secret, "ns", "s"};

    auto c = refs.set_pod("ns/a", {cm, s});
    EXPECT_EQ(c.start, (std::vector<object_ref>{cm, s}));
    EXPECT_TRUE(c.stop.empty());
    c = refs.set_pod("ns/b", {cm});
    EXPECT_TRUE(c.start.empty()) << "cm is watched already";
    c = refs.set_pod("ns/a", {cm, s});
    EXPECT_TRUE(c.start.empty() && c.stop.empty()) << "an unchanged pod changes nothing";
    EXPECT_EQ(refs.watched(), 2u);

    c = refs.set_pod("ns/a", {cm});
    EXPECT_EQ(c.stop, (std::vector<object_ref>{s})) << "pod a no longer references s";
    c = refs.remove_pod("ns/a");
    EXPECT_TRUE(c.stop.empty()) << "b still references cm";
    c = refs.remove_pod("ns/b");
    EXPECT_EQ(c.stop, (std::vector<object_ref>{cm}));
    EXPECT_EQ(refs.watched(), 0u);
    c = refs.remove_pod("ns/never-seen");
    EXPECT_TRUE(c.start.empty() && c.stop.empty());
}

TEST(mounted_object_refs, unsorted_or_repeated_input_is_counted_once) {
    mounted_object_refs refs;
    object_ref a{kind::config_map, "ns", "a"}, b{kind::config_map, "ns", "b"};
    auto c = refs.set_pod("ns/p", {b, a, b});
    EXPECT_EQ(c.start, (std::vector<object_ref>{a, b}));
    EXPECT_EQ(refs.all(), (std::vector<object_ref>{a, b}));
    c = refs.remove_pod("ns/p");
    EXPECT_EQ(c.stop, (std::vector<object_ref>{a, b}));
}

}  // namespace
}  // namespace ghost::sim
