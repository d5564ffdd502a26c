#pragma once
// core/v1 Events as a simulated component records them (kubelet-style: one Event per
// occurrence, count 1, in the object's namespace or "default" for cluster-scoped objects).

#include "engine/http_types.hpp"

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
};

struct event_record {
    std::string_view type = "Normal";  ///< empty means Normal
    std::string_view reason;
    std::string_view message;
    std::string_view component;  ///< source.component and reportingComponent
    std::string_view timestamp;  ///< RFC 3339, first and last
};

/// POST of the Event to its namespace's events collection.
engine::http_request make_event_request(const event_subject& about, const event_record& what);

}  // namespace ghost::kube
