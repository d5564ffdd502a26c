#include "apps/ghostctl/pki.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace ghost::ghostctl {
namespace {

template <class T, void (*F)(T*)>
struct deleter {
    void operator()(T* p) const noexcept { F(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO, BIO_free_all>>;
using name_ptr = std::unique_ptr<X509_NAME, deleter<X509_NAME, X509_NAME_free>>;

[[noreturn]] void fail(const std::string& what) {
    unsigned long e = ERR_get_error();
    char buf[256] = "unknown error";
    if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    throw std::runtime_error("pki: " + what + ": " + buf);
}

pkey_ptr rsa_key() {
    pkey_ptr k(EVP_RSA_gen(2048));
    if (!k) fail("generating an RSA-2048 key");
    return k;
}

pkey_ptr ec_key() {
    pkey_ptr k(EVP_EC_gen("P-256"));
    if (!k) fail("generating an ECDSA P-256 key");
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

std::string pub_pem(EVP_PKEY* k) {
    bio_ptr b(BIO_new(BIO_s_mem()));
    if (!PEM_write_bio_PUBKEY(b.get(), k)) fail("encoding a public key");
    return bio_text(b.get());
}

std::string cert_pem(X509* c) {
    bio_ptr b(BIO_new(BIO_s_mem()));
    if (!PEM_write_bio_X509(b.get(), c)) fail("encoding a certificate");
    return bio_text(b.get());
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr) fail(std::string("building extension ") + OBJ_nid2sn(nid));
    if (!X509_add_ext(cert, ext, -1)) {
        X509_EXTENSION_free(ext);
        fail("adding an extension");
    }
    X509_EXTENSION_free(ext);
}

struct subject {
    std::string cn;
    std::string o;
};

x509_ptr make_cert(EVP_PKEY* key, const subject& subj, X509* issuer, EVP_PKEY* issuer_key) {
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
    if (!subj.o.empty()) {
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(subj.o.c_str()), -1, -1,
                                   0);
    }
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(subj.cn.c_str()), -1, -1, 0);
    X509* iss = issuer != nullptr ? issuer : c.get();
    X509_set_issuer_name(c.get(), X509_get_subject_name(iss));
    if (!X509_set_pubkey(c.get(), key)) fail("setting the public key");
    add_ext(c.get(), iss, NID_subject_key_identifier, "hash");
    if (issuer != nullptr) add_ext(c.get(), iss, NID_authority_key_identifier, "keyid:always");
    (void)issuer_key;
    return c;
}

void sign(X509* c, EVP_PKEY* key) {
    if (X509_sign(c, key, EVP_sha256()) == 0) fail("signing a certificate");
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

}  // namespace

std::vector<std::string> apiserver_sans() {
    return {"IP:127.0.0.1",          "IP:::1",
            "IP:10.96.0.1",          "DNS:localhost",
            "DNS:kubernetes",        "DNS:kubernetes.default",
            "DNS:kubernetes.default.svc", "DNS:kubernetes.default.svc.cluster.local"};
}

cluster_pki generate_pki() {
    cluster_pki out;
    // RSA-2048 keygen costs 0.1-3 s depending on luck and load; only the CA gets one. Leaves
    // and the service-account key are ECDSA P-256 (ES256), which every Kubernetes component
    // and our own client accept, and which take a millisecond.
    auto ca_key = rsa_key();
    auto ca = make_cert(ca_key.get(), {"ghost-ca", ""}, nullptr, nullptr);
    add_ext(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_ext(ca.get(), ca.get(), NID_key_usage,
            "critical,digitalSignature,keyEncipherment,keyCertSign,cRLSign");
    sign(ca.get(), ca_key.get());
    out.ca = {cert_pem(ca.get()), key_pem(ca_key.get())};

    auto srv_key = ec_key();
    auto srv = make_cert(srv_key.get(), {"kube-apiserver", ""}, ca.get(), ca_key.get());
    add_ext(srv.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_ext(srv.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
    add_ext(srv.get(), ca.get(), NID_ext_key_usage, "serverAuth");
    std::string sans;
    for (auto& s : apiserver_sans()) sans += (sans.empty() ? "" : ",") + s;
    add_ext(srv.get(), ca.get(), NID_subject_alt_name, sans.c_str());
    sign(srv.get(), ca_key.get());
    out.apiserver = {cert_pem(srv.get()), key_pem(srv_key.get())};

    auto adm_key = ec_key();
    auto adm = make_cert(adm_key.get(), {"ghost-admin", "system:masters"}, ca.get(), ca_key.get());
    add_ext(adm.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_ext(adm.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
    add_ext(adm.get(), ca.get(), NID_ext_key_usage, "clientAuth");
    sign(adm.get(), ca_key.get());
    out.admin = {cert_pem(adm.get()), key_pem(adm_key.get())};

    auto fp_key = ec_key();
    auto fp = make_cert(fp_key.get(), {"front-proxy-client", ""}, ca.get(), ca_key.get());
    add_ext(fp.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_ext(fp.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
    add_ext(fp.get(), ca.get(), NID_ext_key_usage, "clientAuth");
    sign(fp.get(), ca_key.get());
    out.front_proxy = {cert_pem(fp.get()), key_pem(fp_key.get())};

    auto sa = ec_key();
    out.sa_key_pem = key_pem(sa.get());
    out.sa_pub_pem = pub_pem(sa.get());
    return out;
}

void write_file(const std::filesystem::path& path, const std::string& text, unsigned mode) {
    auto tmp = path;
    tmp += ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
    }
    ::fchmod(fd, mode);
    std::size_t off = 0;
    while (off < text.size()) {
        ssize_t n = ::write(fd, text.data() + off, text.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            ::close(fd);
            throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(e));
        }
        off += static_cast<std::size_t>(n);
    }
    ::close(fd);
    std::filesystem::rename(tmp, path);
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

void write_pki(const cluster_pki& p, const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    write_file(dir / "ca.crt", p.ca.cert_pem);
    write_file(dir / "ca.key", p.ca.key_pem, 0600);
    write_file(dir / "apiserver.crt", p.apiserver.cert_pem);
    write_file(dir / "apiserver.key", p.apiserver.key_pem, 0600);
    write_file(dir / "admin.crt", p.admin.cert_pem);
    write_file(dir / "admin.key", p.admin.key_pem, 0600);
    write_file(dir / "front-proxy-client.crt", p.front_proxy.cert_pem);
    write_file(dir / "front-proxy-client.key", p.front_proxy.key_pem, 0600);
    write_file(dir / "sa.key", p.sa_key_pem, 0600);
    write_file(dir / "sa.pub", p.sa_pub_pem);
}

cluster_pki read_pki(const std::filesystem::path& dir) {
    cluster_pki p;
    p.ca = {read_file(dir / "ca.crt"), read_file(dir / "ca.key")};
    p.apiserver = {read_file(dir / "apiserver.crt"), read_file(dir / "apiserver.key")};
    p.admin = {read_file(dir / "admin.crt"), read_file(dir / "admin.key")};
    p.front_proxy = {read_file(dir / "front-proxy-client.crt"),
                     read_file(dir / "front-proxy-client.key")};
    p.sa_key_pem = read_file(dir / "sa.key");
    p.sa_pub_pem = read_file(dir / "sa.pub");
    // Cheap sanity check so a truncated file is reported here, not by a component later.
    parse_cert(p.ca.cert_pem);
    parse_key(p.ca.key_pem);
    return p;
}

}  // namespace ghost::ghostctl
