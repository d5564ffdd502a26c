#include "engine/tls_context.hpp"

#include <boost/asio/buffer.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

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

namespace {

std::shared_ptr<ssl::context> server_context(const pem_pair& pem, const std::string& cert_name,
                                             const std::string& key_name) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    boost::system::error_code ec;
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1,
                     ec);
    ctx->use_certificate_chain(boost::asio::buffer(pem.cert_pem), ec);
    if (ec) throw std::runtime_error(cert_name + ": not a PEM certificate (" + ec.message() + ")");
    ctx->use_private_key(boost::asio::buffer(pem.key_pem), ssl::context::pem, ec);
    if (ec) {
        throw std::runtime_error(key_name + ": not a PEM private key matching " + cert_name +
                                 " (" + ec.message() + ")");
    }
    return ctx;
}

std::string read_whole(const std::string& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot read the " + what);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

}  // namespace

std::shared_ptr<ssl::context> make_server_tls_context(const pem_pair& pem) {
    return server_context(pem, "tls: certificate", "tls: private key");
}

std::shared_ptr<ssl::context> load_server_tls_context(const std::string& cert_file,
                                                      const std::string& key_file) {
    pem_pair pem{read_whole(cert_file, "TLS certificate"), read_whole(key_file, "TLS private key")};
    return server_context(pem, cert_file, key_file);
}

}  // namespace ghost::engine
