// ghostctl snapshot: command line, filters, object cleaning, YAML round trip, owner re-linking,
// the etcdctl/etcdutl command lines. No cluster: the API-server half is in
// tests/integration/snapshot_integration_test.cpp.

#include "apps/ghostctl/options.hpp"
#include "apps/ghostctl/snapshot.hpp"
#include "apps/ghostctl/snapshot_format.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace ghost::ghostctl {
namespace {

namespace json = boost::json;

std::string usage_error_of(std::vector<std::string> a) {
    try {
        parse_command_line(a);
    } catch (const usage_error& e) {
        return e.what();
    }
    return "";
}

TEST(snapshot_options, kwokctl_defaults_and_flags) {
    auto c = parse_command_line({"snapshot", "save", "--path", "/tmp/s.db"});
    EXPECT_EQ(c.kind, command_kind::snapshot_save);
    EXPECT_EQ(c.snapshot.path, "/tmp/s.db");
    EXPECT_EQ(c.snapshot.format, "etcd");
    EXPECT_TRUE(c.snapshot.filters.empty());  // = default_snapshot_filters()

    c = parse_command_line({"--name", "x", "snapshot", "restore", "--path=/tmp/s.yaml",
                            "--format", "k8s", "--filter", "pod,deployment.apps", "--filter=node"});
    EXPECT_EQ(c.kind, command_kind::snapshot_restore);
    EXPECT_EQ(c.name, "x");
    EXPECT_EQ(c.snapshot.format, "k8s");
    EXPECT_EQ(c.snapshot.filters, (std::vector<std::string>{"pod", "deployment.apps", "node"}));
}

TEST(snapshot_options, bad_input_is_one_line_naming_the_flag) {
    EXPECT_EQ(usage_error_of({"snapshot", "save"}), "snapshot save: --path is required");
    EXPECT_NE(usage_error_of({"snapshot", "save", "--path", "p", "--format", "tar"})
                  .find("--format: expected etcd or k8s, got \"tar\""),
              std::string::npos);
    EXPECT_NE(usage_error_of({"snapshot", "record", "--path", "p"})
                  .find("expected save, restore, export"),
              std::string::npos);
    EXPECT_EQ(usage_error_of({"snapshot", "save", "--path", "p", "--replicas", "3"}),
              "flag --replicas is not valid for \"snapshot save\"");
    EXPECT_EQ(usage_error_of({"scale", "node", "--replicas", "1", "--path", "p"}),
              "flag --path is not valid for \"scale\"");
    for (const auto& a : std::vector<std::vector<std::string>>{
             {"snapshot", "save"}, {"snapshot", "save", "--path", "p", "--format", "tar"}}) {
        EXPECT_EQ(usage_error_of(a).find('\n'), std::string::npos);
    }
}

TEST(snapshot_options, etcdctl_takes_every_word_after_it) {
    auto c = parse_command_line({"--name", "c", "etcdctl", "get", "/registry", "--prefix",
                                 "--keys-only", "--name", "not-ours"});
    EXPECT_EQ(c.kind, command_kind::etcdctl);
    EXPECT_EQ(c.name, "c");
    EXPECT_EQ(c.rest, (std::vector<std::string>{"get", "/registry", "--prefix", "--keys-only",
                                                "--name", "not-ours"}));
}

cluster_state state_with_ports() {
    cluster_state s;
    s.name = "c";
    s.dir = "/w/clusters/c";
    s.bin_dir = "/cache/bin";
    s.ports = {{"etcd-client", 32765}, {"etcd-peer", 32766}, {"kube-apiserver", 32764}};
    return s;
}

TEST(snapshot_etcd, command_lines_point_at_the_clusters_etcd) {
    auto s = state_with_ports();
    EXPECT_EQ(etcdctl_argv(s, {"endpoint", "health"}),
              (std::vector<std::string>{"/cache/bin/etcdctl", "--endpoints=http://127.0.0.1:32765",
                                        "endpoint", "health"}));
    EXPECT_EQ(etcdutl_restore_argv(s, "/tmp/s.db", "/w/clusters/c/etcd-data"),
              (std::vector<std::string>{"/cache/bin/etcdutl", "snapshot", "restore", "/tmp/s.db",
                                        "--data-dir=/w/clusters/c/etcd-data", "--name=node0",
                                        "--initial-cluster=node0=http://127.0.0.1:32766",
                                        "--initial-advertise-peer-urls=http://127.0.0.1:32766"}));
    s.ports.erase("etcd-client");
    EXPECT_THROW(etcdctl_argv(s, {}), ghostctl_error);
}

std::vector<kube::api_resource> served() {
    auto res = [](std::string g, std::string v, std::string r, std::string kind, bool ns) {
        return kube::api_resource{{std::move(g), std::move(v), std::move(r), ns}, std::move(kind),
                                  true};
    };
    // Preferred versions first, as discover() orders them.
    return {res("", "v1", "pods", "Pod", true),
            res("", "v1", "nodes", "Node", false),
            res("", "v1", "endpoints", "Endpoints", true),
            res("apps", "v1", "deployments", "Deployment", true),
            res("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding",
                false),
            res("example.com", "v2", "widgets", "Widget", true),
            res("example.com", "v1alpha1", "widgets", "Widget", true)};
}

TEST(snapshot_filters, resolve_as_kubectl_resource_arguments) {
    auto all = served();
    auto gvr = [&](std::string_view f) -> std::string {
        const auto* r = resolve_filter(f, all);
        return r ? r->ref.group + "/" + r->ref.version + "/" + r->ref.resource : "none";
    };
    EXPECT_EQ(gvr("pod"), "/v1/pods");
    EXPECT_EQ(gvr("pods"), "/v1/pods");
    EXPECT_EQ(gvr("Pod"), "/v1/pods");
    EXPECT_EQ(gvr("endpoints"), "/v1/endpoints");
    EXPECT_EQ(gvr("deployment.apps"), "apps/v1/deployments");
    EXPECT_EQ(gvr("Deployment.apps"), "apps/v1/deployments");
    EXPECT_EQ(gvr("clusterrolebindings.rbac.authorization.k8s.io"),
              "rbac.authorization.k8s.io/v1/clusterrolebindings");
    EXPECT_EQ(gvr("widget.example.com"), "example.com/v2/widgets");             // preferred
    EXPECT_EQ(gvr("widgets.v1alpha1.example.com"), "example.com/v1alpha1/widgets");
    EXPECT_EQ(gvr("deployment"), "none");  // not in the core group
    EXPECT_EQ(gvr("deployment.batch"), "none");
    EXPECT_EQ(gvr("gadget"), "none");
    EXPECT_EQ(gvr(""), "none");
}

TEST(snapshot_filters, default_list_is_kwokctls_with_owners_before_what_they_own) {
    const auto& f = default_snapshot_filters();
    ASSERT_EQ(f.size(), 23u);
    EXPECT_EQ(f.front(), "namespace");
    auto at = [&](const std::string& n) { return std::find(f.begin(), f.end(), n) - f.begin(); };
    EXPECT_LT(at("deployment.apps"), at("replicaset.apps"));
    EXPECT_LT(at("replicaset.apps"), at("pod"));
    EXPECT_LT(at("job.batch"), at("pod"));
}

TEST(snapshot_objects, a_saved_item_gets_its_type_and_loses_only_the_resource_version) {
    auto item = json::parse(R"({"metadata":{"name":"web","namespace":"default","uid":"u1",
        "resourceVersion":"42","managedFields":[{"manager":"kubectl"}],
        "creationTimestamp":"2026-01-02T03:04:05Z"},"spec":{"replicas":2},
        "status":{"replicas":2}})").as_object();
    prepare_for_snapshot(item, "apps/v1", "Deployment");
    // json::object equality ignores key order.
    EXPECT_EQ(item, json::parse(R"({"metadata":{"name":"web","namespace":"default",
        "uid":"u1","managedFields":[{"manager":"kubectl"}],
        "creationTimestamp":"2026-01-02T03:04:05Z"},"spec":{"replicas":2},
        "status":{"replicas":2},"apiVersion":"apps/v1","kind":"Deployment"})").as_object())
        << json::serialize(item);
    EXPECT_EQ(api_version_of({"", "v1", "pods", true}), "v1");
    EXPECT_EQ(api_version_of({"apps", "v1", "deployments", true}), "apps/v1");
}

TEST(snapshot_yaml, documents_round_trip) {
    std::vector<json::object> objects{
        json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a",
            "namespace":"n","labels":{"x":"yes"}},"data":{"k":"0755","e":"","m":"a\nb",
            "t":"true","colon":"a: b"}})").as_object(),
        json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web",
            "uid":"u1"},"spec":{"replicas":3,"paused":false,"ratio":0.5,"tags":[],"x":null}})")
            .as_object()};
    std::string text;
    for (std::size_t i = 0; i < objects.size(); ++i) text += snapshot_document(objects[i], i == 0);
    EXPECT_EQ(text.rfind("apiVersion: v1\n", 0), 0u);  // no leading separator, as kwokctl
    auto back = read_snapshot_text(text, "s.yaml");
    EXPECT_TRUE(back.errors.empty()) << back.errors[0];
    ASSERT_EQ(back.objects.size(), 2u);
    for (std::size_t i = 0; i < objects.size(); ++i)
        EXPECT_EQ(back.objects[i].object, objects[i]) << json::serialize(back.objects[i].object);
    EXPECT_EQ(back.objects[0].line, 1u);
    EXPECT_GT(back.objects[1].line, 1u);
}

TEST(snapshot_yaml, lists_comments_and_bad_documents) {
    std::string text =
        "# a comment only document\n"
        "---\n"
        "apiVersion: v1\n"
        "kind: List\n"
        "items:\n"
        "- apiVersion: v1\n"
        "  kind: Pod\n"
        "  metadata: {name: p1}\n"
        "- apiVersion: v1\n"
        "  kind: Pod\n"
        "  metadata: {}\n"
        "--- # trailing comment\n"
        "kind: Pod\n"
        "metadata: {name: p2}\n"
        "---\n"
        "[1, 2]\n"
        "---\n"
        "apiVersion: v1\n"
        "kind: Pod\n"
        "metadata: {name: \"unterminated\n"
        "---\n"
        "apiVersion: action.kwok.x-k8s.io/v1alpha1\n"
        "kind: ResourcePatch\n"
        "method: delete\n"
        "---\n"
        "apiVersion: v1\n"
        "kind: Node\n"
        "metadata:\n"
        "  name: n1\n"
        "---\n"
        "apiVersion: action.kwok.x-k8s.io/v1alpha1\n"
        "kind: ResourcePatch\n"
        "resource: {version: v1, resource: nodes}\n"
        "target: {name: n1}\n"
        "durationNanosecond: 1500000000\n"
        "method: delete\n"
        "...\n";
    auto r = read_snapshot_text(text, "s.yaml");
    ASSERT_EQ(r.objects.size(), 2u);
    EXPECT_EQ(key_of_object(r.objects[0].object).name, "p1");
    EXPECT_EQ(r.objects[0].line, 3u);
    EXPECT_EQ(key_of_object(r.objects[1].object).name, "n1");
    EXPECT_EQ(r.objects[1].line, 26u);
    ASSERT_EQ(r.patches.size(), 1u);
    EXPECT_EQ(r.patches[0].patch.name, "n1");
    EXPECT_EQ(r.patches[0].patch.offset, std::chrono::milliseconds(1500));
    EXPECT_EQ(r.patches[0].document, 7u);
    EXPECT_EQ(r.patches[0].line, 31u);
    ASSERT_EQ(r.errors.size(), 5u);
    EXPECT_EQ(r.errors[0], "s.yaml:3: document 1: items[1]: metadata.name: expected a non-empty "
                           "string");
    EXPECT_EQ(r.errors[1], "s.yaml:13: document 2: apiVersion: expected a non-empty string");
    EXPECT_EQ(r.errors[2], "s.yaml:16: document 3: expected a Kubernetes object (a mapping)");
    EXPECT_EQ(r.errors[3].rfind("s.yaml:18: document 4: yaml", 0), 0u) << r.errors[3];
    EXPECT_EQ(r.errors[4], "s.yaml:22: document 5: ResourcePatch: resource: expected a mapping "
                           "with version and resource");
    for (const auto& e : r.errors) EXPECT_EQ(e.find('\n'), std::string::npos);
}

TEST(snapshot_yaml, binary_garbage_is_errors_not_a_crash) {
    std::string text;
    for (int i = 0; i < 4096; ++i) text.push_back(static_cast<char>((i * 7919) % 256));
    auto r = read_snapshot_text(text, "bad.db");
    EXPECT_TRUE(r.objects.empty());
    for (const auto& e : r.errors) EXPECT_EQ(e.find('\n'), std::string::npos);
}

json::object obj(const std::string& text) { return json::parse(text).as_object(); }

std::string owner_uid(const json::object& o, std::size_t i = 0) {
    return std::string(
        o.at("metadata").at("ownerReferences").as_array().at(i).at("uid").as_string());
}

TEST(restore_plan, owners_first_then_dependents_with_new_uids) {
    restore_plan plan;
    auto deploy = obj(R"({"apiVersion":"apps/v1","kind":"Deployment",
        "metadata":{"name":"web","uid":"d-old"}})");
    auto rs = obj(R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"web-1",
        "uid":"rs-old","ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment",
        "name":"web","uid":"d-old","controller":true}]}})");
    auto pod = obj(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1-a",
        "uid":"p-old","ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet",
        "name":"web-1","uid":"rs-old"}]}})");
    // The pod comes first: it waits for its ReplicaSet, which waits for the Deployment.
    plan.add(pod);
    plan.add(rs);
    EXPECT_FALSE(plan.next_ready());
    plan.add(deploy);
    auto d = plan.next_ready();
    ASSERT_TRUE(d);
    EXPECT_EQ(key_of_object(*d).name, "web");
    EXPECT_FALSE(plan.next_ready());
    plan.created(key_of_object(*d), "d-new");
    auto r = plan.next_ready();
    ASSERT_TRUE(r);
    EXPECT_EQ(owner_uid(*r), "d-new");
    EXPECT_EQ(key_of_object(*r).uid, "rs-old");  // its own key stays the snapshot's
    plan.created(key_of_object(*r), "rs-new");
    auto p = plan.next_ready();
    ASSERT_TRUE(p);
    EXPECT_EQ(owner_uid(*p), "rs-new");
    EXPECT_TRUE(plan.waiting().empty());
}

TEST(restore_plan, every_owner_is_waited_for_and_a_missing_one_is_reported) {
    restore_plan plan;
    plan.created({"v1", "ConfigMap", "a", "a-old"}, "a-new");
    plan.add(obj(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","uid":"s-old",
        "ownerReferences":[
          {"apiVersion":"v1","kind":"ConfigMap","name":"a","uid":"a-old"},
          {"apiVersion":"v1","kind":"ConfigMap","name":"b","uid":"b-old"},
          {"apiVersion":"v1","kind":"ConfigMap","name":"b","uid":"b-old"}]}})"));
    plan.add(obj(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"orphan",
        "ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"gone","uid":"g"}]}})"));
    EXPECT_FALSE(plan.next_ready());
    // Same name, other uid: another object, not the owner.
    plan.created({"v1", "ConfigMap", "b", "other"}, "x");
    EXPECT_FALSE(plan.next_ready());
    plan.created({"v1", "ConfigMap", "b", "b-old"}, "b-new");
    auto s = plan.next_ready();
    ASSERT_TRUE(s);
    EXPECT_EQ(owner_uid(*s, 0), "a-new");
    EXPECT_EQ(owner_uid(*s, 1), "b-new");
    EXPECT_EQ(owner_uid(*s, 2), "b-new");
    EXPECT_FALSE(plan.next_ready());
    auto left = plan.waiting();
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(key_of_object(left[0].first).name, "orphan");
    ASSERT_EQ(left[0].second.size(), 1u);
    EXPECT_EQ(describe(left[0].second[0]), "v1 ConfigMap gone");
}

TEST(restore_plan, objects_without_owners_are_ready_in_order) {
    restore_plan plan;
    plan.add(obj(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}})"));
    plan.add(obj(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"b"}})"));
    EXPECT_EQ(plan.ready_count(), 2u);
    EXPECT_EQ(key_of_object(*plan.next_ready()).name, "a");
    EXPECT_EQ(key_of_object(*plan.next_ready()).name, "b");
    EXPECT_FALSE(plan.next_ready());
}

}  // namespace
}  // namespace ghost::ghostctl
