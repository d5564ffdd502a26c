#include "sim/node_registry.hpp"

namespace ghost::sim {
namespace {

const boost::json::object* child_object(const boost::json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v ? v->if_object() : nullptr;
}

const boost::json::array* child_array(const boost::json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v ? v->if_array() : nullptr;
}

bool is_v6(std::string_view ip) { return ip.find(':') != std::string_view::npos; }

}  // namespace

std::string_view metadata_string(const boost::json::object& object, std::string_view field) {
    auto* meta = child_object(object, "metadata");
    auto* v = meta ? meta->if_contains(field) : nullptr;
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

const boost::json::object* metadata_map(const boost::json::object& object,
                                        std::string_view field) {
    auto* meta = child_object(object, "metadata");
    return meta ? child_object(*meta, field) : nullptr;
}

std::vector<std::string> node_host_ips(const boost::json::object& node) {
    std::vector<std::string> internal, external;
    auto* status = child_object(node, "status");
    auto* addresses = status ? child_array(*status, "addresses") : nullptr;
    if (addresses) {
        for (const auto& a : *addresses) {
            auto* addr = a.if_object();
            if (!addr) continue;
            auto* type = addr->if_contains("type");
            auto* ip = addr->if_contains("address");
            if (!type || !ip || !type->is_string() || !ip->is_string()) continue;
            if (type->get_string() == "InternalIP") internal.emplace_back(ip->get_string());
            if (type->get_string() == "ExternalIP") external.emplace_back(ip->get_string());
        }
    }
    std::vector<std::string> all = internal;
    all.insert(all.end(), external.begin(), external.end());
    std::vector<std::string> out;
    if (all.empty()) return out;
    out.push_back(all.front());
    for (const auto& ip : all) {
        if (is_v6(ip) != is_v6(out.front())) {
            out.push_back(ip);
            break;
        }
    }
    return out;
}

std::vector<std::string> node_pod_cidrs(const boost::json::object& node) {
    std::vector<std::string> out;
    auto* spec = child_object(node, "spec");
    if (!spec) return out;
    if (auto* cidrs = child_array(*spec, "podCIDRs")) {
        for (const auto& c : *cidrs) {
            if (c.is_string()) out.emplace_back(c.get_string());
        }
    }
    if (out.empty()) {
        if (auto* c = spec->if_contains("podCIDR"); c && c->is_string() && !c->get_string().empty()) {
            out.emplace_back(c->get_string());
        }
    }
    return out;
}

node_entry& node_registry::upsert(const boost::json::object& node, bool managed) {
    auto name = metadata_string(node, "name");
    auto it = nodes_.find(name);
    if (it == nodes_.end()) {
        it = nodes_.emplace(std::string(name), node_entry{}).first;
    }
    auto& e = it->second;
    e.uid = std::string(metadata_string(node, "uid"));
    e.managed = managed;
    e.pod_cidrs = node_pod_cidrs(node);
    e.host_ips = node_host_ips(node);
    return e;
}

void node_registry::erase(std::string_view name) {
    auto it = nodes_.find(name);
    if (it != nodes_.end()) nodes_.erase(it);
}

void node_registry::set_managed(std::string_view name, bool managed) {
    auto it = nodes_.find(name);
    if (it != nodes_.end()) it->second.managed = managed;
}

const node_entry* node_registry::find(std::string_view name) const {
    auto it = nodes_.find(name);
    return it == nodes_.end() ? nullptr : &it->second;
}

std::size_t node_registry::managed_count() const noexcept {
    std::size_t n = 0;
    for (const auto& [name, e] : nodes_) n += e.managed ? 1 : 0;
    return n;
}

}  // namespace ghost::sim
