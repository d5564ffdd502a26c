#pragma once
// The debugging resources in use: --config documents and live custom resources (by kind,
// namespace and name), and kwok's selection rules (spec §6.3): the namespaced resource of the
// pod's own name and namespace decides when there is one; else the first Cluster* resource whose
// selector matches and that has an entry. Within one resource, an entry naming the container
// (or port) wins over the first entry with an empty list. Custom resources are searched before
// the --config documents, as usage/catalog does.

#include "debugging/resources.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace ghost::debugging {

/// An entry found for a pod, or kwok's error text (`no logs found for container "c" in pod
/// "ns/p"`) for the client.
template <class Entry>
struct lookup {
    const Entry* entry = nullptr;
    std::string error;
};

class catalog {
public:
    /// A --config document; the one-line error when it is invalid (then it is left out).
    std::optional<std::string> add_config(const boost::json::object& object, std::string_view source);
    /// A custom resource added or changed; on error an earlier version of it is dropped.
    std::optional<std::string> upsert_resource(const boost::json::object& object);
    void erase_resource(const boost::json::object& object);

    lookup<logs_entry> find_logs(std::string_view ns, std::string_view pod,
                                 std::string_view container) const;
    lookup<exec_entry> find_exec(std::string_view ns, std::string_view pod,
                                 std::string_view container) const;
    lookup<attach_entry> find_attach(std::string_view ns, std::string_view pod,
                                     std::string_view container) const;
    lookup<forward_entry> find_forward(std::string_view ns, std::string_view pod,
                                       std::int32_t port) const;

    std::size_t size() const noexcept { return config_.size() + resources_.size(); }

private:
    /// Custom resources first (in key order), then the config documents (in file order).
    std::vector<const debug_resource*> of_kind(debug_kind kind) const;

    std::vector<debug_resource> config_;
    std::map<std::tuple<std::string, std::string, std::string>, debug_resource> resources_;
};

}  // namespace ghost::debugging
