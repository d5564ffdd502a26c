#pragma once
// API paths and list/watch query strings.

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace ghost::kube {

// A resource type: group "" = core (/api/v1), else /apis/<group>/<version>.
struct resource_ref {
    std::string group;
    std::string version = "v1";
    std::string resource;      // plural, lower case: "pods", "leases"
    bool namespaced = true;
};

// Percent-encodes one path segment (names are normally DNS labels, but be safe).
std::string encode_segment(std::string_view s);

// Collection: /api/v1/nodes, /api/v1/namespaces/ns/pods, /apis/g/v/res; ns empty = all namespaces.
std::string collection_path(const resource_ref& r, std::string_view ns = {});
// Object (optionally a subresource): /api/v1/namespaces/ns/pods/name/status.
std::string object_path(const resource_ref& r, std::string_view ns, std::string_view name,
                        std::string_view subresource = {});

// The key objects are tracked by: "ns/name" for namespaced objects, "name" otherwise.
std::string object_key(std::string_view ns, std::string_view name);
// The same from metadata.namespace and metadata.name (a missing or non-string field is "").
std::string object_key(const boost::json::object& object);

namespace resources {
inline resource_ref nodes() { return {"", "v1", "nodes", false}; }
inline resource_ref pods() { return {"", "v1", "pods", true}; }
inline resource_ref events() { return {"", "v1", "events", true}; }
inline resource_ref namespaces() { return {"", "v1", "namespaces", false}; }
inline resource_ref leases() { return {"coordination.k8s.io", "v1", "leases", true}; }
}  // namespace resources

// Options of list and watch calls (only the set ones are sent).
// Not an aggregate on purpose: GCC 12 miscompiles a braced aggregate temporary passed by value
// to a coroutine (the frame gets a bitwise copy; SSO strings then dangle and are double-freed).
struct list_options {
    list_options() {}   // NOLINT: user-provided to make the type a non-aggregate

    std::string label_selector;
    std::string field_selector;
    std::optional<std::string> resource_version;   // "0" = from the watch cache
    std::string resource_version_match;            // NotOlderThan / Exact
    bool watch = false;
    bool allow_watch_bookmarks = false;
    std::optional<int> timeout_seconds;
    std::optional<int> limit;
    std::string continue_token;
};

// "?k=v&..." (URL-encoded) or "" when nothing is set.
std::string query_string(const list_options& o);

// path + query_string(o).
inline std::string with_query(std::string path, const list_options& o) {
    return path + query_string(o);
}

}  // namespace ghost::kube
