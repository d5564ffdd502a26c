#pragma once
// The stage documents ghostlet plays when --config names none: our own equivalents of kwok's
// default set (node-initialize, node-heartbeat[-with-lease], pod-ready, pod-complete,
// pod-delete). The YAML lives in stages/defaults/ and is compiled into the binary.

#include "stages/stage.hpp"

#include <string_view>
#include <utility>
#include <vector>

namespace ghost::stages {

/// (file name, YAML text) of every shipped default document.
const std::vector<std::pair<std::string_view, std::string_view>>& default_stage_documents();

/// The default set, parsed: node-heartbeat-with-lease instead of node-heartbeat when node
/// leases are on, as kwokctl installs them.
std::vector<stage> default_stages(bool node_leases);

}  // namespace ghost::stages
