#include "kube/status.hpp"

#include "engine/error.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace ghost::kube {

namespace {

class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "ghost.kube"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::ok: return "ok";
        case errc::bad_request: return "bad request";
        case errc::unauthorized: return "unauthorized";
        case errc::forbidden: return "forbidden";
        case errc::not_found: return "not found";
        case errc::method_not_allowed: return "method not allowed";
        case errc::not_acceptable: return "not acceptable";
        case errc::conflict: return "conflict";
        case errc::already_exists: return "already exists";
        case errc::gone: return "gone (resource version too old)";
        case errc::unsupported_media: return "unsupported media type";
        case errc::invalid: return "invalid";
        case errc::too_many_requests: return "too many requests";
        case errc::server_error: return "server error";
        case errc::service_unavailable: return "service unavailable";
        case errc::server_timeout: return "server timeout";
        case errc::unexpected_status: return "unexpected HTTP status";
        case errc::malformed_response: return "malformed response";
        }
        return "unknown kube error";
    }
};

std::string string_field(const boost::json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    if (v && v->is_string()) return std::string(v->get_string());
    return {};
}

}  // namespace

const boost::system::error_category& kube_category() noexcept {
    static const category c;
    return c;
}

std::optional<status> parse_status(std::string_view body) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const auto& o = v.get_object();
    status s;
    if (auto* c = o.if_contains("code"); c && c->is_int64()) s.code = static_cast<int>(c->get_int64());
    s.reason = string_field(o, "reason");
    s.message = string_field(o, "message");
    return s;
}

errc errc_from_http(unsigned http_status, std::string_view reason) noexcept {
    if (http_status >= 200 && http_status < 300) return errc::ok;
    if (reason == "AlreadyExists") return errc::already_exists;
    if (reason == "Timeout" && http_status >= 500) return errc::server_timeout;
    switch (http_status) {
    case 400: return errc::bad_request;
    case 401: return errc::unauthorized;
    case 403: return errc::forbidden;
    case 404: return errc::not_found;
    case 405: return errc::method_not_allowed;
    case 406: return errc::not_acceptable;
    case 409: return errc::conflict;
    case 410: return errc::gone;
    case 415: return errc::unsupported_media;
    case 422: return errc::invalid;
    case 429: return errc::too_many_requests;
    case 503: return errc::service_unavailable;
    case 504: return errc::server_timeout;
    default: break;
    }
    if (http_status >= 500 && http_status < 600) return errc::server_error;
    return errc::unexpected_status;
}

bool is_transient(const boost::system::error_code& ec) noexcept {
    if (!ec) return false;
    if (ec == engine::errc::cancelled || ec == engine::errc::pool_closed ||
        ec == engine::errc::tls_error || ec == boost::system::errc::operation_canceled)
        return false;
    if (ec.category() != kube_category()) return true;  // transport, timeout, connection loss
    switch (static_cast<errc>(ec.value())) {
    case errc::too_many_requests:
    case errc::server_error:
    case errc::service_unavailable:
    case errc::server_timeout: return true;
    default: return false;
    }
}

}  // namespace ghost::kube
