#pragma once
// --kubelet-cluster-informers: who watches the cluster-wide kinds a kubelet caches (Services,
// RuntimeClasses, CSIDrivers) in --api-mode=kubelet. One enum for the flag and the watches.

#include <optional>
#include <string_view>

namespace ghost::ghostlet {

enum class cluster_informers { per_node, shared, none };

/// "per-node", "shared" or "none"; nullopt for anything else.
inline std::optional<cluster_informers> parse_cluster_informers(std::string_view v) noexcept {
    if (v == "per-node") return cluster_informers::per_node;
    if (v == "shared") return cluster_informers::shared;
    if (v == "none") return cluster_informers::none;
    return std::nullopt;
}

}  // namespace ghost::ghostlet
