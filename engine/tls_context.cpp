#include "engine/tls_context.hpp"

#include <boost/asio/buffer.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

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
    // Idle connections (a quiet watch) give their 34 KB of record buffers back to the heap.
    SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
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

void trust_client_certificates(ssl::context& ctx, const std::string& ca_pem,
                               const std::string& origin) {
    boost::system::error_code ec;
    ctx.add_certificate_authority(boost::asio::buffer(ca_pem), ec);
    if (ec) throw std::runtime_error(origin + ": not a PEM CA certificate (" + ec.message() + ")");
    // The CA names go into the CertificateRequest, so clients holding several certificates pick
    // the one this CA issued.
    BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
    int added = 0;
    while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
        if (SSL_CTX_add_client_CA(ctx.native_handle(), cert) == 1) ++added;
        X509_free(cert);
    }
    BIO_free(bio);
    ERR_clear_error();  // the read past the last certificate leaves a "no start line"
    if (added == 0) throw std::runtime_error(origin + ": holds no PEM CA certificate");
    ctx.set_verify_mode(ssl::verify_peer, ec);  // without fail_if_no_peer_cert: optional
}

void trust_client_certificates_file(ssl::context& ctx, const std::string& ca_file) {
    trust_client_certificates(ctx, read_whole(ca_file, "client CA certificate"), ca_file);
}

}  // namespace ghost::engine
