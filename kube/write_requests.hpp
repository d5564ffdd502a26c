#pragma once
// The writes a simulated component sends, encoded once: a patch of an object (or subresource),
// a forced delete, and core/v1 Events (kubelet-style: one Event per occurrence, count 1, in the
// object's namespace or "default" for cluster-scoped objects).

#include "engine/http_types.hpp"
#include "kube/patch.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace ghost::kube {

struct event_subject {
    std::string_view api_version;
    std::string_view kind;
    std::string_view name;
    std::string_view ns;  ///< empty for cluster-scoped objects
    std::string_view uid;
    std::string_view resource_version;
    std::string_view field_path;  ///< e.g. spec.containers{app}; empty: the whole object
};

struct event_record {
    std::string_view type = "Normal";  ///< empty means Normal
    std::string_view reason;
    std::string_view message;
    std::string_view component;  ///< source.component and reportingComponent
    std::string_view timestamp;  ///< RFC 3339, first and last
    std::string_view host;       ///< source.host and reportingInstance (a kubelet's node)
};

/// PATCH of `path` with `data` in the content type of `type`.
engine::http_request make_patch_request(std::string path, patch_type type,
                                        const boost::json::value& data);

/// DELETE of `path` with gracePeriodSeconds 0 (kwok's `delete: true`).
engine::http_request make_force_delete_request(std::string path);

/// POST of the Event to its namespace's events collection.
engine::http_request make_event_request(const event_subject& about, const event_record& what);

}  // namespace ghost::kube
