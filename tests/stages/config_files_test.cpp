// --config paths: files, directories (sorted *.yaml/*.yml), kustomization.yaml resources
// (recursively), stdin; every bad path is one stage_error naming it.
#include "stages/config_files.hpp"
#include "stages/stage.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <stdlib.h>

namespace fs = std::filesystem;
using ghost::stages::load_config_file;
using ghost::stages::read_config_path;
using ghost::stages::stage_error;

namespace {

std::string stage_doc(const std::string& name) {
    return "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata:\n  name: " + name +
           "\nspec:\n  resourceRef: {apiGroup: v1, kind: Pod}\n  selector: {}\n";
}

struct config_dir : ::testing::Test {
    fs::path root;
    void SetUp() override {
        root = fs::temp_directory_path() /
               ("ghost-config-files-" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        fs::remove_all(root);
        fs::create_directories(root);
    }
    void TearDown() override { fs::remove_all(root); }
    fs::path write(const fs::path& rel, const std::string& text) {
        auto p = root / rel;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p;
    }
    std::string error_of(const fs::path& p) {
        try {
            read_config_path(p.string());
        } catch (const stage_error& e) {
            return e.what();
        }
        return "";
    }
};

std::vector<std::string> names_of(const std::vector<ghost::stages::config_source>& v) {
    std::vector<std::string> out;
    for (const auto& s : v) out.push_back(fs::path(s.name).filename().string());
    return out;
}

}  // namespace

TEST_F(config_dir, a_file_is_read_as_is) {
    auto f = write("one.yaml", stage_doc("one"));
    auto got = read_config_path(f.string());
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].name, f.string());
    EXPECT_EQ(got[0].text, stage_doc("one"));
}

TEST_F(config_dir, a_directory_contributes_its_yaml_files_sorted) {
    write("b.yaml", stage_doc("b"));
    write("a.yml", stage_doc("a"));
    write("c.yaml", stage_doc("c"));
    write("README.md", "not config");
    write("sub/ignored.yaml", stage_doc("sub"));  // not recursive without a kustomization
    EXPECT_EQ(names_of(read_config_path(root.string())),
              (std::vector<std::string>{"a.yml", "b.yaml", "c.yaml"}));
    auto docs = load_config_file(root.string());
    ASSERT_EQ(docs.stages.size(), 3u);
    EXPECT_EQ(docs.stages[0].name, "a");
    EXPECT_EQ(docs.stages[2].name, "c");
}

TEST_F(config_dir, kustomization_resources_are_followed_in_order_recursively) {
    write("kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\n"
                                "kind: Kustomization\nresources:\n- z.yaml\n- node\n- a.yaml\n");
    write("z.yaml", stage_doc("z"));
    write("a.yaml", stage_doc("a"));
    write("unlisted.yaml", stage_doc("unlisted"));
    write("node/kustomization.yaml", "resources:\n- fast/init.yaml\n");
    write("node/fast/init.yaml", stage_doc("init"));
    EXPECT_EQ(names_of(read_config_path(root.string())),
              (std::vector<std::string>{"z.yaml", "init.yaml", "a.yaml"}));
}

TEST_F(config_dir, kwoks_own_stage_tree_loads) {
    // kwok's kustomize/stage/pod/fast layout: a kustomization listing its stage files.
    write("pod/fast/kustomization.yaml",
          "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
          "- pod-ready.yaml\n- pod-delete.yaml\n");
    write("pod/fast/pod-ready.yaml", stage_doc("pod-ready"));
    write("pod/fast/pod-delete.yaml", stage_doc("pod-delete"));
    auto docs = load_config_file((root / "pod" / "fast").string());
    ASSERT_EQ(docs.stages.size(), 2u);
    EXPECT_EQ(docs.stages[0].name, "pod-ready");
}

TEST_F(config_dir, bad_paths_name_what_is_wrong) {
    EXPECT_NE(error_of(root / "missing.yaml").find((root / "missing.yaml").string() +
                                                   ": cannot open config path"),
              std::string::npos);
    fs::create_directories(root / "empty");
    EXPECT_NE(error_of(root / "empty").find("no *.yaml or *.yml files"), std::string::npos);

    write("remote/kustomization.yaml",
          "resources:\n- https://github.com/kubernetes-sigs/kwok/kustomize/stage/pod/fast\n");
    auto err = error_of(root / "remote");
    EXPECT_NE(err.find("resources[0]"), std::string::npos) << err;
    EXPECT_NE(err.find("remote resource \"https://github.com/"), std::string::npos) << err;

    write("gone/kustomization.yaml", "resources:\n- nothere.yaml\n");
    err = error_of(root / "gone");
    EXPECT_NE(err.find("nothere.yaml"), std::string::npos) << err;

    write("patched/kustomization.yaml", "resources: [a.yaml]\nnamePrefix: x-\n");
    write("patched/a.yaml", stage_doc("a"));
    err = error_of(root / "patched");
    EXPECT_NE(err.find("namePrefix: not supported"), std::string::npos) << err;

    write("loop/kustomization.yaml", "resources: [.]\n");
    err = error_of(root / "loop");
    EXPECT_NE(err.find("cycle"), std::string::npos) << err;
}

TEST(config_files, dash_reads_the_given_stream) {
    std::istringstream in(stage_doc("stdin"));
    auto got = read_config_path("-", in);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].name, "<stdin>");
    EXPECT_EQ(got[0].text, stage_doc("stdin"));
}

TEST(config_files, home_is_expanded) {
    const char* old = std::getenv("HOME");
    std::string saved = old ? old : "";
    ::setenv("HOME", "/home/someone", 1);
    EXPECT_EQ(ghost::stages::expand_home("~/.kwok/kwok.yaml"), "/home/someone/.kwok/kwok.yaml");
    EXPECT_EQ(ghost::stages::expand_home("~x/y"), "~x/y");
    EXPECT_EQ(ghost::stages::expand_home("/abs"), "/abs");
    if (old) ::setenv("HOME", saved.c_str(), 1); else ::unsetenv("HOME");
}
