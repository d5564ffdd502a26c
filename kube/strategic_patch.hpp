#pragma once
// Strategic merge patches computed on the client, as apimachinery's CreateTwoWayMergePatch
// does with patch metadata read from the API server's OpenAPI v3 documents (kwok's
// PatchMetaFromOpenAPI3): lists with x-kubernetes-patch-strategy "merge" are diffed by their
// x-kubernetes-patch-merge-key (with $setElementOrder, "$patch: delete" and
// $deleteFromPrimitiveList directives), other lists are replaced, maps are diffed key by key
// and removed keys become null. Sans-io: the caller fetches the documents.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ghost::kube {

/// A field's patch metadata (the x-kubernetes-patch-* extensions). kwok drops "retainKeys",
/// so no $retainKeys directive is ever produced.
struct patch_field_meta {
    std::string strategy;   ///< "merge", "replace" or "" (the default: replace lists)
    std::string merge_key;  ///< for merge lists of objects, e.g. "name"
};

/// "api/v1" or "apis/<group>/<version>": a group/version's key in GET /openapi/v3's `paths`,
/// whose `serverRelativeURL` is the document to fetch.
std::string openapi_v3_key(std::string_view group, std::string_view version);

/// A node of one group/version's OpenAPI v3 document, resolved through $ref and the first of
/// allOf/oneOf/anyOf until it has a type (5 hops at most, as kwok). Shares the document.
class patch_schema {
public:
    /// The object schema of `resource` (plural): the application/json 200 response of the GET
    /// of the one path ending in "/<resource>/{name}" (watch paths excluded). nullopt and
    /// *error ("openapi: ...") when the document has none or it cannot be resolved.
    static std::optional<patch_schema> for_resource(std::shared_ptr<const boost::json::value> doc,
                                                    std::string_view resource,
                                                    std::string* error = nullptr);

    /// The property `key` of this object schema and its metadata; nullopt when the schema does
    /// not describe it (no properties, unknown key, or an unresolvable schema).
    std::optional<std::pair<patch_schema, patch_field_meta>> field(std::string_view key) const;
    /// The same for an array property: the schema of its items. nullopt also when the property
    /// is not of type array.
    std::optional<std::pair<patch_schema, patch_field_meta>> list_field(std::string_view key) const;

private:
    patch_schema(std::shared_ptr<const boost::json::value> doc, const boost::json::object* node)
        : doc_(std::move(doc)), node_(node) {}
    std::optional<patch_schema> resolved(const boost::json::object* node, int hops) const;
    std::optional<std::pair<const boost::json::object*, patch_field_meta>> property(
        std::string_view key) const;

    std::shared_ptr<const boost::json::value> doc_;
    const boost::json::object* node_ = nullptr;
};

/// The strategic merge patch that turns `original` into `modified`, with $setElementOrder lists
/// (CreateTwoWayMergePatch). `schema` null, or a field it does not describe, means no metadata
/// for that subtree: maps are diffed, lists replaced (where kwok fails the whole patch if such
/// a field changed). Errors, as apimachinery's, name the list: elements of mixed types, a list
/// of lists, or a merge-list element without its merge key.
boost::system::result<boost::json::object> two_way_merge_patch(
    const boost::json::object& original, const boost::json::object& modified,
    const patch_schema* schema, std::string* error = nullptr);

}  // namespace ghost::kube
