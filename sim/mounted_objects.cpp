#include "sim/mounted_objects.hpp"

#include "sim/json_fields.hpp"

#include <algorithm>
#include <string_view>

namespace ghost::sim {

namespace json = boost::json;

namespace {

struct collector {
    std::string ns;
    std::vector<object_ref> refs;

    void add(object_ref::kind k, std::string name) {
        if (!name.empty()) refs.push_back({k, ns, std::move(name)});
    }
    void config_map(const json::object* o, std::string_view key = "name") {
        add(object_ref::kind::config_map, string_field(o, key));
    }
    void secret(const json::object* o, std::string_view key = "name") {
        add(object_ref::kind::secret, string_field(o, key));
    }

    void volume(const json::object& v) {
        config_map(object_field(&v, "configMap"));
        secret(object_field(&v, "secret"), "secretName");
        if (const auto* csi = object_field(&v, "csi")) secret(object_field(csi, "nodePublishSecretRef"));
        const auto* projected = object_field(&v, "projected");
        const auto* sources = projected ? array_field(projected, "sources") : nullptr;
        if (!sources) return;
        for (const auto& s : *sources) {
            if (!s.is_object()) continue;
            config_map(object_field(&s.get_object(), "configMap"));
            secret(object_field(&s.get_object(), "secret"));
        }
    }
    void container(const json::object& c) {
        if (const auto* env = array_field(&c, "env")) {
            for (const auto& e : *env) {
                const auto* from = e.is_object() ? object_field(&e.get_object(), "valueFrom") : nullptr;
                if (!from) continue;
                config_map(object_field(from, "configMapKeyRef"));
                secret(object_field(from, "secretKeyRef"));
            }
        }
        if (const auto* env_from = array_field(&c, "envFrom")) {
            for (const auto& e : *env_from) {
                if (!e.is_object()) continue;
                config_map(object_field(&e.get_object(), "configMapRef"));
                secret(object_field(&e.get_object(), "secretRef"));
            }
        }
    }
};

}  // namespace

const char* resource_of(object_ref::kind k) noexcept {
    return k == object_ref::kind::config_map ? "configmaps" : "secrets";
}

std::vector<object_ref> mounted_objects(const json::object& pod) {
    collector c;
    c.ns = string_field(object_field(&pod, "metadata"), "namespace");
    if (c.ns.empty()) c.ns = "default";
    const auto* spec = object_field(&pod, "spec");
    if (!spec) return {};
    if (const auto* volumes = array_field(spec, "volumes"))
        for (const auto& v : *volumes)
            if (v.is_object()) c.volume(v.get_object());
    for (const char* list : {"initContainers", "containers", "ephemeralContainers"})
        if (const auto* cs = array_field(spec, list))
            for (const auto& ct : *cs)
                if (ct.is_object()) c.container(ct.get_object());
    if (const auto* pulls = array_field(spec, "imagePullSecrets"))
        for (const auto& s : *pulls)
            if (s.is_object()) c.secret(&s.get_object());
    std::sort(c.refs.begin(), c.refs.end());
    c.refs.erase(std::unique(c.refs.begin(), c.refs.end()), c.refs.end());
    return c.refs;
}

mounted_object_refs::change mounted_object_refs::set_pod(const std::string& pod,
                                                         std::vector<object_ref> refs) {
    change out;
    std::sort(refs.begin(), refs.end());
    refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
    auto& held = pods_[pod];
    // Both sorted and unique: count up what is new, down what is gone.
    std::vector<object_ref> added, removed;
    std::set_difference(refs.begin(), refs.end(), held.begin(), held.end(),
                        std::back_inserter(added));
    std::set_difference(held.begin(), held.end(), refs.begin(), refs.end(),
                        std::back_inserter(removed));
    for (auto& r : added)
        if (counts_[r]++ == 0) out.start.push_back(r);
    for (auto& r : removed) {
        auto it = counts_.find(r);
        if (it != counts_.end() && --it->second == 0) {
            out.stop.push_back(r);
            counts_.erase(it);
        }
    }
    if (refs.empty())
        pods_.erase(pod);
    else
        held = std::move(refs);
    return out;
}

mounted_object_refs::change mounted_object_refs::remove_pod(const std::string& pod) {
    if (!pods_.contains(pod)) return {};
    return set_pod(pod, {});
}

std::vector<object_ref> mounted_object_refs::all() const {
    std::vector<object_ref> out;
    out.reserve(counts_.size());
    for (const auto& [r, n] : counts_) out.push_back(r);
    return out;
}

}  // namespace ghost::sim
