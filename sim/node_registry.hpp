#pragma once
// What the simulator remembers about each node it has seen: enough to decide whether the node
// and its pods are ours, and to answer NodeIPWith / PodIPWith for pods without re-reading the
// Node. A few strings per node; the Node object itself is not kept.

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ghost::sim {

struct node_entry {
    std::string uid;
    bool managed = false;
    bool selected = false;  ///< matches the manage rules (managed = selected and, sharded, ours)
    std::vector<std::string> pod_cidrs;  ///< spec.podCIDRs, else [spec.podCIDR]
    std::vector<std::string> host_ips;   ///< first InternalIP (else ExternalIP) + other family
};

class node_registry {
public:
    /// Records `node` (a Node object); returns the entry.
    node_entry& upsert(const boost::json::object& node, bool managed);
    void erase(std::string_view name);
    void set_managed(std::string_view name, bool managed);
    const node_entry* find(std::string_view name) const;
    bool is_managed(std::string_view name) const {
        auto* e = find(name);
        return e && e->managed;
    }
    std::size_t size() const noexcept { return nodes_.size(); }
    std::size_t managed_count() const noexcept;

    template <class F>
    void for_each(F&& f) const {
        for (const auto& [name, entry] : nodes_) f(name, entry);
    }

private:
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    std::unordered_map<std::string, node_entry, string_hash, std::equal_to<>> nodes_;
};

/// Host IPs as kwok's NodeIPsWith: the first InternalIP (else ExternalIP), followed by the first
/// address of the other IP family when there is one.
std::vector<std::string> node_host_ips(const boost::json::object& node);
/// spec.podCIDRs, or [spec.podCIDR], or [].
std::vector<std::string> node_pod_cidrs(const boost::json::object& node);
/// metadata.<field> as a string view ("" when absent).
std::string_view metadata_string(const boost::json::object& object, std::string_view field);
/// metadata.labels / metadata.annotations as an object pointer (nullptr when absent).
const boost::json::object* metadata_map(const boost::json::object& object, std::string_view field);

}  // namespace ghost::sim
