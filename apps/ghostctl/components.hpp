#pragma once
// The data-driven component list of a cluster (binary runtime): which programs run, with which
// flags and ports. Pure functions over a layout, so flag choices are unit-testable.

#include "apps/ghostctl/options.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ghost::ghostctl {

// How ghostctl waits for a component after starting it.
enum class readiness { none, tcp_listen, apiserver_ready };

struct component {
    std::string name;
    std::string binary;              // absolute path
    std::vector<std::string> args;   // without argv[0]
    std::vector<std::uint16_t> ports;
    readiness ready = readiness::none;
    std::vector<std::pair<std::string, std::string>> env;  // componentsPatches extraEnvs
};

// Paths of one cluster's work directory.
struct cluster_layout {
    std::filesystem::path dir;
    std::filesystem::path pki() const { return dir / "pki"; }
    std::filesystem::path etcd_data() const { return dir / "etcd"; }
    std::filesystem::path logs() const { return dir / "logs"; }
    std::filesystem::path pids() const { return dir / "pids"; }
    std::filesystem::path kubeconfig() const { return dir / "kubeconfig.yaml"; }
    std::filesystem::path state_file() const { return dir / "cluster.json"; }
    std::filesystem::path ghostlet_config() const { return dir / "ghostlet.yaml"; }
    std::filesystem::path audit_policy() const { return dir / "audit.yaml"; }
    std::filesystem::path scheduler_config() const { return dir / "scheduler.yaml"; }
    std::filesystem::path log_of(const std::string& c) const { return logs() / (c + ".log"); }
    std::filesystem::path pid_of(const std::string& c) const { return pids() / (c + ".pid"); }
};

// Port names: etcd-peer, etcd-client, kube-apiserver, kube-controller-manager, kube-scheduler,
// ghostlet, metrics-server.
using port_map = std::map<std::string, std::uint16_t>;

// Ports needed for the enabled components, in the order they are taken from the scan.
std::vector<std::string> port_names(const create_options& o);

struct component_inputs {
    cluster_layout layout;
    std::filesystem::path bin_dir;
    std::optional<std::filesystem::path> ghostlet_binary;  // nullopt: ghostlet not available
    port_map ports;
    create_options options;
    std::vector<std::string>* warnings = nullptr;  // componentsPatches that matched nothing
};

// Components in start order (etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
// ghostlet, metrics-server when enabled), minus disabled ones, with --extra-args applied.
std::vector<component> build_components(const component_inputs& in);

// Replaces "--key=..." (or bare "--key") in args, else appends it.
void apply_extra_arg(std::vector<std::string>& args, const extra_arg& x);

// True when the options run metrics-server (--enable metrics-server, not --disable'd).
bool runs_metrics_server(const create_options& o);

// Control-plane binaries ghostctl needs for these options (names, not paths).
std::vector<std::string> required_binaries(const create_options& o);

}  // namespace ghost::ghostctl
