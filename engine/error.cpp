#include "engine/error.hpp"

#include <string>

namespace ghost::engine {
namespace {

class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "ghost.engine"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::ok: return "success";
        case errc::timeout: return "operation timed out";
        case errc::connection_closed: return "connection closed by peer";
        case errc::http_status: return "unexpected HTTP status";
        case errc::parse_error: return "parse error";
        case errc::cancelled: return "operation cancelled";
        case errc::too_many_requests: return "too many requests";
        case errc::tls_error: return "TLS error";
        case errc::resolve_failed: return "host name resolution failed";
        case errc::pool_closed: return "connection pool closed";
        case errc::not_found: return "not found";
        }
        return "unknown engine error";
    }
};

}  // namespace

const boost::system::error_category& engine_category() noexcept {
    static const category instance;
    return instance;
}

}  // namespace ghost::engine
