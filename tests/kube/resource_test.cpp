#include "kube/resource.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

using namespace ghost::kube;

TEST(resource, core_and_group_paths) {
    EXPECT_EQ(collection_path(resources::nodes()), "/api/v1/nodes");
    EXPECT_EQ(object_path(resources::nodes(), "", "n1", "status"), "/api/v1/nodes/n1/status");
    EXPECT_EQ(collection_path(resources::pods()), "/api/v1/pods");
    EXPECT_EQ(collection_path(resources::pods(), "default"), "/api/v1/namespaces/default/pods");
    EXPECT_EQ(object_path(resources::pods(), "ns", "p", "status"),
              "/api/v1/namespaces/ns/pods/p/status");
    EXPECT_EQ(object_path(resources::leases(), "kube-node-lease", "n1"),
              "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1");
    resource_ref cr{"kwok.x-k8s.io", "v1alpha1", "stages", false};
    EXPECT_EQ(object_path(cr, "ignored", "s"), "/apis/kwok.x-k8s.io/v1alpha1/stages/s");
    EXPECT_EQ(object_path(resources::pods(), "ns", "a b/c"), "/api/v1/namespaces/ns/pods/a%20b%2Fc");
}

TEST(resource, query_strings) {
    list_options o;
    EXPECT_EQ(query_string(o), "");
    o.resource_version = "0";
    EXPECT_EQ(query_string(o), "?resourceVersion=0");
    o = {};
    o.field_selector = "spec.nodeName!=";
    o.label_selector = "app in (a,b),tier=x";
    o.watch = true;
    o.allow_watch_bookmarks = true;
    o.timeout_seconds = 300;
    o.resource_version = "123";
    EXPECT_EQ(with_query("/api/v1/pods", o),
              "/api/v1/pods?labelSelector=app%20in%20%28a%2Cb%29%2Ctier%3Dx&fieldSelector=spec.nodeName%21%3D"
              "&resourceVersion=123&watch=true&allowWatchBookmarks=true&timeoutSeconds=300");
    o = {};
    o.limit = 500;
    o.continue_token = "eyJ2Ijoi+/a=";
    EXPECT_EQ(query_string(o), "?limit=500&continue=eyJ2Ijoi%2B%2Fa%3D");
}

TEST(resource, object_key) {
    EXPECT_EQ(object_key("ns", "a"), "ns/a");
    EXPECT_EQ(object_key("", "node-1"), "node-1");
    auto pod = boost::json::parse(R"({"metadata":{"namespace":"ns","name":"a"}})").as_object();
    EXPECT_EQ(object_key(pod), "ns/a");
    auto node = boost::json::parse(R"({"metadata":{"name":"node-1"}})").as_object();
    EXPECT_EQ(object_key(node), "node-1");
    EXPECT_EQ(object_key(boost::json::object{}), "");
}
