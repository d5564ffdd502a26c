// load_all_yaml: yaml-cpp's LoadAll, ending with an error where yaml-cpp 0.7 would never end.
#include "lang/yaml_documents.hpp"

#include <yaml-cpp/yaml.h>

#include <gtest/gtest.h>

using ghost::lang::load_all_yaml;

namespace {

std::string error_of(std::string_view text) {
    try {
        load_all_yaml(text);
    } catch (const YAML::Exception& e) {
        return e.what();
    }
    return "<no error>";
}

}  // namespace

TEST(yaml_documents, loads_every_document_like_load_all) {
    auto docs = load_all_yaml("a: 1\n---\n- x\n---\n--- b\n");
    ASSERT_EQ(docs.size(), 4u);
    EXPECT_EQ(docs[0]["a"].as<int>(), 1);
    EXPECT_EQ(docs[1][0].as<std::string>(), "x");
    EXPECT_TRUE(docs[2].IsNull());
    EXPECT_EQ(docs[3].as<std::string>(), "b");
    EXPECT_TRUE(load_all_yaml("").empty());
}

// fuzz/stage_fuzz: a stray ',' at the top of a document (here after a mangled template line)
// made yaml-cpp 0.7 yield empty documents without end, >2 GB within a second.
TEST(yaml_documents, a_comma_outside_a_flow_collection_is_an_error_not_an_endless_load) {
    EXPECT_EQ(error_of(","), "yaml-cpp: error at line 1, column 1: ',' outside a flow collection "
                             "([...] or {...}): no YAML node can start here");
    EXPECT_NE(error_of("# c\n  ,{}").find("line 2, column 3: ','"), std::string::npos);
    EXPECT_NE(error_of("\"a\" ,").find("','"), std::string::npos);
    EXPECT_NE(error_of("a: 1\n---\n, {{ $t | Quote }}\n").find("line 3, column 1"),
              std::string::npos);
    EXPECT_NE(error_of("{a: 1},").find("','"), std::string::npos);
}

TEST(yaml_documents, other_errors_are_yaml_cpp_s) {
    EXPECT_NE(error_of("a: {{ b\n").find("end of map flow not found"), std::string::npos);
}
