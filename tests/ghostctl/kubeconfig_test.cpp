#include "apps/ghostctl/kubeconfig_file.hpp"
#include "apps/ghostctl/pki.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <unistd.h>

#include <cstdlib>

namespace ghost::ghostctl {
namespace {

namespace fs = std::filesystem;

class kubeconfig_test : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("ghostctl-kc-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()
                                                ->current_test_info()
                                                ->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    static kubeconfig_entry entry(const std::string& name, const std::string& server) {
        return {name, server, "CA-PEM", "CERT-PEM", "KEY-PEM"};
    }
    static std::vector<std::string> names(const YAML::Node& root, const char* list) {
        std::vector<std::string> out;
        for (const auto& n : root[list]) out.push_back(n["name"].as<std::string>());
        return out;
    }
    fs::path dir_;
};

TEST(kubeconfig_host, a_bare_host_keeps_the_port_as_kwokctl) {
    EXPECT_EQ(server_with_host("https://127.0.0.1:32764", "10.0.0.1"), "https://10.0.0.1:32764");
    EXPECT_EQ(server_with_host("https://127.0.0.1:32764", "10.0.0.1:6443"),
              "https://10.0.0.1:6443");
    EXPECT_EQ(server_with_host("https://127.0.0.1:32764", "::1"), "https://[::1]:32764");
    EXPECT_EQ(server_with_host("https://127.0.0.1:32764", "[::1]:443"), "https://[::1]:443");
    EXPECT_EQ(server_with_host("https://127.0.0.1:32764/p", "h"), "https://h:32764/p");
    EXPECT_EQ(server_with_host("https://127.0.0.1:32764", "https://x:1"), "https://x:1");
    EXPECT_EQ(server_with_host("https://127.0.0.1:32764", ""), "https://127.0.0.1:32764");
}

TEST_F(kubeconfig_test, render_embeds_base64_data) {
    auto root = YAML::Load(render_kubeconfig(entry("ghost-a", "https://127.0.0.1:1234")));
    EXPECT_EQ(root["current-context"].as<std::string>(), "ghost-a");
    EXPECT_EQ(root["clusters"][0]["cluster"]["server"].as<std::string>(), "https://127.0.0.1:1234");
    EXPECT_EQ(root["clusters"][0]["cluster"]["certificate-authority-data"].as<std::string>(),
              base64_encode("CA-PEM"));
    EXPECT_EQ(root["users"][0]["user"]["client-key-data"].as<std::string>(), "S0VZLVBFTQ==");
    EXPECT_EQ(root["contexts"][0]["context"]["user"].as<std::string>(), "ghost-a");
}

TEST_F(kubeconfig_test, merge_creates_missing_file_and_parent) {
    auto f = dir_ / "sub" / "config";
    merge_kubeconfig(f, entry("ghost-a", "https://127.0.0.1:1"));
    auto root = YAML::LoadFile(f.string());
    EXPECT_EQ(root["current-context"].as<std::string>(), "ghost-a");
    EXPECT_EQ(names(root, "clusters"), std::vector<std::string>{"ghost-a"});
}

TEST_F(kubeconfig_test, merge_keeps_foreign_entries_and_replaces_own) {
    auto f = dir_ / "config";
    write_file(f,
               "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n"
               "    server: https://prod:6443\nusers:\n- name: me\n  user:\n    token: t\n"
               "contexts:\n- name: prod\n  context:\n    cluster: prod\n    user: me\n"
               "current-context: prod\n");
    merge_kubeconfig(f, entry("ghost-a", "https://127.0.0.1:1"));
    merge_kubeconfig(f, entry("ghost-b", "https://127.0.0.1:2"));
    merge_kubeconfig(f, entry("ghost-a", "https://127.0.0.1:3"));  // re-create replaces
    auto root = YAML::LoadFile(f.string());
    EXPECT_EQ(names(root, "clusters"), (std::vector<std::string>{"prod", "ghost-b", "ghost-a"}));
    EXPECT_EQ(names(root, "users"), (std::vector<std::string>{"me", "ghost-b", "ghost-a"}));
    EXPECT_EQ(names(root, "contexts"), (std::vector<std::string>{"prod", "ghost-b", "ghost-a"}));
    EXPECT_EQ(root["clusters"][2]["cluster"]["server"].as<std::string>(), "https://127.0.0.1:3");
    EXPECT_EQ(root["users"][0]["user"]["token"].as<std::string>(), "t");
    EXPECT_EQ(root["current-context"].as<std::string>(), "ghost-a");

    unmerge_kubeconfig(f, "ghost-a");
    root = YAML::LoadFile(f.string());
    EXPECT_EQ(names(root, "clusters"), (std::vector<std::string>{"prod", "ghost-b"}));
    EXPECT_EQ(names(root, "users"), (std::vector<std::string>{"me", "ghost-b"}));
    EXPECT_EQ(names(root, "contexts"), (std::vector<std::string>{"prod", "ghost-b"}));
    EXPECT_EQ(root["current-context"].as<std::string>(), "");

    unmerge_kubeconfig(f, "ghost-b");
    root = YAML::LoadFile(f.string());
    EXPECT_EQ(names(root, "clusters"), (std::vector<std::string>{"prod"}));
}

TEST_F(kubeconfig_test, unmerge_leaves_other_current_context) {
    auto f = dir_ / "config";
    merge_kubeconfig(f, entry("ghost-a", "https://127.0.0.1:1"));
    merge_kubeconfig(f, entry("ghost-b", "https://127.0.0.1:2"));
    unmerge_kubeconfig(f, "ghost-a");
    EXPECT_EQ(YAML::LoadFile(f.string())["current-context"].as<std::string>(), "ghost-b");
    unmerge_kubeconfig(dir_ / "missing", "ghost-a");  // no throw, no file
    EXPECT_FALSE(fs::exists(dir_ / "missing"));
}

TEST_F(kubeconfig_test, user_path_from_env) {
    const char* old = std::getenv("KUBECONFIG");
    std::string saved = old != nullptr ? old : "";
    ::setenv("KUBECONFIG", "/x/first:/y/second", 1);
    EXPECT_EQ(user_kubeconfig_path(), fs::path("/x/first"));
    ::unsetenv("KUBECONFIG");
    EXPECT_EQ(user_kubeconfig_path().filename(), "config");
    if (old != nullptr) ::setenv("KUBECONFIG", saved.c_str(), 1);
}

}  // namespace
}  // namespace ghost::ghostctl
