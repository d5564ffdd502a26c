#include "usage/object_index.hpp"

#include "usage/render.hpp"

namespace ghost::usage {

namespace {

std::string_view field(const boost::json::object& o, std::string_view a, std::string_view b) {
    auto* x = o.if_contains(a);
    if (!x || !x->is_object()) return {};
    auto* y = x->get_object().if_contains(b);
    return y && y->is_string() ? std::string_view(y->get_string()) : std::string_view();
}

std::string pod_key(const boost::json::object& pod) {
    return std::string(field(pod, "metadata", "namespace")) + "/" +
           std::string(field(pod, "metadata", "name"));
}

std::size_t container_count(const boost::json::object& pod) {
    auto* spec = pod.if_contains("spec");
    auto* c = spec && spec->is_object() ? spec->get_object().if_contains("containers") : nullptr;
    return c && c->is_array() ? c->get_array().size() : 0;
}

}  // namespace

void object_index::upsert_node(const boost::json::object& node, bool managed) {
    auto name = field(node, "metadata", "name");
    if (!managed) {
        erase_node(name);
        return;
    }
    boost::json::value v(node);
    fill_empty_maps(v);
    nodes_.insert_or_assign(std::string(name), std::make_shared<const boost::json::value>(std::move(v)));
}

void object_index::erase_node(std::string_view name) {
    if (auto it = nodes_.find(name); it != nodes_.end()) nodes_.erase(it);
}

bool object_index::upsert_pod(const boost::json::object& pod) {
    std::string node(field(pod, "spec", "nodeName"));
    if (node.empty()) return false;
    auto key = pod_key(pod);
    auto [it, fresh] = pods_.try_emplace(key);
    auto& rec = it->second;
    if (!fresh && rec.node != node) by_node_[rec.node].erase(key);
    boost::json::value v(pod);
    fill_empty_maps(v);
    rec.object = std::make_shared<const boost::json::value>(std::move(v));
    rec.node = node;
    by_node_[node].insert(key);
    if (!rec.counted_running && field(pod, "status", "phase") == "Running") {
        rec.counted_running = true;
        started_[node] += container_count(pod);
    }
    return fresh;
}

void object_index::erase_pod(const boost::json::object& pod) {
    auto it = pods_.find(pod_key(pod));
    if (it == pods_.end()) return;
    if (auto n = by_node_.find(it->second.node); n != by_node_.end()) {
        n->second.erase(it->first);
        if (n->second.empty()) by_node_.erase(n);
    }
    pods_.erase(it);
}

const boost::json::value* object_index::node(std::string_view name) const {
    auto it = nodes_.find(name);
    return it == nodes_.end() ? nullptr : it->second.get();
}

object_index::handle object_index::node_handle(std::string_view name) const {
    auto it = nodes_.find(name);
    return it == nodes_.end() ? nullptr : it->second;
}

std::vector<object_index::handle> object_index::pod_handles(std::string_view node_name) const {
    std::vector<handle> out;
    auto n = by_node_.find(node_name);
    if (n == by_node_.end()) return out;
    out.reserve(n->second.size());
    for (const auto& key : n->second) out.push_back(pods_.find(key)->second.object);
    return out;
}

std::vector<const boost::json::value*> object_index::pods_of(std::string_view node_name) const {
    std::vector<const boost::json::value*> out;
    auto n = by_node_.find(node_name);
    if (n == by_node_.end()) return out;
    out.reserve(n->second.size());
    for (const auto& key : n->second) out.push_back(pods_.find(key)->second.object.get());
    return out;
}

std::vector<std::string> object_index::node_names() const {
    std::vector<std::string> out;
    out.reserve(nodes_.size());
    for (const auto& [name, v] : nodes_) out.push_back(name);
    return out;
}

std::uint64_t object_index::started_containers(std::string_view node_name) const {
    auto it = started_.find(node_name);
    return it == started_.end() ? 0 : it->second;
}

}  // namespace ghost::usage
