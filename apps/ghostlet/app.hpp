#pragma once
// ghostlet's run loop: one io_context thread drives the list/watch streams, the timer wheel and
// the batching writer around a sim::simulation.

#include "kube/kubeconfig.hpp"
#include "stages/stage.hpp"
#include "apps/ghostlet/options.hpp"

#include <string_view>
#include <vector>

namespace ghost::ghostlet {

inline constexpr std::string_view version = "0.1.0";

/// Runs until SIGINT/SIGTERM; returns the process exit code. Throws only on start-up errors
/// (unusable TLS material, bad selectors).
int run(const options& opts, std::vector<stages::stage> stages,
        const kube::cluster_access& access);

}  // namespace ghost::ghostlet
