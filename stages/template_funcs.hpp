#pragma once
// kwok's default template functions (Quote, YAML, Version, NodeConditions, Now, StartTime).

#include "lang/gotpl.hpp"

#include <boost/json/value.hpp>

#include <functional>
#include <string>

namespace ghost::stages {

// kwok's default functions: Quote, YAML, Version (returns `version`), NodeConditions, and Now /
// StartTime when the callbacks are given (they return RFC3339Nano text).
lang::func_map kwok_default_funcs(std::string version, std::function<std::string()> now = {},
                            std::function<std::string()> start_time = {});

// Whether `name` is a template function kwok defines for stages: the defaults above and what
// the node and pod controllers add (NodeIP, NodeName, NodePort, NodeIPWith, NodeIPsWith, PodIP,
// PodIPWith, PodIPsWith; the simulation provides those). Sprig and the builtins are not listed.
bool is_kwok_template_function(std::string_view name);

// The five conditions a healthy kubelet reports (type, status, reason, message).
const boost::json::value& default_node_conditions();

// kwok's Quote: JSON-encode; a JSON string is used as is, anything else is wrapped in quotes.
std::string kwok_quote(const boost::json::value& v);

}  // namespace ghost::stages
