#include "apps/ghostctl/pki.hpp"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

namespace ghost::ghostctl {
namespace {

struct x509_free_t {
    void operator()(X509* x) const { X509_free(x); }
};
using cert_ptr = std::unique_ptr<X509, x509_free_t>;

cert_ptr parse(const std::string& pem) {
    BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    cert_ptr c(PEM_read_bio_X509(b, nullptr, nullptr, nullptr));
    BIO_free(b);
    return c;
}

// X509_verify_cert of leaf against ca with the given purpose; returns the verify error code.
int verify(X509* ca, X509* leaf, int purpose) {
    X509_STORE* store = X509_STORE_new();
    X509_STORE_add_cert(store, ca);
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, leaf, nullptr);
    X509_STORE_CTX_set_purpose(ctx, purpose);
    int ok = X509_verify_cert(ctx);
    int err = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return err;
}

std::vector<std::string> sans(X509* c) {
    std::vector<std::string> out;
    auto* names = static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(c, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
        GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
        if (n->type == GEN_DNS) {
            out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(
                                                   ASN1_STRING_get0_data(n->d.dNSName)),
                                               ASN1_STRING_length(n->d.dNSName)));
        } else if (n->type == GEN_IPADD) {
            char buf[INET6_ADDRSTRLEN] = "";
            int len = ASN1_STRING_length(n->d.iPAddress);
            inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(n->d.iPAddress), buf,
                      sizeof buf);
            out.push_back("IP:" + std::string(buf));
        }
    }
    GENERAL_NAMES_free(names);
    return out;
}

std::string subject_field(X509* c, int nid) {
    char buf[256] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(c), nid, buf, sizeof buf);
    return buf;
}

class pki_test : public ::testing::Test {
protected:
    static void SetUpTestSuite() { pki_ = new cluster_pki(generate_pki()); }
    static void TearDownTestSuite() { delete pki_; }
    static cluster_pki* pki_;
};
cluster_pki* pki_test::pki_ = nullptr;

TEST_F(pki_test, ca_is_a_self_signed_ca) {
    auto ca = parse(pki_->ca.cert_pem);
    ASSERT_TRUE(ca);
    EXPECT_EQ(subject_field(ca.get(), NID_commonName), "ghost-ca");
    EXPECT_EQ(X509_check_ca(ca.get()), 1);
    EXPECT_NE(X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN, 0u);
    EXPECT_EQ(verify(ca.get(), ca.get(), X509_PURPOSE_ANY), X509_V_OK);
    EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(ca.get())), 2048);
}

TEST_F(pki_test, apiserver_cert_verifies_as_server_with_sans) {
    auto ca = parse(pki_->ca.cert_pem);
    auto srv = parse(pki_->apiserver.cert_pem);
    ASSERT_TRUE(srv);
    EXPECT_EQ(verify(ca.get(), srv.get(), X509_PURPOSE_SSL_SERVER), X509_V_OK);
    EXPECT_NE(verify(ca.get(), srv.get(), X509_PURPOSE_SSL_CLIENT), X509_V_OK);
    EXPECT_EQ(X509_check_ca(srv.get()), 0);
    auto got = sans(srv.get());
    for (std::string want :
         {"IP:127.0.0.1", "IP:::1", "IP:10.96.0.1", "DNS:localhost",
          "DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc",
          "DNS:kubernetes.default.svc.cluster.local"}) {
        EXPECT_NE(std::find(got.begin(), got.end(), want), got.end()) << want;
    }
    EXPECT_EQ(X509_check_host(srv.get(), "localhost", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_check_ip_asc(srv.get(), "127.0.0.1", 0), 1);
    EXPECT_EQ(X509_check_ip_asc(srv.get(), "::1", 0), 1);
    EXPECT_NE(X509_get_extended_key_usage(srv.get()) & XKU_SSL_SERVER, 0u);
}

TEST_F(pki_test, admin_cert_is_a_system_masters_client) {
    auto ca = parse(pki_->ca.cert_pem);
    auto adm = parse(pki_->admin.cert_pem);
    ASSERT_TRUE(adm);
    EXPECT_EQ(verify(ca.get(), adm.get(), X509_PURPOSE_SSL_CLIENT), X509_V_OK);
    EXPECT_NE(verify(ca.get(), adm.get(), X509_PURPOSE_SSL_SERVER), X509_V_OK);
    EXPECT_EQ(subject_field(adm.get(), NID_commonName), "ghost-admin");
    EXPECT_EQ(subject_field(adm.get(), NID_organizationName), "system:masters");
    EXPECT_EQ(X509_get_extended_key_usage(adm.get()) & XKU_SSL_CLIENT, XKU_SSL_CLIENT);
}

TEST_F(pki_test, a_client_certificate_carries_one_organization_per_group) {
    // get kubeconfig --group a,b: Kubernetes reads every O= of the subject as a group.
    auto leaf = engine::issue_certificate({"alice", {"team-a", "system:masters"}, false,
                                           {"clientAuth"}, {}},
                                          &pki_->ca);
    auto c = parse(leaf.cert_pem);
    ASSERT_TRUE(c);
    std::vector<std::string> orgs;
    X509_NAME* name = X509_get_subject_name(c.get());
    for (int i = -1; (i = X509_NAME_get_index_by_NID(name, NID_organizationName, i)) >= 0;) {
        auto* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
        orgs.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                          static_cast<std::size_t>(ASN1_STRING_length(data)));
    }
    EXPECT_EQ(orgs, (std::vector<std::string>{"team-a", "system:masters"}));
    EXPECT_EQ(subject_field(c.get(), NID_commonName), "alice");
    EXPECT_EQ(verify(parse(pki_->ca.cert_pem).get(), c.get(), X509_PURPOSE_SSL_CLIENT), X509_V_OK);
}

TEST_F(pki_test, validity_spans_ten_years_from_an_hour_ago) {
    auto adm = parse(pki_->admin.cert_pem);
    int days = 0, secs = 0;
    ASSERT_EQ(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(adm.get()),
                             X509_get0_notAfter(adm.get())),
              1);
    EXPECT_GE(days, 3649);
    EXPECT_LE(days, 3651);
    EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(adm.get())), 0);
}

TEST_F(pki_test, other_ca_does_not_verify) {
    auto other = generate_pki();
    auto ca2 = parse(other.ca.cert_pem);
    auto srv = parse(pki_->apiserver.cert_pem);
    EXPECT_NE(verify(ca2.get(), srv.get(), X509_PURPOSE_SSL_SERVER), X509_V_OK);
}

TEST_F(pki_test, sa_key_pair_matches) {
    BIO* b = BIO_new_mem_buf(pki_->sa_key_pem.data(), static_cast<int>(pki_->sa_key_pem.size()));
    EVP_PKEY* priv = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
    BIO_free(b);
    b = BIO_new_mem_buf(pki_->sa_pub_pem.data(), static_cast<int>(pki_->sa_pub_pem.size()));
    EVP_PKEY* pub = PEM_read_bio_PUBKEY(b, nullptr, nullptr, nullptr);
    BIO_free(b);
    ASSERT_NE(priv, nullptr);
    ASSERT_NE(pub, nullptr);
    EXPECT_EQ(EVP_PKEY_eq(priv, pub), 1);
    EVP_PKEY_free(priv);
    EVP_PKEY_free(pub);
}

TEST_F(pki_test, files_are_written_with_private_keys_0600) {
    auto dir = std::filesystem::temp_directory_path() /
               ("ghostctl-pki-" + std::to_string(::getpid()));
    write_pki(*pki_, dir);
    for (const char* f : {"ca.key", "apiserver.key", "admin.key", "sa.key"}) {
        struct stat st{};
        ASSERT_EQ(::stat((dir / f).c_str(), &st), 0) << f;
        EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
    }
    for (const char* f : {"ca.crt", "apiserver.crt", "admin.crt", "sa.pub"}) {
        EXPECT_TRUE(std::filesystem::exists(dir / f)) << f;
    }
    auto back = read_pki(dir);
    EXPECT_EQ(back.admin.cert_pem, pki_->admin.cert_pem);
    EXPECT_EQ(back.sa_pub_pem, pki_->sa_pub_pem);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ghost::ghostctl
