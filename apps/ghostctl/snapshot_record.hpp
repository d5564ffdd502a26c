#pragma once
// The pure parts of recording (`ghostctl snapshot export --record`), in kwok v0.8.0's format so
// files go both ways between kwokctl and ghostctl: ResourcePatch documents
// (action.kwok.x-k8s.io/v1alpha1), the "$(time-offset-nanosecond N)" form every time in the file
// takes, and the per-resource memory that turns watch events into create / patch (a strategic
// merge patch against the last state seen) / delete documents.

#include "kube/discovery.hpp"
#include "kube/list_watch.hpp"
#include "kube/resource.hpp"
#include "kube/strategic_patch.hpp"
#include "kube/time.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::ghostctl {

inline constexpr std::string_view resource_patch_api_version = "action.kwok.x-k8s.io/v1alpha1";
inline constexpr std::string_view resource_patch_kind = "ResourcePatch";

enum class patch_method { create, patch, remove };

/// One recorded change (kwok's ResourcePatch).
struct resource_patch {
    std::string group;                       ///< resource.group ("" for the core group)
    std::string version;                     ///< resource.version
    std::string resource;                    ///< resource.resource (plural)
    std::string name;                        ///< target.name
    std::string ns;                          ///< target.namespace ("" for cluster-scoped)
    std::chrono::nanoseconds offset{0};      ///< durationNanosecond: since recording started
    patch_method method = patch_method::create;
    boost::json::object body;                ///< template: the object (create) or the strategic
                                             ///< merge patch (patch); empty for delete
};

/// apiVersion and kind are kwok's ResourcePatch type.
bool is_resource_patch(const boost::json::object& document);

/// The document as kwok writes it (template omitted for delete, group/namespace when empty).
boost::json::object encode_resource_patch(const resource_patch& p);

/// Reads a ResourcePatch document; nullopt and *error ("method: expected create, patch or
/// delete, got \"x\"") when a field is missing or of the wrong type. durationNanosecond may be
/// absent (0), as Go's decoder allows.
std::optional<resource_patch> decode_resource_patch(const boost::json::object& document,
                                                    std::string* error);

/// Every RFC 3339 time in `text` as "$(time-offset-nanosecond N)", N nanoseconds from `base`
/// (kwok's ReplaceTimeToRelative, applied to every document a recording writes).
std::string times_to_offsets(std::string_view text, kube::wall_clock::time_point base);
/// And back: base + N as MicroTime ("2006-01-02T15:04:05.000000Z"), kwok's
/// RevertTimeFromRelative. Text without offsets comes back unchanged.
std::string offsets_to_times(std::string_view text, kube::wall_clock::time_point base);

/// What one resource's recording remembers (kwok's TrackData): the last state of every object,
/// resourceVersion dropped, as prepare_for_snapshot leaves it.
class resource_track {
public:
    /// `schema`: the resource's patch metadata; nullopt diffs without it (JSON merge patches).
    resource_track(kube::api_resource resource, std::optional<kube::patch_schema> schema);

    /// A listed object (the snapshot part); `object` gets apiVersion/kind, loses its RV.
    void remember(boost::json::object& object);
    /// The keys of the objects remembered ("ns/name"), for the list/watch's relists.
    std::vector<std::string> keys() const;

    /// The document for a watch event at `offset`: a delete, a create for an object not seen
    /// before, else a patch (empty "{}" too, as kwok). A relist's `sync` of an unchanged object
    /// gives nullopt. A patch that cannot be computed gives nullopt and *error (the new state
    /// is remembered all the same, as kwok).
    std::optional<resource_patch> observe(kube::event_kind kind, boost::json::object object,
                                          std::chrono::nanoseconds offset, std::string* error);

    const kube::api_resource& resource() const { return resource_; }

private:
    resource_patch make(patch_method m, const boost::json::object& object,
                        std::chrono::nanoseconds offset) const;

    kube::api_resource resource_;
    std::optional<kube::patch_schema> schema_;
    std::string api_version_;
    std::map<std::string, boost::json::object> objects_;
};

}  // namespace ghost::ghostctl
