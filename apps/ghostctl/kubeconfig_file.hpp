#pragma once
// Writing a cluster's kubeconfig and merging/unmerging its entries into the user's kubeconfig.

#include <filesystem>
#include <string>
#include <string_view>

namespace ghost::ghostctl {

struct kubeconfig_entry {
    std::string name;    // used for the cluster, user and context entries (ghost-<cluster>)
    std::string server;  // https://127.0.0.1:<port>
    std::string ca_pem;
    std::string cert_pem;
    std::string key_pem;
    bool insecure_skip_tls_verify = false;  // no CA: the server's certificate is not checked
};

std::string base64_encode(std::string_view data);

// The server URL with its host replaced, as kwokctl's get kubeconfig --host: "H:P" (or
// "[v6]:P") replaces host and port, a bare host keeps the port; a whole URL ("https://h:p",
// ghostctl's own) replaces everything.
std::string server_with_host(std::string_view server, std::string_view host);

// A complete kubeconfig with one context (embedded CA and client cert/key data).
std::string render_kubeconfig(const kubeconfig_entry& e);

// KUBECONFIG's first path when set, else ~/.kube/config.
std::filesystem::path user_kubeconfig_path();

// Replaces (or adds) the cluster/user/context named e.name in `file` (created when missing) and
// makes it the current context. Other entries are kept as they are.
void merge_kubeconfig(const std::filesystem::path& file, const kubeconfig_entry& e);

// Removes the cluster/user/context named `name`; clears current-context when it pointed there.
// A missing file is not an error.
void unmerge_kubeconfig(const std::filesystem::path& file, const std::string& name);

}  // namespace ghost::ghostctl
