#pragma once
// Error codes of the engine layer and the result<T> alias used on every hot path.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <type_traits>

namespace ghost::engine {

enum class errc {
    ok = 0,
    timeout = 1,            // an operation ran past its deadline
    connection_closed,      // the peer closed the connection
    http_status,            // unexpected HTTP status (the status travels next to the error)
    parse_error,            // malformed input (HTTP, JSON, ...)
    cancelled,              // stopped through a cancellation slot
    too_many_requests,      // HTTP 429
    tls_error,              // TLS setup (bad PEM, ...) or handshake failed
    resolve_failed,         // host name did not resolve
    pool_closed,            // the pool was shut down
    not_found,
};

const boost::system::error_category& engine_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), engine_category()};
}

template <class T>
using result = boost::system::result<T>;

}  // namespace ghost::engine

template <>
struct boost::system::is_error_code_enum<ghost::engine::errc> : std::true_type {};
