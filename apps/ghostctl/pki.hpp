#pragma once
// Self-signed PKI for one local cluster, built with the OpenSSL 3 API (no openssl CLI).
// The CA key is RSA-2048; leaf and service-account keys are ECDSA P-256 (fast to generate).
//
// Validity is now-1h .. now+10 years (kwokctl uses -24h .. +100y; ten years is plenty for a
// simulator and stays inside 32-bit time_t range on every platform).

#include <filesystem>
#include <string>
#include <vector>

namespace ghost::ghostctl {

struct pem_pair {
    std::string cert_pem;
    std::string key_pem;
};

struct cluster_pki {
    pem_pair ca;           // CN ghost-ca, CA:TRUE, keyCertSign|cRLSign
    pem_pair apiserver;    // serverAuth, SANs from apiserver_sans()
    pem_pair admin;        // CN ghost-admin, O system:masters, clientAuth
    pem_pair front_proxy;  // CN front-proxy-client, clientAuth (apiserver requestheader auth)
    std::string sa_key_pem;  // service-account signing key (PKCS#8)
    std::string sa_pub_pem;  // its public half (SubjectPublicKeyInfo)
};

// DNS names and IPs put into the apiserver serving certificate.
std::vector<std::string> apiserver_sans();

// Generates a fresh CA and leaves. Throws std::runtime_error with the OpenSSL reason.
cluster_pki generate_pki();

// Writes ca.crt ca.key apiserver.crt apiserver.key admin.crt admin.key sa.key sa.pub and
// front-proxy-client.crt/.key into dir
// (keys 0600, certificates 0644).
void write_pki(const cluster_pki& pki, const std::filesystem::path& dir);

// Reads what write_pki wrote.
cluster_pki read_pki(const std::filesystem::path& dir);

// Writes text to path atomically (temp file + rename) with the given mode.
void write_file(const std::filesystem::path& path, const std::string& text, unsigned mode = 0644);
std::string read_file(const std::filesystem::path& path);

}  // namespace ghost::ghostctl
