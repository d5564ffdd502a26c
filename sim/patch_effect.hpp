#pragma once
// Whether a stage's patch would change the object as last seen (kwok's checkNeedPatch, without
// its marshal / patch / unmarshal / marshal passes): the patch is walked against the cached
// object and the walk stops at the first field it would change.
//
// Conservative by design: anything this does not model is a change (the patch is sent). JSON
// patches, server-owned metadata (resourceVersion, uid, ...), strategic-merge directives
// (`$patch`, `$setElementOrder/...`) and lists compared without a known merge key only count
// as unchanged when they are equal value for value. Timestamps are compared as text: a patch
// that only re-stamps a time is a change, as with kwok.

#include "kube/patch.hpp"
#include "stages/steps.hpp"

#include <boost/json/value.hpp>

#include <span>
#include <string_view>

namespace ghost::sim {

/// A list that strategic merge patches merge element by element: `path` from the object's
/// root, elements matched by the string field `key` (Kubernetes' patchMergeKey).
struct list_merge_key {
    std::span<const std::string_view> path;
    std::string_view key;
};

/// v1 Pod's and v1 Node's merge-keyed status lists (status.conditions by type, pod
/// hostIPs/podIPs by ip, node addresses by type).
std::span<const list_merge_key> pod_merge_keys();
std::span<const list_merge_key> node_merge_keys();

/// True when `patch` (merge or strategic; json and apply always count as changes) would change
/// `object`. `keys` only matter for strategic patches: other lists must be equal to be
/// unchanged (equal lists merge into themselves under either strategy).
bool patch_changes(const boost::json::value& object, const boost::json::value& patch,
                   kube::patch_type type, std::span<const list_merge_key> keys = {});

/// Whether a patch action's body applies to the object as cached (the object itself or its
/// status); a patch of another subresource (scale, ...) is always sent.
inline bool patches_object_itself(const stages::action& a) {
    return a.subresource.empty() || a.subresource == "status";
}

}  // namespace ghost::sim
