#pragma once
// Patch helpers: content types, RFC 6902 JSON-patch operations with RFC 6901 pointer escaping,
// and a local RFC 7386 merge-patch apply used to skip patches that would change nothing.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <initializer_list>
#include <string>
#include <string_view>

namespace ghost::kube {

enum class patch_type { json, merge, strategic, apply };

// application/json-patch+json, application/merge-patch+json,
// application/strategic-merge-patch+json, application/apply-patch+yaml.
std::string_view content_type(patch_type t) noexcept;

// RFC 6901: '~' -> "~0", '/' -> "~1".
std::string escape_pointer_token(std::string_view token);
// "/a/b~1c" from {"a", "b/c"}.
std::string json_pointer(std::initializer_list<std::string_view> tokens);

// RFC 6902 operations.
boost::json::object patch_add(std::string_view path, boost::json::value value);
boost::json::object patch_replace(std::string_view path, boost::json::value value);
boost::json::object patch_remove(std::string_view path);
boost::json::object patch_test(std::string_view path, boost::json::value value);

// RFC 7386: returns target with patch merged in (null in the patch deletes a member; a
// non-object patch replaces the target).
boost::json::value merge_patch(const boost::json::value& target, const boost::json::value& patch);
// In place; returns true when target changed.
bool apply_merge_patch(boost::json::value& target, const boost::json::value& patch);
// True when applying the merge patch would change target (no copy of target is made).
bool merge_patch_changes(const boost::json::value& target, const boost::json::value& patch);

}  // namespace ghost::kube
