// ghostctl's generated CRDs serve what kwok's do: read kwok's own manifests in place
// (../shared/kwok-crds) and compare group, version, names, scope and the status subresource.
#include "apps/ghostctl/crds.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>

namespace fs = std::filesystem;
using namespace ghost;

TEST(crds, every_kwok_crd_matches_ours) {
    fs::path dir = fs::path(GHOST_SHARED_DIR) / "kwok-crds";
    ASSERT_TRUE(fs::exists(dir)) << dir;
    std::size_t compared = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() != ".yaml") continue;
        YAML::Node theirs = YAML::LoadFile(e.path().string());
        auto kind = theirs["spec"]["names"]["kind"].as<std::string>();
        const auto* k = stages::find_kwok_kind(kind);
        ASSERT_NE(k, nullptr) << kind << " (" << e.path() << ") is not in stages/kwok_kinds";
        auto ours = ghostctl::crd_manifest(*k);
        const auto& spec = ours.at("spec");
        EXPECT_EQ(ours.at("metadata").at("name").as_string(),
                  theirs["metadata"]["name"].as<std::string>());
        EXPECT_EQ(spec.at("group").as_string(), theirs["spec"]["group"].as<std::string>());
        EXPECT_EQ(spec.at("scope").as_string(), theirs["spec"]["scope"].as<std::string>()) << kind;
        for (const char* n : {"kind", "listKind", "plural", "singular"}) {
            EXPECT_EQ(spec.at("names").at(n).as_string(),
                      theirs["spec"]["names"][n].as<std::string>())
                << kind << " " << n;
        }
        auto version = theirs["spec"]["versions"][0];
        EXPECT_EQ(spec.at("versions").at(0).at("name").as_string(),
                  version["name"].as<std::string>());
        EXPECT_EQ(spec.at("versions").at(0).as_object().contains("subresources"),
                  bool(version["subresources"]["status"]))
            << kind;
        ++compared;
    }
    EXPECT_EQ(compared, stages::kwok_kinds().size());
}
