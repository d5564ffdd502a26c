#pragma once
// The ConfigMaps and Secrets a kubelet watches for its pods (its default
// configMapAndSecretChangeDetectionStrategy, Watch): one watch per object that at least one
// of the node's pods references, started with the first such pod and stopped with the last.
// Sans-io: mounted_objects() reads a pod's references; mounted_object_refs does the counting
// and says which watches to start or stop.
//
// References read, as the kubelet's pod visitors: volumes (configMap, secret, projected
// sources, csi.nodePublishSecretRef), env valueFrom and envFrom of init, regular and ephemeral
// containers, and (Secrets) imagePullSecrets.

#include <boost/json/object.hpp>

#include <compare>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace ghost::sim {

struct object_ref {
    enum class kind { config_map, secret };
    kind type = kind::config_map;
    std::string ns;
    std::string name;
    auto operator<=>(const object_ref&) const = default;
};

/// "configmaps" or "secrets": the resource of the watch path.
const char* resource_of(object_ref::kind k) noexcept;

/// The ConfigMaps and Secrets `pod` references, each once, sorted.
std::vector<object_ref> mounted_objects(const boost::json::object& pod);

class mounted_object_refs {
public:
    struct change {
        std::vector<object_ref> start;  ///< first pod referencing it: watch it
        std::vector<object_ref> stop;   ///< last reference gone: stop its watch
    };
    /// The pod (by namespace/name) now references `refs` (all of them; replaces its last set).
    change set_pod(const std::string& pod, std::vector<object_ref> refs);
    /// The pod is gone from the node.
    change remove_pod(const std::string& pod);

    std::size_t watched() const noexcept { return counts_.size(); }
    /// Every watched object (to stop them all when the node leaves).
    std::vector<object_ref> all() const;

private:
    std::map<std::string, std::vector<object_ref>> pods_;
    std::map<object_ref, std::size_t> counts_;
};

}  // namespace ghost::sim
