#include "ghost_testing/loopback_http_server.hpp"

#include <boost/asio/buffer.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace ghost::testing {
namespace {

template <class T, void (*F)(T*)>
struct deleter {
    void operator()(T* p) const { F(p); }
};
using bio_ptr = std::unique_ptr<BIO, deleter<BIO, BIO_free_all>>;

std::string bio_text(BIO* b) {
    char* data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

void check(bool ok, const char* what) {
    if (!ok)
        throw std::runtime_error(std::string("make_self_signed_cert: ") + what);
}

}  // namespace

pem_pair make_self_signed_cert(const std::string& common_name) {
    std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>> key(EVP_EC_gen("P-256"));
    check(key != nullptr, "key");
    std::unique_ptr<X509, deleter<X509, X509_free>> cert(X509_new());
    check(cert != nullptr, "x509");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * 365);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                               -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    auto add_ext = [&](int nid, const char* value) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
        check(ext != nullptr, "extension");
        X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
    };
    add_ext(NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    add_ext(NID_basic_constraints, "critical,CA:TRUE");
    check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "sign");

    pem_pair out;
    bio_ptr cb(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_X509(cb.get(), cert.get()) == 1, "write cert");
    out.cert_pem = bio_text(cb.get());
    bio_ptr kb(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "write key");
    out.key_pem = bio_text(kb.get());
    return out;
}

std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(const pem_pair& pem) {
    auto ctx = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    ctx->use_certificate_chain(boost::asio::buffer(pem.cert_pem));
    ctx->use_private_key(boost::asio::buffer(pem.key_pem), boost::asio::ssl::context::pem);
    return ctx;
}

}  // namespace ghost::testing
