#pragma once
// Command line of ghostctl: kwokctl-style "<verb> <noun> [flags]" with a global --name.
// Parsing is pure so bad input can be tested without touching a cluster.

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace ghost::ghostctl {

// Bad command line; the message says what was wrong and what is accepted.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct extra_arg {
    std::string component;
    std::string key;
    std::string value;  // empty with has_value=false means a bare boolean "--key"
    bool has_value = true;
};

struct create_options {
    bool disable_qps_limits = false;
    std::vector<extra_arg> extra_args;
    std::set<std::string> disabled;
    std::optional<std::uint16_t> kube_apiserver_port;
    std::chrono::milliseconds wait{std::chrono::seconds(120)};
    int heartbeat_factor = 5;
    int node_lease_duration_seconds = 40;
    std::vector<std::string> enable_crds;  ///< kwok kinds: CRDs installed, ghostlet watches them
    std::set<std::string> enabled;          ///< optional components (--enable): metrics-server
};

// Optional components `create cluster --enable` accepts (kwokctl's names).
const std::vector<std::string>& optional_components();

enum class command_kind {
    help,
    create_cluster,
    delete_cluster,
    start_cluster,
    stop_cluster,
    get_clusters,
    get_kubeconfig,
    get_components,
    logs,
    kubectl,
    scale,
    snapshot_save,
    snapshot_restore,
    etcdctl,
};

struct scale_options {
    std::string resource;              // node | pod
    std::string object_name;           // name prefix; default = resource
    int replicas = -1;
    int serial_length = 6;
    std::string ns = "default";
    std::vector<std::string> params;   // jq assignments
};

// snapshot save|restore (kwokctl's flags and defaults).
struct snapshot_options {
    std::string path;                  // required
    std::string format = "etcd";       // etcd | k8s
    std::vector<std::string> filters;  // k8s only; empty = default_snapshot_filters()
};

struct command {
    command_kind kind = command_kind::help;
    std::string name = "ghost";
    bool all = false;               // delete --all
    bool follow = false;            // logs -f
    std::string component;          // logs <component>
    std::vector<std::string> rest;  // kubectl / etcdctl arguments
    create_options create;
    scale_options scale;
    snapshot_options snapshot;
    std::string help_text;          // set when kind == help
};

// Components known to ghostctl; etcd and kube-apiserver cannot be disabled.
const std::vector<std::string>& known_components();

// Parses argv[1..]. Throws usage_error.
command parse_command_line(const std::vector<std::string>& args);

// Go-style duration: "90s", "2m", "1m30s", "500ms", "1h"; a bare number means seconds.
std::chrono::milliseconds parse_duration(const std::string& text);

// "component=key=value" or "component=key" (bare boolean). Throws usage_error.
extra_arg parse_extra_arg(const std::string& text);

}  // namespace ghost::ghostctl
