#pragma once
// ghostlet's start-up options: kwok's flags and KwokConfiguration, unchanged, plus a few of our own.
// Precedence as kwok: command-line flag > first KwokConfiguration document in --config > default.

#include "apps/ghostlet/cluster_informers.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ghost::ghostlet {

/// Thrown at start-up for any bad flag or config document; the message is one line naming the
/// flag or the file and field, and what was expected.
struct options_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A document from a --config file that is not a KwokConfiguration (normally a Stage).
struct config_document {
    std::string file;
    int index = 0;  ///< 0-based position of the document in its file
    YAML::Node node;
};

struct options {
    std::string kubeconfig;  ///< empty: ~/.kube/config if it exists, else in-cluster
    std::string master;
    std::vector<std::string> config_files;

    std::string cidr = "10.0.0.0/24";
    std::string node_ip;
    std::string node_name;
    int node_port = 0;
    std::string server_address;
    std::string tls_cert_file;         ///< server certificate; empty: generated self-signed
    std::string tls_private_key_file;
    /// kubelet's --client-ca-file: the debugging endpoints serve only clients whose
    /// certificate this CA verifies (kube-apiserver's --kubelet-client-certificate); empty:
    /// unauthenticated, as kwok.
    std::string client_ca_file;

    std::string manage_single_node;
    bool manage_all_nodes = false;
    std::string manage_nodes_with_annotation_selector;
    std::string manage_nodes_with_label_selector;
    std::string disregard_status_with_annotation_selector;
    std::string disregard_status_with_label_selector;

    std::int64_t node_lease_duration_seconds = 0;  ///< 0 = node leases off (kwok default)
    std::vector<std::string> enable_crds;  ///< validated against kwok's 12 kinds
    int verbosity = 0;  ///< kwok -v: -4 debug, 0 info, 4 warn, 8 error

    // KwokConfiguration options without a flag (kwok defaults). ghostlet has no worker pools
    // or kwok's profiling handlers: setting them in a config file logs a warning.
    unsigned node_lease_parallelism = 4;
    unsigned pod_play_stage_parallelism = 4;
    unsigned node_play_stage_parallelism = 4;
    unsigned pods_on_node_sync_parallelism = 1;
    bool enable_pods_on_node_sync_list_pager = true;
    bool enable_pods_on_node_sync_stream_watch = false;
    bool enable_debugging_handlers = true;
    bool enable_profiling_handler = true;
    bool enable_contention_profiling = false;

    // KwokConfiguration `tracing` (kwok: OTLP gRPC export); accepted, export not implemented.
    std::string tracing_endpoint;
    std::int32_t tracing_sampling_rate_per_million = 0;

    // ghostlet's own.
    std::string identity;                 ///< lease holder; default "<hostname>-ghostlet"
    int max_connections = 64;             ///< keep-alive pool size towards the apiserver
    int max_in_flight = 64;               ///< concurrent writes in the batching writer
    /// --write-concurrency: "fixed" (always --max-in-flight) or "adaptive" (a latency-driven
    /// limit below it, engine/concurrency_limit.hpp).
    std::string write_concurrency = "fixed";
    /// Sharded replicas: replicas with the same group split the managed nodes (no kwok flag).
    std::string shard_group;
    std::int64_t shard_lease_duration_seconds = 0;  ///< membership Lease; 0 = node lease's
    /// --api-mode: "kwok" (two shared watches, as kwok) or "kubelet" (each node lists and
    /// watches its own pods and Node on its own connections, reports status as a kubelet).
    std::string api_mode = "kwok";
    std::int64_t kubelet_connections_per_second = 200;  ///< kubelet mode: new connections/s
    /// kubelet mode: Services, RuntimeClasses, CSIDrivers watched per node, shared or not at all.
    ghostlet::cluster_informers kubelet_cluster_informers = cluster_informers::per_node;
    bool kubelet_mode() const noexcept { return api_mode == "kubelet"; }
    bool print_help = false;
    bool print_version = false;

    std::vector<config_document> stage_documents;  ///< Stage docs from --config, in order
    std::vector<config_document> usage_documents;  ///< Metric, (Cluster)ResourceUsage docs
    std::vector<config_document> debug_documents;  ///< Logs, Exec, Attach, PortForward (+Cluster*)
    std::vector<std::string> config_sources;       ///< files read, in order (after expansion)
    std::vector<std::string> warnings;             ///< non-fatal notes for the log
};

/// Parses argv (pflag syntax, engine/flags.hpp), reads the --config paths (files, directories,
/// "-"; plus $KWOK_WORKDIR/kwok.yaml or ~/.kwok/kwok.yaml first when it exists, as kwok) and
/// validates. Throws options_error.
options parse_options(int argc, const char* const* argv);

/// Same, from already split arguments (tests).
options parse_options(const std::vector<std::string>& args);

std::string usage();

}  // namespace ghost::ghostlet
