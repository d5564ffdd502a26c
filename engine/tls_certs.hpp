#pragma once
// X.509 key and certificate generation with the OpenSSL 3 API (no openssl CLI): one copy for
// ghostctl's cluster PKI and ghostlet's self-signed serving certificate.
// Validity is now-1h .. now+10 years (kwokctl uses -24h .. +100y; ten years is plenty for a
// simulator and stays inside 32-bit time_t range on every platform).

#include <string>
#include <vector>

namespace ghost::engine {

struct pem_pair {
    std::string cert_pem;
    std::string key_pem;
};

enum class key_type {
    rsa_2048,   ///< 0.1-3 s to generate; kept for CAs
    ecdsa_p256  ///< about a millisecond; accepted by every Kubernetes component
};

struct certificate_request {
    std::string common_name;
    std::vector<std::string> organizations;    ///< one O= each (Kubernetes groups)
    bool is_ca = false;                        ///< CA:TRUE, keyCertSign|cRLSign
    std::vector<std::string> extended_usages;  ///< "serverAuth", "clientAuth"
    std::vector<std::string> sans;             ///< "IP:127.0.0.1", "DNS:localhost"
    key_type key = key_type::ecdsa_p256;
};

/// A fresh key and a certificate for it, signed by `issuer` (cert + key PEM), or self-signed
/// when issuer is null. Throws std::runtime_error "tls: <what>: <OpenSSL reason>".
pem_pair issue_certificate(const certificate_request& r, const pem_pair* issuer = nullptr);

struct key_pair {
    std::string private_pem;  ///< PKCS#8
    std::string public_pem;   ///< SubjectPublicKeyInfo
};
/// A fresh ECDSA P-256 key pair (e.g. a service-account signing key).
key_pair generate_key_pair();

/// Throws std::runtime_error when `pem` holds no certificate / private key.
void check_certificate_pem(const std::string& pem);
void check_private_key_pem(const std::string& pem);

}  // namespace ghost::engine
