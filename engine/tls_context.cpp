#include "engine/tls_context.hpp"

#include <boost/asio/buffer.hpp>

namespace ghost::engine {

namespace ssl = boost::asio::ssl;

result<std::shared_ptr<ssl::context>> make_client_tls_context(const tls_options& o) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    boost::system::error_code ec;
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1,
                     ec);
    if (o.insecure_skip_verify) {
        ctx->set_verify_mode(ssl::verify_none, ec);
    } else {
        ctx->set_verify_mode(ssl::verify_peer, ec);
        if (o.ca_pem.empty())
            ctx->set_default_verify_paths(ec);
        else
            ctx->add_certificate_authority(boost::asio::buffer(o.ca_pem), ec);
        if (ec)
            return make_error_code(errc::tls_error);
    }
    if (!o.cert_pem.empty()) {
        ctx->use_certificate_chain(boost::asio::buffer(o.cert_pem), ec);
        if (ec)
            return make_error_code(errc::tls_error);
        ctx->use_private_key(boost::asio::buffer(o.key_pem), ssl::context::pem, ec);
        if (ec)
            return make_error_code(errc::tls_error);
    }
    return ctx;
}

}  // namespace ghost::engine
