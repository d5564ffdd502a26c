#include "apps/ghostctl/kubeconfig_file.hpp"

#include "apps/ghostctl/pki.hpp"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace ghost::ghostctl {
namespace {

YAML::Node entry_node(const char* kind_key, const std::string& name, YAML::Node body) {
    YAML::Node n;
    n["name"] = name;
    n[kind_key] = body;
    return n;
}

YAML::Node cluster_body(const kubeconfig_entry& e) {
    YAML::Node c;
    if (e.insecure_skip_tls_verify) c["insecure-skip-tls-verify"] = true;
    else c["certificate-authority-data"] = base64_encode(e.ca_pem);
    c["server"] = e.server;
    return c;
}

YAML::Node user_body(const kubeconfig_entry& e) {
    YAML::Node u;
    u["client-certificate-data"] = base64_encode(e.cert_pem);
    u["client-key-data"] = base64_encode(e.key_pem);
    return u;
}

YAML::Node context_body(const kubeconfig_entry& e) {
    YAML::Node c;
    c["cluster"] = e.name;
    c["user"] = e.name;
    return c;
}

// Returns `list` without the entries named `name`.
YAML::Node without(const YAML::Node& list, const std::string& name) {
    YAML::Node out(YAML::NodeType::Sequence);
    if (!list || !list.IsSequence()) return out;
    for (const auto& item : list) {
        if (item.IsMap() && item["name"] && item["name"].as<std::string>() == name) continue;
        out.push_back(item);
    }
    return out;
}

YAML::Node load(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return YAML::Node(YAML::NodeType::Map);
    YAML::Node root;
    try {
        root = YAML::LoadFile(file.string());
    } catch (const YAML::Exception& ex) {
        throw std::runtime_error("cannot parse kubeconfig " + file.string() + ": " + ex.what());
    }
    if (root.IsNull()) return YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) {
        throw std::runtime_error("kubeconfig " + file.string() + " is not a YAML mapping");
    }
    return root;
}

void save(const std::filesystem::path& file, const YAML::Node& root) {
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
    YAML::Emitter out;
    out << root;
    write_file(file, std::string(out.c_str()) + "\n", 0600);
}

}  // namespace

std::string server_with_host(std::string_view server, std::string_view host) {
    if (host.empty()) return std::string(server);
    if (host.find("://") != std::string_view::npos) return std::string(host);
    auto start = server.find("://");
    start = start == std::string_view::npos ? 0 : start + 3;
    auto end = server.find('/', start);
    auto authority = server.substr(start, end == std::string_view::npos ? end : end - start);
    // Go's net.SplitHostPort succeeds on "h:p" and "[v6]:p"; anything else is a bare host.
    const bool has_port =
        host.front() == '[' ? host.find("]:") != std::string_view::npos
                            : std::count(host.begin(), host.end(), ':') == 1;
    std::string replaced(host);
    if (!has_port) {
        auto colon = authority.rfind(':');
        bool bracketed_end = !authority.empty() && authority.back() == ']';
        std::string port = colon == std::string_view::npos || bracketed_end
                               ? std::string()
                               : std::string(authority.substr(colon + 1));
        if (replaced.find(':') != std::string::npos && replaced.front() != '[')
            replaced = "[" + replaced + "]";
        if (!port.empty()) replaced += ":" + port;
    }
    std::string out(server.substr(0, start));
    out += replaced;
    if (end != std::string_view::npos) out += server.substr(end);
    return out;
}

std::string base64_encode(std::string_view data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(data.data()),
                            static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string render_kubeconfig(const kubeconfig_entry& e) {
    YAML::Node root;
    root["apiVersion"] = "v1";
    root["kind"] = "Config";
    root["clusters"].push_back(entry_node("cluster", e.name, cluster_body(e)));
    root["users"].push_back(entry_node("user", e.name, user_body(e)));
    root["contexts"].push_back(entry_node("context", e.name, context_body(e)));
    root["current-context"] = e.name;
    root["preferences"] = YAML::Node(YAML::NodeType::Map);
    YAML::Emitter out;
    out << root;
    return std::string(out.c_str()) + "\n";
}

std::filesystem::path user_kubeconfig_path() {
    if (const char* kc = std::getenv("KUBECONFIG"); kc != nullptr && *kc != '\0') {
        std::string s(kc);
        auto colon = s.find(':');
        if (colon != std::string::npos) s.resize(colon);
        if (!s.empty()) return s;
    }
    const char* home = std::getenv("HOME");
    return std::filesystem::path(home != nullptr ? home : "/root") / ".kube" / "config";
}

void merge_kubeconfig(const std::filesystem::path& file, const kubeconfig_entry& e) {
    YAML::Node root = load(file);
    if (!root["apiVersion"]) root["apiVersion"] = "v1";
    if (!root["kind"]) root["kind"] = "Config";
    YAML::Node clusters = without(root["clusters"], e.name);
    clusters.push_back(entry_node("cluster", e.name, cluster_body(e)));
    YAML::Node users = without(root["users"], e.name);
    users.push_back(entry_node("user", e.name, user_body(e)));
    YAML::Node contexts = without(root["contexts"], e.name);
    contexts.push_back(entry_node("context", e.name, context_body(e)));
    root["clusters"] = clusters;
    root["users"] = users;
    root["contexts"] = contexts;
    root["current-context"] = e.name;
    save(file, root);
}

void unmerge_kubeconfig(const std::filesystem::path& file, const std::string& name) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return;
    YAML::Node root = load(file);
    for (const char* key : {"clusters", "users", "contexts"}) {
        if (root[key]) root[key] = without(root[key], name);
    }
    if (root["current-context"] && root["current-context"].as<std::string>() == name) {
        root["current-context"] = "";
    }
    save(file, root);
}

}  // namespace ghost::ghostctl
