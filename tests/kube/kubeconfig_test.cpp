#include "kube/kubeconfig.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

namespace fs = std::filesystem;
using ghost::kube::config_error;
using ghost::kube::load_kubeconfig;
using ghost::kube::parse_kubeconfig;

namespace {

class temp_dir {
public:
    temp_dir() {
        std::random_device rd;
        path_ = fs::temp_directory_path() / ("ghost-kube-test-" + std::to_string(rd()));
        fs::create_directories(path_);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }
    fs::path write(const std::string& name, const std::string& text) const {
        fs::path p = path_ / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }

private:
    fs::path path_;
};

// base64("CA PEM") etc.
constexpr const char* ca_b64 = "Q0EgUEVN";        // "CA PEM"
constexpr const char* cert_b64 = "Q0VSVCBQRU0=";  // "CERT PEM"
constexpr const char* key_b64 = "S0VZIFBFTQ==";   // "KEY PEM"

std::string config(const std::string& cluster_extra, const std::string& user_extra,
                   const std::string& server = "https://10.1.2.3:6443") {
    return "apiVersion: v1\n"
           "kind: Config\n"
           "current-context: main\n"
           "contexts:\n"
           "- name: other\n"
           "  context: {cluster: c2, user: u2}\n"
           "- name: main\n"
           "  context: {cluster: c1, user: u1}\n"
           "clusters:\n"
           "- name: c2\n"
           "  cluster: {server: 'http://other:8080'}\n"
           "- name: c1\n"
           "  cluster:\n"
           "    server: '" + server + "'\n" + cluster_extra +
           "users:\n"
           "- name: u2\n"
           "  user: {token: t2}\n"
           "- name: u1\n"
           "  user:\n" + user_extra;
}

std::string error_of(const std::string& text, const fs::path& origin, std::string_view ctx = {}) {
    try {
        parse_kubeconfig(text, origin, ctx);
    } catch (const config_error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(base64, decodes_padded_and_rejects_garbage) {
    EXPECT_EQ(ghost::kube::base64_decode("aGVsbG8="), "hello");
    EXPECT_EQ(ghost::kube::base64_decode("aGVs\nbG8h"), "hello!");
    EXPECT_EQ(ghost::kube::base64_decode("aGk="), "hi");
    EXPECT_EQ(ghost::kube::base64_decode("aA=="), "h");
    EXPECT_EQ(ghost::kube::base64_decode(""), "");
    EXPECT_FALSE(ghost::kube::base64_decode("aGVsbG8"));     // bad length
    EXPECT_FALSE(ghost::kube::base64_decode("aG!sbG8="));    // bad char
    EXPECT_FALSE(ghost::kube::base64_decode("a=Vs"));        // '=' in the middle
}

TEST(kubeconfig, data_variants_and_current_context) {
    auto a = parse_kubeconfig(
        config(std::string("    certificate-authority-data: ") + ca_b64 + "\n" +
                   "    tls-server-name: api.example\n",
               std::string("    client-certificate-data: ") + cert_b64 + "\n" +
                   "    client-key-data: " + key_b64 + "\n"),
        "/x/config");
    EXPECT_EQ(a.ep.host, "10.1.2.3");
    EXPECT_EQ(a.ep.port, "6443");
    EXPECT_TRUE(a.ep.tls);
    EXPECT_EQ(a.server, "https://10.1.2.3:6443");
    EXPECT_EQ(a.tls.ca_pem, "CA PEM");
    EXPECT_EQ(a.tls.cert_pem, "CERT PEM");
    EXPECT_EQ(a.tls.key_pem, "KEY PEM");
    EXPECT_EQ(a.tls.server_name, "api.example");
    EXPECT_FALSE(a.tls.insecure_skip_verify);
    EXPECT_EQ(a.bearer_token, "");
}

TEST(kubeconfig, file_variants_relative_to_the_config_dir) {
    temp_dir d;
    d.write("pki/ca.crt", "CA FILE");
    d.write("pki/client.crt", "CERT FILE");
    fs::path key = d.write("abs/client.key", "KEY FILE");
    d.write("token.txt", "tok-from-file\n");
    fs::path cfg = d.write(
        "kube/config",
        config("    certificate-authority: ../pki/ca.crt\n",
               "    client-certificate: ../pki/client.crt\n"
               "    client-key: " + key.string() + "\n"
               "    tokenFile: ../token.txt\n"));
    auto a = load_kubeconfig(cfg);
    EXPECT_EQ(a.tls.ca_pem, "CA FILE");
    EXPECT_EQ(a.tls.cert_pem, "CERT FILE");
    EXPECT_EQ(a.tls.key_pem, "KEY FILE");
    EXPECT_EQ(a.bearer_token, "tok-from-file");
}

TEST(kubeconfig, explicit_context_http_and_token) {
    auto a = parse_kubeconfig(config("", "    token: t1\n"), "/x/config", "other");
    EXPECT_EQ(a.ep.host, "other");
    EXPECT_EQ(a.ep.port, "8080");
    EXPECT_FALSE(a.ep.tls);
    EXPECT_EQ(a.bearer_token, "t2");
}

TEST(kubeconfig, ipv6_default_port_insecure_and_base_path) {
    auto a = parse_kubeconfig(config("    insecure-skip-tls-verify: true\n", "    token: t1\n",
                                     "https://[fd00::1]/prefix/"),
                              "/x/config");
    EXPECT_EQ(a.ep.host, "fd00::1");
    EXPECT_EQ(a.ep.port, "443");
    EXPECT_EQ(a.base_path, "/prefix");
    EXPECT_TRUE(a.tls.insecure_skip_verify);
    EXPECT_EQ(a.bearer_token, "t1");
}

TEST(kubeconfig, data_wins_over_file) {
    auto a = parse_kubeconfig(config(std::string("    certificate-authority: /nonexistent\n") +
                                         "    certificate-authority-data: " + ca_b64 + "\n",
                                     "    token: t\n"),
                              "/x/config");
    EXPECT_EQ(a.tls.ca_pem, "CA PEM");
}

TEST(kubeconfig_errors, missing_file) {
    try {
        load_kubeconfig("/nonexistent/dir/config");
        FAIL() << "no throw";
    } catch (const config_error& e) {
        EXPECT_STREQ(e.what(), "/nonexistent/dir/config: file not found");
    }
}

TEST(kubeconfig_errors, unknown_context_lists_known_ones) {
    EXPECT_EQ(error_of(config("", "    token: t\n"), "/k/c", "x"),
              "/k/c: --context: context 'x' not found; contexts: other, main");
}

TEST(kubeconfig_errors, no_current_context) {
    EXPECT_EQ(error_of("contexts: []\n", "/k/c"),
              "/k/c: current-context: not set and no context given");
}

TEST(kubeconfig_errors, bad_base64_names_the_field) {
    EXPECT_EQ(error_of(config("", "    client-certificate-data: Q0VSVCBQRU0=\n"
                                  "    client-key-data: '%%%'\n"),
                       "/k/c"),
              "/k/c: users[1].user.client-key-data: not valid base64");
    EXPECT_EQ(error_of(config("    certificate-authority-data: abc\n", ""), "/k/c"),
              "/k/c: clusters[1].cluster.certificate-authority-data: not valid base64");
}

TEST(kubeconfig_errors, referenced_file_missing) {
    std::string msg = error_of(config("    certificate-authority: ca.crt\n", ""), "/k/c");
    EXPECT_EQ(msg, "/k/c: clusters[1].cluster.certificate-authority: file '/k/ca.crt' not found");
    msg = error_of(config("", "    tokenFile: /no/token\n"), "/k/c");
    EXPECT_EQ(msg, "/k/c: users[1].user.tokenFile: file '/no/token' not found");
}

TEST(kubeconfig_errors, cert_without_key) {
    EXPECT_EQ(error_of(config("", std::string("    client-certificate-data: ") + cert_b64 + "\n"),
                       "/k/c"),
              "/k/c: users[1].user.client-key: missing (client certificate and key go together)");
}

TEST(kubeconfig_errors, cluster_and_user_not_found) {
    std::string text = "current-context: a\n"
                       "contexts: [{name: a, context: {cluster: nope, user: u}}]\n"
                       "clusters: [{name: c, cluster: {server: 'https://h'}}]\n";
    EXPECT_EQ(error_of(text, "/k/c"),
              "/k/c: contexts[0].context.cluster: cluster 'nope' not found; clusters: c");
    text = "current-context: a\n"
           "contexts: [{name: a, context: {cluster: c, user: u}}]\n"
           "clusters: [{name: c, cluster: {server: 'https://h'}}]\n";
    EXPECT_EQ(error_of(text, "/k/c"),
              "/k/c: contexts[0].context.user: user 'u' not found; users: (none)");
}

TEST(kubeconfig_errors, bad_server_url) {
    EXPECT_EQ(error_of(config("", "", "ftp://h:1"), "/k/c"),
              "/k/c: clusters[1].cluster.server: unsupported URL scheme 'ftp' (expected https or "
              "http)");
    std::string text = "current-context: a\n"
                       "contexts: [{name: a, context: {cluster: c}}]\n"
                       "clusters: [{name: c, cluster: {}}]\n";
    EXPECT_EQ(error_of(text, "/k/c"),
              "/k/c: clusters[0].cluster.server: missing (expected an https URL)");
}

TEST(kubeconfig_errors, not_yaml_and_wrong_shapes) {
    EXPECT_NE(error_of("a: [1, 2\n", "/k/c").find("/k/c: not valid YAML"), std::string::npos);
    EXPECT_EQ(error_of("- 1\n", "/k/c"), "/k/c: expected a YAML mapping (kubeconfig)");
    EXPECT_EQ(error_of("current-context: a\ncontexts: {a: 1}\n", "/k/c"),
              "/k/c: contexts: expected a list");
    EXPECT_EQ(error_of(config("    insecure-skip-tls-verify: maybe\n", ""), "/k/c"),
              "/k/c: clusters[1].cluster.insecure-skip-tls-verify: expected true or false");
    EXPECT_EQ(error_of(config("", "    exec: {command: x}\n"), "/k/c"),
              "/k/c: users[1].user.exec: not supported (use client certificates or a token)");
}

TEST(in_cluster, reads_service_account_dir) {
    temp_dir d;
    d.write("token", "sa-token\n");
    d.write("ca.crt", "SA CA");
    auto a = ghost::kube::in_cluster_access("fd00::10", "443", d.path());
    EXPECT_EQ(a.ep.host, "fd00::10");
    EXPECT_EQ(a.ep.port, "443");
    EXPECT_TRUE(a.ep.tls);
    EXPECT_EQ(a.bearer_token, "sa-token");
    EXPECT_EQ(a.tls.ca_pem, "SA CA");
    EXPECT_EQ(a.server, "https://[fd00::10]:443");
}

TEST(in_cluster, errors) {
    temp_dir d;
    EXPECT_THROW(ghost::kube::in_cluster_access("", "443", d.path()), config_error);
    try {
        ghost::kube::in_cluster_access("10.0.0.1", "443", d.path());
        FAIL();
    } catch (const config_error& e) {
        EXPECT_EQ(std::string(e.what()), (d.path() / "token").string() +
                                             ": file not found (service account token)");
    }
}

TEST(in_cluster, service_account_dir_comes_from_the_environment_when_set) {
    temp_dir d;
    d.write("token", "env-token\n");
    d.write("ca.crt", "ENV CA");
    ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    ::setenv("GHOSTLET_SERVICE_ACCOUNT_DIR", d.path().c_str(), 1);
    auto a = ghost::kube::in_cluster_access();
    ::unsetenv("GHOSTLET_SERVICE_ACCOUNT_DIR");
    ::unsetenv("KUBERNETES_SERVICE_HOST");
    ::unsetenv("KUBERNETES_SERVICE_PORT");
    EXPECT_EQ(a.bearer_token, "env-token");
    EXPECT_EQ(a.tls.ca_pem, "ENV CA");
    EXPECT_EQ(a.server, "https://10.96.0.1:443");
}
