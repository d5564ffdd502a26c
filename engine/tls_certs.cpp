#include "engine/tls_certs.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace ghost::engine {
namespace {

template <class T, void (*F)(T*)>
struct deleter {
    void operator()(T* p) const noexcept { F(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO, BIO_free_all>>;

[[noreturn]] void fail(const std::string& what) {
    unsigned long e = ERR_get_error();
    char buf[256] = "unknown error";
    if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    throw std::runtime_error("tls: " + what + ": " + buf);
}

pkey_ptr new_key(key_type t) {
    pkey_ptr k(t == key_type::rsa_2048 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256"));
    if (!k) fail(t == key_type::rsa_2048 ? "generating an RSA-2048 key" : "generating an ECDSA P-256 key");
    return k;
}

std::string bio_text(BIO* b) {
    char* data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string key_pem(EVP_PKEY* k) {
    bio_ptr b(BIO_new(BIO_s_mem()));
    if (!PEM_write_bio_PrivateKey(b.get(), k, nullptr, nullptr, 0, nullptr, nullptr)) {
        fail("encoding a private key");
    }
    return bio_text(b.get());
}

std::string cert_pem(X509* c) {
    bio_ptr b(BIO_new(BIO_s_mem()));
    if (!PEM_write_bio_X509(b.get(), c)) fail("encoding a certificate");
    return bio_text(b.get());
}

pkey_ptr parse_key(const std::string& pem) {
    bio_ptr b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    pkey_ptr k(PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr));
    if (!k) fail("parsing a private key");
    return k;
}

x509_ptr parse_cert(const std::string& pem) {
    bio_ptr b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    x509_ptr c(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
    if (!c) fail("parsing a certificate");
    return c;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext == nullptr) fail(std::string("building extension ") + OBJ_nid2sn(nid));
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    if (!ok) fail("adding an extension");
}

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
}

void add_name_entry(X509_NAME* name, const char* field, const std::string& value) {
    X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0);
}

}  // namespace

pem_pair issue_certificate(const certificate_request& r, const pem_pair* issuer) {
    auto key = new_key(r.key);
    x509_ptr issuer_cert;
    pkey_ptr issuer_key;
    if (issuer != nullptr) {
        issuer_cert = parse_cert(issuer->cert_pem);
        issuer_key = parse_key(issuer->key_pem);
    }
    x509_ptr c(X509_new());
    if (!c) fail("allocating a certificate");
    X509_set_version(c.get(), 2);  // v3
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) fail("random serial");
    serial[0] &= 0x7f;  // positive
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(c.get()), -3600L);
    X509_time_adj_ex(X509_getm_notAfter(c.get()), 3650, 0, nullptr);
    X509_NAME* name = X509_get_subject_name(c.get());
    for (const auto& o : r.organizations) add_name_entry(name, "O", o);
    add_name_entry(name, "CN", r.common_name);
    X509* iss = issuer_cert ? issuer_cert.get() : c.get();
    X509_set_issuer_name(c.get(), X509_get_subject_name(iss));
    if (!X509_set_pubkey(c.get(), key.get())) fail("setting the public key");
    add_ext(c.get(), iss, NID_subject_key_identifier, "hash");
    if (issuer_cert) add_ext(c.get(), iss, NID_authority_key_identifier, "keyid:always");
    if (r.is_ca) {
        add_ext(c.get(), iss, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(c.get(), iss, NID_key_usage,
                "critical,digitalSignature,keyEncipherment,keyCertSign,cRLSign");
    } else {
        add_ext(c.get(), iss, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(c.get(), iss, NID_key_usage, "critical,digitalSignature");
    }
    if (!r.extended_usages.empty()) {
        add_ext(c.get(), iss, NID_ext_key_usage, joined(r.extended_usages));
    }
    if (!r.sans.empty()) add_ext(c.get(), iss, NID_subject_alt_name, joined(r.sans));
    EVP_PKEY* signer = issuer_key ? issuer_key.get() : key.get();
    if (X509_sign(c.get(), signer, EVP_sha256()) == 0) fail("signing a certificate");
    return {cert_pem(c.get()), key_pem(key.get())};
}

key_pair generate_key_pair() {
    auto k = new_key(key_type::ecdsa_p256);
    bio_ptr b(BIO_new(BIO_s_mem()));
    if (!PEM_write_bio_PUBKEY(b.get(), k.get())) fail("encoding a public key");
    return {key_pem(k.get()), bio_text(b.get())};
}

void check_certificate_pem(const std::string& pem) { parse_cert(pem); }
void check_private_key_pem(const std::string& pem) { parse_key(pem); }

}  // namespace ghost::engine
