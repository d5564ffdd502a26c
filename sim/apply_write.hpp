#pragma once
// An `apply` step as API requests, as kwok's createOrPatchResource sends it; shared by the
// Node/Pod simulation and the simulation of other kinds. The rendered object names its
// resource (apiVersion, kind), resolved through discovery; a namespaced target without a
// namespace gets the played object's, a cluster-scoped one never gets one. Server-side apply
// (the default type) is one PATCH (fieldManager, force); a merge or strategic apply of a whole
// object is a POST, then that PATCH when the object exists (409); with a subresource only that
// subresource is patched.

#include "kube/discovery.hpp"
#include "sim/write_op.hpp"
#include "stages/steps.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ghost::sim {

/// The resource of (group/version, kind), or nullptr when discovery does not know it.
using resolve_fn =
    std::function<const kube::api_resource*(std::string_view group_version, std::string_view kind)>;

struct apply_write {
    write_op op;                              ///< sent first
    std::optional<write_op> patch_if_exists;  ///< sent instead when `op` (a create) gets 409
};

/// nullopt with `error` set when the target cannot be resolved or has no metadata.name.
std::optional<apply_write> encode_apply(const stages::action& a, std::string_view source_namespace,
                                        const resolve_fn& resolve, std::string_view field_manager,
                                        std::string* error);

}  // namespace ghost::sim
