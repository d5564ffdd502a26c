#include "kube/kubeconfig.hpp"

#include <boost/url/parse.hpp>

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ghost::kube {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const fs::path& file, std::string_view field, std::string_view what) {
    std::string msg = file.string();
    msg += ": ";
    if (!field.empty()) {
        msg += field;
        msg += ": ";
    }
    msg += what;
    throw config_error(msg);
}

std::optional<std::string> read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream os;
    os << in.rdbuf();
    return std::move(os).str();
}

// A kubeconfig being read: remembers the file for error messages and relative paths.
struct reader {
    fs::path file;

    std::string scalar(const YAML::Node& map, std::string_view key, const std::string& field) const {
        YAML::Node n = map[std::string(key)];
        if (!n.IsDefined() || n.IsNull()) return {};
        if (!n.IsScalar()) fail(file, field + "." + std::string(key), "expected a string");
        return n.Scalar();
    }

    bool boolean(const YAML::Node& map, std::string_view key, const std::string& field) const {
        YAML::Node n = map[std::string(key)];
        if (!n.IsDefined() || n.IsNull()) return false;
        bool v = false;
        if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v))
            fail(file, field + "." + std::string(key), "expected true or false");
        return v;
    }

    std::string decoded(const std::string& text, const std::string& field) const {
        auto v = base64_decode(text);
        if (!v) fail(file, field, "not valid base64");
        return std::move(*v);
    }

    std::string file_text(const std::string& name, const std::string& field) const {
        fs::path p(name);
        if (p.is_relative()) p = file.parent_path() / p;
        std::error_code ec;
        if (!fs::exists(p, ec)) fail(file, field, "file '" + p.string() + "' not found");
        auto text = read_file(p);
        if (!text) fail(file, field, "file '" + p.string() + "' not readable");
        return std::move(*text);
    }

    // Data variant wins over the file variant, as client-go does.
    std::string data_or_file(const YAML::Node& map, std::string_view data_key,
                             std::string_view file_key, const std::string& field) const {
        std::string data = scalar(map, data_key, field);
        if (!data.empty()) return decoded(data, field + "." + std::string(data_key));
        std::string name = scalar(map, file_key, field);
        if (!name.empty()) return file_text(name, field + "." + std::string(file_key));
        return {};
    }

    // Finds the entry `name` in the named list (clusters, users, contexts); returns its index.
    std::size_t find(const YAML::Node& root, const std::string& list, const std::string& name,
                     const std::string& referrer) const {
        YAML::Node seq = root[list];
        if (seq.IsDefined() && !seq.IsNull() && !seq.IsSequence())
            fail(file, list, "expected a list");
        std::string known;
        if (seq.IsDefined() && seq.IsSequence()) {
            for (std::size_t i = 0; i < seq.size(); ++i) {
                const YAML::Node& e = seq[i];
                std::string field = list + "[" + std::to_string(i) + "]";
                if (!e.IsMap()) fail(file, field, "expected a mapping");
                std::string n = scalar(e, "name", field);
                if (n == name) return i;
                if (!known.empty()) known += ", ";
                known += n;
            }
        }
        std::string singular = list.substr(0, list.size() - 1);
        fail(file, referrer,
             singular + " '" + name + "' not found; " + list + ": " +
                 (known.empty() ? std::string("(none)") : known));
    }

    YAML::Node body(const YAML::Node& root, const std::string& list, std::size_t i,
                    const std::string& key) const {
        YAML::Node n = root[list][i][key];
        std::string field = list + "[" + std::to_string(i) + "]." + key;
        if (!n.IsDefined() || n.IsNull()) return YAML::Node(YAML::NodeType::Map);
        if (!n.IsMap()) fail(file, field, "expected a mapping");
        return n;
    }
};

}  // namespace

std::optional<std::string> base64_decode(std::string_view text) {
    std::string in;
    in.reserve(text.size());
    for (char c : text)
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') in.push_back(c);
    if (in.size() % 4 != 0) return std::nullopt;
    std::size_t pad = 0;
    while (pad < 2 && pad < in.size() && in[in.size() - 1 - pad] == '=') ++pad;
    // '=' anywhere but the last two places is invalid; EVP_DecodeBlock would not notice.
    if (in.find('=') < in.size() - pad) return std::nullopt;
    std::string out(in.size() / 4 * 3, '\0');
    if (in.empty()) return out;
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()),
                            static_cast<int>(in.size()));
    if (n < 0) return std::nullopt;
    out.resize(static_cast<std::size_t>(n) - pad);
    return out;
}

cluster_access parse_server_url(std::string_view url) {
    auto u = boost::urls::parse_uri(url);
    if (!u) throw config_error("not a valid URL '" + std::string(url) + "'");
    cluster_access a;
    a.server = std::string(url);
    std::string scheme = u->scheme();
    if (scheme == "https") {
        a.ep.tls = true;
    } else if (scheme == "http") {
        a.ep.tls = false;
    } else {
        throw config_error("unsupported URL scheme '" + scheme + "' (expected https or http)");
    }
    if (u->host_type() == boost::urls::host_type::ipv6)
        a.ep.host = u->host_ipv6_address().to_string();
    else
        a.ep.host = u->host();
    if (a.ep.host.empty()) throw config_error("URL '" + std::string(url) + "' has no host");
    a.ep.port = u->has_port() ? std::string(u->port()) : (a.ep.tls ? "443" : "80");
    a.base_path = u->path();
    while (!a.base_path.empty() && a.base_path.back() == '/') a.base_path.pop_back();
    return a;
}

cluster_access parse_kubeconfig(std::string_view yaml_text, const fs::path& origin,
                                std::string_view context) {
    reader r{origin};
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml_text));
    } catch (const YAML::Exception& e) {
        fail(origin, "", "not valid YAML (line " + std::to_string(e.mark.line + 1) + ": " + e.msg +
                             ")");
    }
    if (!root.IsMap()) fail(origin, "", "expected a YAML mapping (kubeconfig)");

    std::string ctx_name(context);
    std::string ctx_field = "--context";
    if (ctx_name.empty()) {
        ctx_name = r.scalar(root, "current-context", "");
        ctx_field = "current-context";
        if (ctx_name.empty()) fail(origin, ctx_field, "not set and no context given");
    }
    std::size_t ci = r.find(root, "contexts", ctx_name, ctx_field);
    YAML::Node ctx = r.body(root, "contexts", ci, "context");
    std::string ctx_path = "contexts[" + std::to_string(ci) + "].context";

    std::string cluster_name = r.scalar(ctx, "cluster", ctx_path);
    if (cluster_name.empty()) fail(origin, ctx_path + ".cluster", "missing");
    std::size_t ki = r.find(root, "clusters", cluster_name, ctx_path + ".cluster");
    YAML::Node cluster = r.body(root, "clusters", ki, "cluster");
    std::string cl_path = "clusters[" + std::to_string(ki) + "].cluster";

    std::string server = r.scalar(cluster, "server", cl_path);
    if (server.empty()) fail(origin, cl_path + ".server", "missing (expected an https URL)");
    cluster_access a;
    try {
        a = parse_server_url(server);
    } catch (const config_error& e) {
        fail(origin, cl_path + ".server", e.what());
    }
    a.tls.ca_pem = r.data_or_file(cluster, "certificate-authority-data", "certificate-authority",
                                  cl_path);
    a.tls.insecure_skip_verify = r.boolean(cluster, "insecure-skip-tls-verify", cl_path);
    a.tls.server_name = r.scalar(cluster, "tls-server-name", cl_path);

    std::string user_name = r.scalar(ctx, "user", ctx_path);
    if (user_name.empty()) return a;  // anonymous
    std::size_t ui = r.find(root, "users", user_name, ctx_path + ".user");
    YAML::Node user = r.body(root, "users", ui, "user");
    std::string us_path = "users[" + std::to_string(ui) + "].user";
    for (const char* unsupported : {"exec", "auth-provider", "username"}) {
        YAML::Node n = user[unsupported];
        if (n.IsDefined() && !n.IsNull())
            fail(origin, us_path + "." + unsupported,
                 "not supported (use client certificates or a token)");
    }
    a.tls.cert_pem =
        r.data_or_file(user, "client-certificate-data", "client-certificate", us_path);
    a.tls.key_pem = r.data_or_file(user, "client-key-data", "client-key", us_path);
    if (a.tls.cert_pem.empty() != a.tls.key_pem.empty()) {
        fail(origin, us_path + (a.tls.cert_pem.empty() ? ".client-certificate" : ".client-key"),
             "missing (client certificate and key go together)");
    }
    a.bearer_token = r.scalar(user, "token", us_path);
    if (a.bearer_token.empty()) {
        std::string token_file = r.scalar(user, "tokenFile", us_path);
        if (!token_file.empty()) a.bearer_token = r.file_text(token_file, us_path + ".tokenFile");
    }
    while (!a.bearer_token.empty() &&
           (a.bearer_token.back() == '\n' || a.bearer_token.back() == '\r' ||
            a.bearer_token.back() == ' '))
        a.bearer_token.pop_back();
    return a;
}

cluster_access load_kubeconfig(const fs::path& path, std::string_view context) {
    std::error_code ec;
    if (!fs::exists(path, ec)) fail(path, "", "file not found");
    auto text = read_file(path);
    if (!text) fail(path, "", "file not readable");
    return parse_kubeconfig(*text, path, context);
}

cluster_access in_cluster_access(std::string_view host, std::string_view port,
                                 const fs::path& sa_dir) {
    if (host.empty() || port.empty())
        throw config_error("in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
                           "must be set (not running in a pod?)");
    std::string h(host);
    if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6 literal
    cluster_access a = parse_server_url("https://" + h + ":" + std::string(port));
    auto token = read_file(sa_dir / "token");
    if (!token) fail(sa_dir / "token", "", "file not found (service account token)");
    a.bearer_token = std::move(*token);
    while (!a.bearer_token.empty() &&
           (a.bearer_token.back() == '\n' || a.bearer_token.back() == '\r'))
        a.bearer_token.pop_back();
    auto ca = read_file(sa_dir / "ca.crt");
    if (!ca) fail(sa_dir / "ca.crt", "", "file not found (service account CA)");
    a.tls.ca_pem = std::move(*ca);
    return a;
}

cluster_access in_cluster_access() {
    const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
    const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
    // The mount point a pod gets; GHOSTLET_SERVICE_ACCOUNT_DIR points elsewhere (tests run the
    // in-cluster path outside a pod with a token from `kubectl create token`).
    const char* dir = std::getenv("GHOSTLET_SERVICE_ACCOUNT_DIR");
    return in_cluster_access(host ? host : "", port ? port : "",
                             dir && *dir ? dir : "/var/run/secrets/kubernetes.io/serviceaccount");
}

}  // namespace ghost::kube
