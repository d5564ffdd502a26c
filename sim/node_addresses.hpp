#pragma once
// v1 Node status.addresses under strategic merge. The list's merge key is `type`, so a list
// with two entries of one type (a dual-stack node's two InternalIPs) cannot be expressed: the
// API server answers 422 "Duplicate value" even when the list equals the node's own. The
// kubelet sends addresses only when they changed, and then as the whole list with
// `$patch: replace` (component-helpers' PatchNodeStatus); a stage's patch is fixed the same way.

#include <boost/json/value.hpp>

namespace ghost::sim {

enum class addresses_fix {
    none,      ///< no status.addresses in the patch, or no type repeated: sent as rendered
    dropped,   ///< equal to the node's own list: left out of the patch
    replaced,  ///< changed: sent whole with a leading {"$patch": "replace"}
};

/// Applies the fix to a strategic-merge `patch` of a Node or its status, against `node` as
/// last seen.
addresses_fix fix_repeated_address_types(boost::json::value& patch, const boost::json::value& node);

}  // namespace ghost::sim
