#include "sim/apply_write.hpp"

#include "kube/patch.hpp"
#include "kube/resource.hpp"

#include <boost/json/serialize.hpp>

namespace ghost::sim {

namespace http = boost::beast::http;

namespace {

std::string_view string_at(const boost::json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

}  // namespace

std::optional<apply_write> encode_apply(const stages::action& a, std::string_view source_namespace,
                                        const resolve_fn& resolve, std::string_view field_manager,
                                        std::string* error) {
    const auto* rendered = a.data.if_object();
    std::string_view api_version = rendered ? string_at(*rendered, "apiVersion") : "";
    std::string_view kind = rendered ? string_at(*rendered, "kind") : "";
    const kube::api_resource* target =
        api_version.empty() || kind.empty() || !resolve ? nullptr : resolve(api_version, kind);
    if (!target) {
        if (error)
            *error = "apply target " + std::string(api_version) + " " + std::string(kind) +
                     " is not a known resource (discovery)";
        return std::nullopt;
    }
    boost::json::object body = *rendered;
    auto* meta = body.if_contains("metadata");
    std::string name(meta && meta->is_object() ? string_at(meta->get_object(), "name") : "");
    if (name.empty()) {
        if (error) *error = "apply template rendered no metadata.name";
        return std::nullopt;
    }
    std::string ns;
    if (target->ref.namespaced) {
        ns = std::string(string_at(meta->get_object(), "namespace"));
        if (ns.empty()) {
            ns = std::string(source_namespace);
            meta->get_object()["namespace"] = ns;
        }
    }
    apply_write out;
    write_op& patch = out.op;
    patch.priority = engine::write_priority::other;
    patch.request.method = http::verb::patch;
    patch.request.content_type = std::string(kube::content_type(a.type));
    patch.request.body = boost::json::serialize(body);
    std::string path = kube::object_path(target->ref, ns, name, a.subresource);
    patch.key = path;
    if (a.type == kube::patch_type::apply) {
        path += "?fieldManager=";
        path += field_manager;
        path += "&force=true";
    }
    patch.request.target = std::move(path);
    if (a.impersonation) patch.request.headers.emplace_back("Impersonate-User", *a.impersonation);
    if (a.type == kube::patch_type::apply || !a.subresource.empty()) return out;

    write_op create = patch;
    create.request.method = http::verb::post;
    create.request.content_type = "application/json";
    create.request.target = kube::collection_path(target->ref, ns);
    create.key = create.request.target + "#create:" + patch.key;
    out.patch_if_exists = std::move(out.op);
    out.op = std::move(create);
    return out;
}

}  // namespace ghost::sim
