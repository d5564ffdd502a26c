#pragma once
// Kubernetes API errors: the Status object of a failed call and an error code enum mapped from
// the HTTP status (and the Status reason where the status alone is ambiguous).

#include <boost/system/error_code.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace ghost::kube {

enum class errc {
    ok = 0,
    bad_request = 1,       // 400
    unauthorized,          // 401
    forbidden,             // 403
    not_found,             // 404
    method_not_allowed,    // 405
    not_acceptable,        // 406
    conflict,              // 409 (reason Conflict)
    already_exists,        // 409 (reason AlreadyExists)
    gone,                  // 410 (watch/list resourceVersion too old, reason Expired/Gone)
    unsupported_media,     // 415
    invalid,               // 422
    too_many_requests,     // 429
    server_error,          // 500 and other 5xx
    service_unavailable,   // 503
    server_timeout,        // 504 (and Status reason Timeout)
    unexpected_status,     // any other non-2xx
    malformed_response,    // a 2xx body that is not what the call expects
};

const boost::system::error_category& kube_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), kube_category()};
}

// Status object of a failed call (kind: Status). code is the HTTP code it reports.
struct status {
    int code = 0;
    std::string reason;    // e.g. "NotFound", "AlreadyExists", "Expired"
    std::string message;
};

// Parses a Status body; nullopt when the body is not a JSON object.
std::optional<status> parse_status(std::string_view body);

// HTTP status (+ Status reason) -> errc. 2xx -> errc::ok.
errc errc_from_http(unsigned http_status, std::string_view reason = {}) noexcept;

// Worth retrying later: 429, 5xx, timeouts and transport failures (any non-kube error code).
bool is_transient(const boost::system::error_code& ec) noexcept;

}  // namespace ghost::kube

template <>
struct boost::system::is_error_code_enum<ghost::kube::errc> : std::true_type {};
