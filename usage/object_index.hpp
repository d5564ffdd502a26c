#pragma once
// The nodes and pods a scrape reads: managed nodes' objects and every assigned pod by node, fed
// from the same watch events as the simulation. Kept only when some Metric is configured (or
// Metric is an enabled CRD), as kwok does. Objects get empty labels/annotations maps where
// absent (fill_empty_maps).

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::usage {

class object_index {
public:
    /// A node that is not (or no longer) managed is dropped.
    void upsert_node(const boost::json::object& node, bool managed);
    void erase_node(std::string_view name);
    /// Pods without spec.nodeName are ignored. Returns true when the pod is new.
    bool upsert_pod(const boost::json::object& pod);
    void erase_pod(const boost::json::object& pod);

    using handle = std::shared_ptr<const boost::json::value>;
    const boost::json::value* node(std::string_view name) const;
    /// Its pods in ns/name order.
    std::vector<const boost::json::value*> pods_of(std::string_view node_name) const;
    /// The same objects, kept alive past later updates and deletions (a scrape in steps): an
    /// update replaces an object rather than changing it.
    handle node_handle(std::string_view name) const;
    std::vector<handle> pod_handles(std::string_view node_name) const;
    /// Managed node names, sorted.
    std::vector<std::string> node_names() const;
    /// Containers of this node's pods seen running (a counter: deletions do not lower it).
    std::uint64_t started_containers(std::string_view node_name) const;
    std::size_t pods() const noexcept { return pods_.size(); }

private:
    struct pod_record {
        handle object;
        std::string node;
        bool counted_running = false;
    };
    std::map<std::string, handle, std::less<>> nodes_;
    std::map<std::string, pod_record, std::less<>> pods_;  ///< "ns/name"
    std::map<std::string, std::set<std::string>, std::less<>> by_node_;
    std::map<std::string, std::uint64_t, std::less<>> started_;
};

}  // namespace ghost::usage
