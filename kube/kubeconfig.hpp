#pragma once
// Start-up loading of cluster credentials: a kubeconfig file or the in-cluster service account.
// Errors throw config_error with a one-line message naming the file, the field path and what was
// expected, e.g. "/k/config: users[0].user.client-key-data: not valid base64".

#include "engine/http_types.hpp"

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ghost::kube {

class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct cluster_access {
    engine::endpoint ep;
    engine::tls_options tls;
    std::string bearer_token;
    std::string server;      // the server URL as written, e.g. "https://127.0.0.1:6443"
    std::string base_path;   // path prefix of the server URL without trailing '/', usually empty
};

// Loads `path`; `context` empty = current-context.
cluster_access load_kubeconfig(const std::filesystem::path& path, std::string_view context = {});

// Same on text already read; `origin` names the file in errors and anchors relative paths.
cluster_access parse_kubeconfig(std::string_view yaml_text, const std::filesystem::path& origin,
                                std::string_view context = {});

// KUBERNETES_SERVICE_HOST/PORT plus /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt}
// (or $GHOSTLET_SERVICE_ACCOUNT_DIR/{token,ca.crt}).
cluster_access in_cluster_access();
// Testable form: explicit host, port and service account directory.
cluster_access in_cluster_access(std::string_view host, std::string_view port,
                                 const std::filesystem::path& sa_dir);

// "https://host:port/prefix" -> endpoint (+ base path). Brackets of IPv6 literals are removed.
// Throws config_error (message without file name) on a malformed URL or unknown scheme.
cluster_access parse_server_url(std::string_view url);

// Standard (padded) base64; whitespace is ignored. nullopt when not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace ghost::kube
