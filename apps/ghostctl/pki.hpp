#pragma once
// Self-signed PKI for one local cluster (certificates from engine/tls_certs).
// The CA key is RSA-2048; leaf and service-account keys are ECDSA P-256 (fast to generate).

#include "engine/tls_certs.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace ghost::ghostctl {

using engine::pem_pair;

// The admin client certificate's subject (kwokctl: kwok-admin, system:masters).
inline constexpr const char* admin_user = "ghost-admin";
inline constexpr const char* admin_group = "system:masters";

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
