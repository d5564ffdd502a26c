#pragma once
// Patch types with their content types, and RFC 6902 JSON-patch operations.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string_view>

namespace ghost::kube {

enum class patch_type { json, merge, strategic, apply };

// application/json-patch+json, application/merge-patch+json,
// application/strategic-merge-patch+json, application/apply-patch+yaml.
std::string_view content_type(patch_type t) noexcept;

// RFC 6902 operations ({"op":"add","path":...,"value":...}); `path` is an RFC 6901 pointer.
boost::json::object patch_add(std::string_view path, boost::json::value value);
boost::json::object patch_remove(std::string_view path);

}  // namespace ghost::kube
