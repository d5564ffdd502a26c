// ghostlet: start-up (flags, config, stages, kubeconfig) and the run loop. Every start-up error
// is one line naming what was wrong and exits 2; after start-up nothing one object does stops
// the process.
#include "engine/log.hpp"
#include "kube/kubeconfig.hpp"
#include "stages/default_stages.hpp"
#include "sim/simulation.hpp"
#include "apps/ghostlet/app.hpp"
#include "apps/ghostlet/options.hpp"

#include <cstdlib>
#include <algorithm>
#include <filesystem>
#include <iostream>

namespace {

using namespace ghost;

void set_log_level(int kwok_verbosity) {
    using engine::log::level;
    // kwok's -v: -4 debug, 0 info, 4 warn, 8 error (slog levels).
    if (kwok_verbosity <= -8) engine::log::set_level(level::trace);
    else if (kwok_verbosity <= -4) engine::log::set_level(level::debug);
    else if (kwok_verbosity < 4) engine::log::set_level(level::info);
    else if (kwok_verbosity < 8) engine::log::set_level(level::warn);
    else engine::log::set_level(level::error);
}

std::vector<stages::stage> load_stages(const ghostlet::options& o) {
    std::vector<stages::stage> out;
    for (const auto& doc : o.stage_documents) {
        auto where = doc.file + " (document " + std::to_string(doc.index + 1) + ")";
        out.push_back(stages::parse_stage(doc.node, where));
        for (const auto& w : out.back().warnings) GHOST_LOG_WARN(w);
    }
    // A kind (Node, Pod) that --config gives no stage for plays the built-in set, so a file with
    // only volume or custom-resource stages still runs nodes and pods (kwok would leave them).
    for (const char* kind : {"Node", "Pod"}) {
        bool given = std::any_of(out.begin(), out.end(), [&](const stages::stage& s) {
            return s.api_group == "v1" && s.kind == kind;
        });
        if (given) continue;
        GHOST_LOG_INFO("no ", kind, " stages in --config: playing the built-in ", kind, " stages");
        for (auto& s : stages::default_stages(o.node_lease_duration_seconds > 0))
            if (s.kind == kind) out.push_back(std::move(s));
    }
    return out;
}

kube::cluster_access load_access(const ghostlet::options& o) {
    std::filesystem::path path = o.kubeconfig;
    if (path.empty()) {
        if (const char* home = std::getenv("HOME")) {
            auto fallback = std::filesystem::path(home) / ".kube" / "config";
            if (std::filesystem::exists(fallback)) path = fallback;
        }
    }
    if (path.empty()) GHOST_LOG_INFO("no kubeconfig: using the in-cluster configuration");
    kube::cluster_access access =
        path.empty() ? kube::in_cluster_access() : kube::load_kubeconfig(path);
    if (!o.master.empty()) {
        auto server = kube::parse_server_url(o.master);
        access.ep = server.ep;
        access.server = server.server;
        access.base_path = server.base_path;
    }
    return access;
}

}  // namespace

int main(int argc, char** argv) {
    ghostlet::options opts;
    std::vector<stages::stage> stage_list;
    kube::cluster_access access;
    try {
        opts = ghostlet::parse_options(argc, argv);
        if (opts.print_help) {
            std::cout << ghostlet::usage();
            return 0;
        }
        if (opts.print_version) {
            std::cout << "ghostlet " << ghostlet::version << '\n';
            return 0;
        }
        set_log_level(opts.verbosity);
        for (const auto& w : opts.warnings) GHOST_LOG_WARN(w);
        stage_list = load_stages(opts);
        access = load_access(opts);
    } catch (const ghostlet::options_error& e) {
        std::cerr << "ghostlet: " << e.what() << '\n';
        return 2;
    } catch (const stages::stage_error& e) {
        std::cerr << "ghostlet: " << e.what() << '\n';
        return 2;
    } catch (const kube::config_error& e) {
        std::cerr << "ghostlet: " << e.what() << '\n';
        return 2;
    } catch (const std::exception& e) {
        // Anything else at start-up (a filesystem or YAML library error) is still bad input.
        std::cerr << "ghostlet: " << e.what() << '\n';
        return 2;
    }
    try {
        return ghostlet::run(opts, std::move(stage_list), access);
    } catch (const std::exception& e) {
        std::cerr << "ghostlet: " << e.what() << '\n';
        return 2;
    }
}
