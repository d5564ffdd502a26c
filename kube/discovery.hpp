#pragma once
// API discovery: which resource serves a kind of a group/version, whether it is namespaced and
// whether it has a status subresource. Sans-io: the caller GETs discovery_path() and feeds the
// body to parse_api_resource_list().

#include "kube/resource.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ghost::kube {

struct api_resource {
    resource_ref ref;        // group, version, plural name, namespaced
    std::string kind;        // "PersistentVolumeClaim"
    bool has_status = false; // "<name>/status" is served
};

// "v1" -> {"", "v1"}; "apps/v1" -> {"apps", "v1"}; the kwok form of a resourceRef.apiGroup.
std::pair<std::string, std::string> split_group_version(std::string_view group_version);

// "/api/v1" or "/apis/<group>/<version>".
std::string discovery_path(std::string_view group_version);

// The resources of an APIResourceList body (subresources fold into their resource's
// has_status). nullopt and *error ("discovery <gv>: ...") when the body is not one.
std::optional<std::vector<api_resource>> parse_api_resource_list(std::string_view body,
                                                                 std::string_view group_version,
                                                                 std::string* error = nullptr);

// The resource of `kind` in a parsed list, or nullptr.
const api_resource* find_kind(const std::vector<api_resource>& list, std::string_view kind);

}  // namespace ghost::kube
