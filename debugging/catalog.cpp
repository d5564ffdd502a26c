#include "debugging/catalog.hpp"

#include <algorithm>

namespace ghost::debugging {

namespace {

std::string meta(const boost::json::object& o, std::string_view key) {
    auto* m = o.if_contains("metadata");
    if (!m || !m->is_object()) return {};
    auto* v = m->get_object().if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::tuple<std::string, std::string, std::string> key_of(const boost::json::object& o) {
    auto* k = o.if_contains("kind");
    return {k && k->is_string() ? std::string(k->get_string()) : std::string(),
            meta(o, "namespace"), meta(o, "name")};
}

bool names(const std::vector<std::string>& list, std::string_view container) {
    return std::find(list.begin(), list.end(), container) != list.end();
}
bool names(const std::vector<std::int32_t>& list, std::int32_t port) {
    return std::find(list.begin(), list.end(), port) != list.end();
}
const std::vector<std::string>& keys(const logs_entry& e) { return e.containers; }
const std::vector<std::string>& keys(const exec_entry& e) { return e.containers; }
const std::vector<std::string>& keys(const attach_entry& e) { return e.containers; }
const std::vector<std::int32_t>& keys(const forward_entry& e) { return e.ports; }

// An entry naming `key`, else the first one with an empty list.
template <class Entry, class Key>
const Entry* pick(const std::vector<Entry>& entries, const Key& key) {
    const Entry* fallback = nullptr;
    for (const auto& e : entries) {
        if (keys(e).empty()) {
            if (!fallback) fallback = &e;
        } else if (names(keys(e), key)) {
            return &e;
        }
    }
    return fallback;
}

const std::vector<logs_entry>& entries(const debug_resource& r, const logs_entry*) { return r.logs; }
const std::vector<exec_entry>& entries(const debug_resource& r, const exec_entry*) { return r.execs; }
const std::vector<attach_entry>& entries(const debug_resource& r, const attach_entry*) {
    return r.attaches;
}
const std::vector<forward_entry>& entries(const debug_resource& r, const forward_entry*) {
    return r.forwards;
}

// kwok's wording: `<what> target not found for container "c" in pod "ns/p"` when the pod's own
// resource has no entry, `no <plural> found for container "c" in pod "ns/p"` when nothing does.
template <class Entry, class Key>
lookup<Entry> find(const std::vector<const debug_resource*>& all, std::string_view ns,
                   std::string_view pod, const Key& key, std::string_view own_missing,
                   std::string_view none, std::string subject) {
    const std::string where = " in pod \"" + std::string(ns) + "/" + std::string(pod) + "\"";
    for (const auto* r : all) {
        if (r->cluster || !r->applies_to(ns, pod)) continue;
        if (const auto* e = pick(entries(*r, static_cast<const Entry*>(nullptr)), key))
            return {e, {}};
        return {nullptr, std::string(own_missing) + " " + subject + where};
    }
    for (const auto* r : all) {
        if (!r->cluster || !r->applies_to(ns, pod)) continue;
        if (const auto* e = pick(entries(*r, static_cast<const Entry*>(nullptr)), key))
            return {e, {}};
    }
    return {nullptr, std::string(none) + " " + subject + where};
}

std::string container_subject(std::string_view c) { return "for container \"" + std::string(c) + "\""; }

}  // namespace

std::optional<std::string> catalog::add_config(const boost::json::object& object,
                                               std::string_view source) {
    std::string error;
    auto r = parse_debug_resource(object, source, error);
    if (!r) return error;
    config_.push_back(std::move(*r));
    return std::nullopt;
}

std::optional<std::string> catalog::upsert_resource(const boost::json::object& object) {
    std::string error;
    auto r = parse_debug_resource(object, "custom resource", error);
    auto key = key_of(object);
    if (!r) {
        resources_.erase(key);
        return error;
    }
    resources_.insert_or_assign(std::move(key), std::move(*r));
    return std::nullopt;
}

void catalog::erase_resource(const boost::json::object& object) { resources_.erase(key_of(object)); }

std::vector<const debug_resource*> catalog::of_kind(debug_kind kind) const {
    std::vector<const debug_resource*> out;
    for (const auto& [key, r] : resources_)
        if (r.kind == kind) out.push_back(&r);
    for (const auto& r : config_)
        if (r.kind == kind) out.push_back(&r);
    return out;
}

lookup<logs_entry> catalog::find_logs(std::string_view ns, std::string_view pod,
                                      std::string_view container) const {
    return find<logs_entry>(of_kind(debug_kind::logs), ns, pod, container, "log target not found",
                            "no logs found", container_subject(container));
}

lookup<exec_entry> catalog::find_exec(std::string_view ns, std::string_view pod,
                                      std::string_view container) const {
    return find<exec_entry>(of_kind(debug_kind::exec), ns, pod, container, "exec target not found",
                            "no exec found", container_subject(container));
}

lookup<attach_entry> catalog::find_attach(std::string_view ns, std::string_view pod,
                                          std::string_view container) const {
    return find<attach_entry>(of_kind(debug_kind::attach), ns, pod, container,
                              "attaches target not found", "no attaches found",
                              container_subject(container));
}

lookup<forward_entry> catalog::find_forward(std::string_view ns, std::string_view pod,
                                            std::int32_t port) const {
    return find<forward_entry>(of_kind(debug_kind::port_forward), ns, pod, port,
                               "forward not found", "no forward found",
                               "for port " + std::to_string(port));
}

}  // namespace ghost::debugging
