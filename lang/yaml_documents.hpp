#pragma once
// Every document of a YAML stream as yaml-cpp nodes, guarded against yaml-cpp 0.7 never ending.

#include <yaml-cpp/node/node.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::lang {

// YAML::LoadAll, except that a ',' outside a flow collection at the top of a document (yaml-cpp
// 0.7 then yields empty documents at that place without end, until memory runs out; found by
// fuzz/stage_fuzz) throws YAML::ParserException at its line and column. Other errors throw as
// YAML::LoadAll does.
std::vector<YAML::Node> load_all_yaml(std::string_view text);

// The text of a mapping key; nullopt for a list or mapping used as a key (`? [a]: b`), which
// YAML allows and JSON (so Kubernetes) does not. YAML::Node::as<std::string> would throw there.
std::optional<std::string> map_key(const YAML::Node& key);

}  // namespace ghost::lang
