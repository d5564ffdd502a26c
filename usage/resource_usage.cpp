#include "usage/resource_usage.hpp"

#include "usage/json_fields.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace ghost::usage {

namespace detail {

std::string field_reader::got(const boost::json::value& v) {
    auto text = boost::json::serialize(v);
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return text;
}

const boost::json::array& field_reader::array(const boost::json::object& o, std::string_view key,
                                              const std::string& field) const {
    static const boost::json::array empty;
    auto* v = find(o, key);
    if (!v) return empty;
    if (!v->is_array()) fail(field, "expected a list, got " + got(*v));
    return v->get_array();
}

std::string field_reader::string(const boost::json::object& o, std::string_view key,
                                 const std::string& field, bool required) const {
    auto* v = find(o, key);
    if (!v) {
        if (required) fail(field, "expected a string, got nothing");
        return {};
    }
    if (!v->is_string()) fail(field, "expected a string, got " + got(*v));
    return std::string(v->get_string());
}

}  // namespace detail

namespace {

std::vector<std::string> string_list(const detail::field_reader& r, const boost::json::object& o,
                                     std::string_view key, const std::string& field) {
    std::vector<std::string> out;
    const auto& a = r.array(o, key, field);
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto f = field + "[" + std::to_string(i) + "]";
        if (!a[i].is_string()) r.fail(f, "expected a string, got " + r.got(a[i]));
        out.emplace_back(a[i].get_string());
    }
    return out;
}

usage_value parse_value(const detail::field_reader& r, const boost::json::value& v,
                        const std::string& field, const lang::cel::environment& env) {
    const auto& o = r.object(v, field);
    usage_value out;
    if (auto* q = r.find(o, "value")) {
        std::string text = q->is_string() ? std::string(q->get_string())
                           : q->is_number() ? boost::json::serialize(*q)
                                            : std::string();
        out.quantity = kube::quantity::parse(text);
        if (!out.quantity)
            r.fail(field + ".value", "expected a quantity such as 100m or 1Gi, got " + r.got(*q));
    }
    if (r.find(o, "expression")) {
        auto text = r.string(o, "expression", field + ".expression", true);
        std::string err;
        auto p = lang::cel::program::compile(text, env, &err);
        if (!p) r.fail(field + ".expression", "CEL " + err);
        out.expression = *p;
    }
    if (!out.quantity && !out.expression)
        r.fail(field, "expected value (a quantity) or expression (CEL)");
    return out;
}

}  // namespace

std::string object_prefix(const boost::json::object& object, std::string_view source) {
    std::string kind = "object", name;
    if (auto* k = object.if_contains("kind"); k && k->is_string()) kind = k->get_string();
    if (auto* m = object.if_contains("metadata"); m && m->is_object())
        if (auto* n = m->get_object().if_contains("name"); n && n->is_string()) name = n->get_string();
    return std::string(source) + ": " + kind + " \"" + name + "\": ";
}

bool usage_selector::matches(std::string_view ns, std::string_view name) const {
    auto in = [](const std::vector<std::string>& list, std::string_view s) {
        return list.empty() || std::find(list.begin(), list.end(), s) != list.end();
    };
    return in(match_namespaces, ns) && in(match_names, name);
}

const usage_entry* resource_usage::find(std::string_view container) const {
    const usage_entry* fallback = nullptr;
    for (const auto& e : usages) {
        if (e.containers.empty()) {
            if (!fallback) fallback = &e;
        } else if (std::find(e.containers.begin(), e.containers.end(), container) !=
                   e.containers.end()) {
            return &e;
        }
    }
    return fallback;
}

resource_usage parse_resource_usage(const boost::json::object& object, std::string_view source,
                                    const lang::cel::environment& env) {
    detail::field_reader r{object_prefix(object, source)};
    resource_usage out;
    auto kind = r.string(object, "kind", "kind", true);
    if (kind != "ResourceUsage" && kind != "ClusterResourceUsage")
        r.fail("kind", "expected ResourceUsage or ClusterResourceUsage, got " + kind);
    out.cluster = kind == "ClusterResourceUsage";
    const auto* meta_v = r.find(object, "metadata");
    if (!meta_v) r.fail("metadata.name", "expected a string, got nothing");
    const auto& meta = r.object(*meta_v, "metadata");
    out.name = r.string(meta, "name", "metadata.name", true);
    if (!out.cluster) out.namespace_ = r.string(meta, "namespace", "metadata.namespace", false);
    if (out.namespace_.empty() && !out.cluster) out.namespace_ = "default";
    const auto* spec_v = r.find(object, "spec");
    if (!spec_v) r.fail("spec", "expected an object with usages, got nothing");
    const auto& spec = r.object(*spec_v, "spec");
    if (out.cluster) {
        if (auto* sel = r.find(spec, "selector")) {
            const auto& so = r.object(*sel, "spec.selector");
            out.selector = usage_selector{
                string_list(r, so, "matchNamespaces", "spec.selector.matchNamespaces"),
                string_list(r, so, "matchNames", "spec.selector.matchNames")};
        }
    }
    const auto& usages = r.array(spec, "usages", "spec.usages");
    for (std::size_t i = 0; i < usages.size(); ++i) {
        auto field = "spec.usages[" + std::to_string(i) + "]";
        const auto& u = r.object(usages[i], field);
        usage_entry e;
        e.containers = string_list(r, u, "containers", field + ".containers");
        if (auto* m = r.find(u, "usage")) {
            for (const auto& [res, v] : r.object(*m, field + ".usage"))
                e.usage.emplace(std::string(res),
                                parse_value(r, v, field + ".usage." + std::string(res), env));
        }
        out.usages.push_back(std::move(e));
    }
    return out;
}

}  // namespace ghost::usage
