#include "kube/resource.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace ghost::kube {

std::string object_key(std::string_view ns, std::string_view name) {
    if (ns.empty()) return std::string(name);
    std::string k;
    k.reserve(ns.size() + 1 + name.size());
    k.append(ns).append(1, '/').append(name);
    return k;
}

std::string object_key(const boost::json::object& object) {
    auto* md = object.if_contains("metadata");
    if (!md || !md->is_object()) return {};
    const auto& m = md->get_object();
    std::string_view ns, name;
    if (auto* v = m.if_contains("namespace"); v && v->is_string()) ns = v->get_string();
    if (auto* v = m.if_contains("name"); v && v->is_string()) name = v->get_string();
    return object_key(ns, name);
}

std::string encode_segment(std::string_view s) {
    return boost::urls::encode(s, boost::urls::pchars);
}

std::string collection_path(const resource_ref& r, std::string_view ns) {
    std::string p = r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
    if (r.namespaced && !ns.empty()) {
        p += "/namespaces/";
        p += encode_segment(ns);
    }
    p += '/';
    p += r.resource;
    return p;
}

std::string object_path(const resource_ref& r, std::string_view ns, std::string_view name,
                        std::string_view subresource) {
    std::string p = collection_path(r, ns);
    p += '/';
    p += encode_segment(name);
    if (!subresource.empty()) {
        p += '/';
        p += subresource;
    }
    return p;
}

std::string query_string(const list_options& o) {
    // Values are encoded like Go's url.QueryEscape (all but unreserved characters), so that
    // '+', '=' and '&' survive the apiserver's query parsing.
    std::string q;
    auto add = [&q](std::string_view key, std::string_view value) {
        q += q.empty() ? '?' : '&';
        q += key;
        q += '=';
        q += boost::urls::encode(value, boost::urls::unreserved_chars);
    };
    if (!o.label_selector.empty()) add("labelSelector", o.label_selector);
    if (!o.field_selector.empty()) add("fieldSelector", o.field_selector);
    if (o.resource_version) add("resourceVersion", *o.resource_version);
    if (!o.resource_version_match.empty()) add("resourceVersionMatch", o.resource_version_match);
    if (o.watch) add("watch", "true");
    if (o.allow_watch_bookmarks) add("allowWatchBookmarks", "true");
    if (o.timeout_seconds) add("timeoutSeconds", std::to_string(*o.timeout_seconds));
    if (o.limit) add("limit", std::to_string(*o.limit));
    if (!o.continue_token.empty()) add("continue", o.continue_token);
    return q;
}

}  // namespace ghost::kube
