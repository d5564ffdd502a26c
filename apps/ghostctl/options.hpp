#pragma once
// Command line of ghostctl: kwokctl-style "<verb> <noun> [flags]" with a global --name.
// Parsing is pure so bad input can be tested without touching a cluster.

#include "apps/ghostctl/pki.hpp"

#include <chrono>
#include <map>
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

// One KwokctlConfiguration componentsPatches entry (kwokctl's binary runtime: extraArgs are
// appended as --key=value, or replace the last --key= when override is set; extraEnvs are set
// on the process; extraVolumes need a container and only warn).
struct component_patch {
    struct arg {
        std::string key;
        std::string value;
        bool override = false;
    };
    std::string component;
    std::vector<arg> args;
    std::vector<std::pair<std::string, std::string>> envs;
};

struct create_options {
    bool disable_qps_limits = false;
    std::vector<extra_arg> extra_args;
    std::vector<component_patch> patches;  ///< from -c KwokctlConfiguration componentsPatches
    std::set<std::string> disabled;
    /// --components: the set to run instead of the default one (--enable adds to it,
    /// --disable removes from it, as kwokctl); empty: the default set.
    std::set<std::string> components;
    std::optional<std::uint16_t> kube_apiserver_port;
    /// Fixed host ports by port name (etcd-client, etcd-peer, kube-controller-manager,
    /// kube-scheduler, ghostlet, metrics-server): --etcd-port, --controller-port, ...
    std::map<std::string, std::uint16_t> fixed_ports;
    std::chrono::milliseconds wait{std::chrono::seconds(120)};
    std::chrono::milliseconds timeout{0};  ///< --timeout: whole create; 0 = none
    /// kwokctl's heartbeat factor multiplies the four periods below once, at create (then
    /// the recorded factor is 1, as kwokctl saves it).
    double heartbeat_factor = 5;
    int node_lease_duration_seconds = 40;  ///< 0: node leases off
    std::int64_t node_status_update_frequency_ms = 10000;
    std::int64_t node_monitor_period_ms = 5000;
    std::int64_t node_monitor_grace_period_ms = 40000;
    std::vector<std::string> enable_crds;  ///< kwok kinds: CRDs installed, ghostlet watches them
    std::set<std::string> enabled;          ///< optional components (--enable): metrics-server
    std::string runtime = "binary";
    bool kube_authorization = true;
    bool kube_admission = true;
    std::string kube_audit_policy;    ///< path; copied to <workdir>/audit.yaml
    std::string kube_feature_gates;
    std::string kube_runtime_config;
    std::string kube_scheduler_config;  ///< path; copied to <workdir>/scheduler.yaml
    std::string etcd_prefix = "/registry";
    std::optional<std::string> kubeconfig;  ///< --kubeconfig; nullopt: $KUBECONFIG or ~/.kube/config
    int verbosity = 0;  ///< global -v, passed on to the components as kwokctl does
};

// Stretches the heartbeat periods by heartbeat_factor and sets the factor to 1 (kwokctl's
// mutationHeartbeat: each value truncated after multiplying).
void apply_heartbeat_factor(create_options& o);

// "kwok-controller" (kwokctl's name for the node simulator) -> "ghostlet"; others unchanged.
std::string canonical_component(const std::string& name);

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
    snapshot_export,
    etcdctl,
    export_logs,
    port_forward,
};

// -o of get clusters / get components (kwokctl: name | wide).
enum class output_format { table, name, wide };

// get kubeconfig (kwokctl's flags): a client certificate for another user or other groups
// (signed when either differs from the admin's), another server host, or no CA verification.
struct kubeconfig_options {
    std::string user = admin_user;
    std::vector<std::string> groups{admin_group};  ///< --group: a string slice, one O= each
    std::string host;  ///< host[:port]; a host alone keeps the port (kwokctl's --host)
    bool insecure_skip_tls_verify = false;
};

struct scale_options {
    std::string resource;              // node, pod or a KwokctlResource's name
    std::string object_name;           // name prefix; default = resource
    int replicas = 1;  // kwokctl's default
    int serial_length = 6;
    std::string ns;                    // -n; "": the template's (pods: default)
    std::vector<std::string> params;   // jq assignments
};

// port-forward <component> <local-port>:<port-name-or-number> [--address A].
struct port_forward_options {
    std::string component;
    std::uint16_t local_port = 0;       ///< 0: any free port (printed)
    std::string target;                 ///< a port name or number
    std::string address = "127.0.0.1";  ///< where to listen (kwokctl: every address)
};

// snapshot save|restore (kwokctl's flags and defaults).
struct snapshot_options {
    std::string path;                  // required
    std::string format = "etcd";       // etcd | k8s
    std::vector<std::string> filters;  // k8s only; empty = default_snapshot_filters()
    double speed = 1;                  // restore: replay speed of recorded changes
    // export (kwokctl's snapshot export):
    std::string kubeconfig;            // empty: the in-cluster service account
    std::string as_user;               // --as
    std::vector<std::string> as_groups;  // --as-group
    int page_size = 500;
    int page_buffer_size = 10;
    bool record = false;
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
    kubeconfig_options kubeconfig;
    port_forward_options port_forward;
    std::string export_dir;                 // export logs [dir]
    output_format output = output_format::table;
    std::vector<std::string> config_paths;  // -c/--config (repeatable)
    bool dry_run = false;                   // --dry-run: print what would be done
    int verbosity = 0;                      // -v (kwokctl's: -4 debug, 0 info, 4 warn)
    std::vector<std::string> changed_flags;  // flags given on the command line (they win over -c)
    std::string help_text;          // set when kind == help
};

// Sets a create flag from a configuration file as if given on the command line (same parsing
// and checks). Throws usage_error with the flag's complaint.
void set_create_flag(command& cmd, const std::string& flag, const std::string& value);

// Components known to ghostctl; etcd and kube-apiserver cannot be disabled.
const std::vector<std::string>& known_components();

// Parses argv[1..]. Throws usage_error.
command parse_command_line(const std::vector<std::string>& args);

// Go-style duration: "90s", "2m", "1m30s", "500ms", "1h"; a bare number means seconds.
std::chrono::milliseconds parse_duration(const std::string& text);

// "component=key=value" or "component=key" (bare boolean). Throws usage_error.
extra_arg parse_extra_arg(const std::string& text);

}  // namespace ghost::ghostctl
