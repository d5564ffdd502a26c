#include "apps/ghostlet/options.hpp"

#include "sim/shard_membership.hpp"

#include "engine/flags.hpp"
#include "kube/label_selector.hpp"
#include "lang/yaml_documents.hpp"
#include "stages/config_files.hpp"
#include "debugging/resources.hpp"
#include "stages/kwok_kinds.hpp"
#include "stages/stage.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <unistd.h>

namespace ghost::ghostlet {
namespace {

using engine::invalid_value;

int parse_verbosity(const std::string& text) {
    if (text == "DEBUG" || text == "debug") return -4;
    if (text == "INFO" || text == "info") return 0;
    if (text == "WARN" || text == "warn") return 4;
    if (text == "ERROR" || text == "error") return 8;
    try {
        return static_cast<int>(engine::parse_int(text, -100, 100));
    } catch (const invalid_value&) {
        throw invalid_value("expected DEBUG, INFO, WARN, ERROR or a number such as -4, 0, 4, 8, "
                            "got \"" + text + "\"");
    }
}

// The command line. Flags that are also KwokConfiguration options are applied to the options
// after the config files, so they win (kwok: flag > config > default).
engine::flag_set make_flags(options& o) {
    engine::flag_set f("ghostlet");
    f.string_slice("config", &o.config_files,
                   "config files or directories (KwokConfiguration and Stage documents; a "
                   "directory's kustomization.yaml resources or its *.yaml files; - is stdin), "
                   "repeatable (default [~/.kwok/kwok.yaml])",
                   'c');
    f.add("v", 'v', false, "level", "log level: DEBUG, INFO, WARN, ERROR or -4, 0, 4, 8",
          [&o](const std::string& v) { o.verbosity = parse_verbosity(v); });
    f.string("kubeconfig", &o.kubeconfig,
             "path to the kubeconfig file (default ~/.kube/config, else in-cluster)");
    f.string("master", &o.master, "API server address (overrides the kubeconfig's server)");
    f.string("cidr", &o.cidr, "CIDR of the pod IPs when a node has no podCIDR");
    f.string("node-ip", &o.node_ip,
             "IP of the node: NodeIP in templates and the InternalIP given to managed nodes "
             "without one");
    f.string("node-name", &o.node_name, "name of the node (NodeName in templates)");
    f.integer("node-port", &o.node_port, 0, 65535,
              "port of the node (daemonEndpoints; also serves on 0.0.0.0:<port> without "
              "--server-address)");
    f.string("tls-cert-file", &o.tls_cert_file,
             "x509 certificate of the server (HTTPS and HTTP share its port; default: a "
             "generated self-signed one)");
    f.string("tls-private-key-file", &o.tls_private_key_file,
             "x509 private key matching --tls-cert-file");
    f.string("client-ca-file", &o.client_ca_file,
             "CA certificate file (kubelet's flag): the debugging endpoints (containerLogs, exec, "
             "attach, portForward) serve only clients whose certificate it verifies; default: "
             "no client authentication, as kwok");
    f.string("manage-single-node", &o.manage_single_node,
             "manage only the node with this name");
    f.boolean("manage-all-nodes", &o.manage_all_nodes, "manage every node");
    f.string("manage-nodes-with-annotation-selector", &o.manage_nodes_with_annotation_selector,
             "manage nodes whose annotations match (e.g. kwok.x-k8s.io/node=fake)");
    f.string("manage-nodes-with-label-selector", &o.manage_nodes_with_label_selector,
             "manage nodes whose labels match");
    f.string("disregard-status-with-annotation-selector",
             &o.disregard_status_with_annotation_selector,
             "ignore objects whose annotations match (deprecated in kwok)");
    f.string("disregard-status-with-label-selector", &o.disregard_status_with_label_selector,
             "ignore objects whose labels match (deprecated in kwok)");
    f.string("server-address", &o.server_address,
             "address of the HTTP server (/healthz, /readyz, /livez, /metrics)");
    f.integer("node-lease-duration-seconds", &o.node_lease_duration_seconds, 0,
              std::numeric_limits<std::uint32_t>::max(),
              "node lease duration; 0 turns node leases off");
    f.string_slice("enable-crds", &o.enable_crds,
                   "kwok CRDs to watch: Stage, Metric, ResourceUsage, ClusterResourceUsage, Logs, "
                   "ClusterLogs, Exec, ClusterExec, Attach, ClusterAttach, PortForward, "
                   "ClusterPortForward");
    f.string("tracing-endpoint", &o.tracing_endpoint,
             "OTLP tracing endpoint (accepted; export not implemented)");
    f.integer("tracing-sampling-rate-per-million", &o.tracing_sampling_rate_per_million,
              std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max(),
              "tracing sampling rate per million");
    // ghostlet's own.
    f.string("id", &o.identity,
             "lease holder identity (default <hostname>-ghostlet, stable across restarts)");
    f.integer("max-connections", &o.max_connections, 1, 1024,
              "keep-alive connections to the API server");
    f.integer("max-in-flight", &o.max_in_flight, 1, 4096, "concurrent writes to the API server");
    f.string("write-concurrency", &o.write_concurrency,
             "fixed (--max-in-flight writes in flight) or adaptive (fewer while the API server's "
             "answers slow down or it sheds load; --max-in-flight is the ceiling)");
    f.string("shard-group", &o.shard_group,
             "replicas with the same group split the managed nodes among themselves and take "
             "over those of a replica that dies (membership Leases in kube-node-lease; needs "
             "node leases)");
    f.integer("shard-lease-duration-seconds", &o.shard_lease_duration_seconds, 0,
              std::numeric_limits<std::int32_t>::max(),
              "membership Lease duration of --shard-group; 0 = --node-lease-duration-seconds");
    f.string("api-mode", &o.api_mode,
             "requests towards the API server: kwok (one watch of all managed nodes and one of "
             "their pods, as kwok) or kubelet (per node: list+watch of its pods and of its "
             "Node on connections of their own, Lease PUTs, kubelet-style node-status PATCHes)");
    f.integer("kubelet-connections-per-second", &o.kubelet_connections_per_second, 0,
              std::numeric_limits<std::int32_t>::max(),
              "--api-mode=kubelet: new lists and watches per second (start-up and reconnects are "
              "paced, no thundering herd); 0 = unpaced");
    f.add("kubelet-cluster-informers", 0, false, "string",
          "--api-mode=kubelet: Services, RuntimeClasses and CSIDrivers watched per-node (as "
          "each kubelet does), shared (once for all nodes) or none (default \"per-node\")",
          [&o](const std::string& v) {
              auto parsed = parse_cluster_informers(v);
              if (!parsed)
                  throw engine::invalid_value("expected per-node, shared or none, got \"" + v +
                                              "\"");
              o.kubelet_cluster_informers = *parsed;
          });
    f.boolean("help", &o.print_help, "print this help", 'h');
    f.boolean("version", &o.print_version, "print the version");
    return f;
}

// KwokConfiguration `options` keys and the flag each one feeds (kwok's
// KwokConfigurationOptions); keys without a flag are handled by config_only_flags.
const std::map<std::string, std::string>& option_flags() {
    static const std::map<std::string, std::string> m = {
        {"cidr", "cidr"},
        {"nodeIP", "node-ip"},
        {"nodeName", "node-name"},
        {"nodePort", "node-port"},
        {"tlsCertFile", "tls-cert-file"},
        {"tlsPrivateKeyFile", "tls-private-key-file"},
        {"manageSingleNode", "manage-single-node"},
        {"manageAllNodes", "manage-all-nodes"},
        {"manageNodesWithAnnotationSelector", "manage-nodes-with-annotation-selector"},
        {"manageNodesWithLabelSelector", "manage-nodes-with-label-selector"},
        {"disregardStatusWithAnnotationSelector", "disregard-status-with-annotation-selector"},
        {"disregardStatusWithLabelSelector", "disregard-status-with-label-selector"},
        {"serverAddress", "server-address"},
        {"enableCRDs", "enable-crds"},
        {"nodeLeaseDurationSeconds", "node-lease-duration-seconds"},
    };
    return m;
}

// The options that have no flag, under their config key, with the same value converters.
engine::flag_set config_only_flags(options& o) {
    engine::flag_set f;
    constexpr std::int64_t u32 = std::numeric_limits<std::uint32_t>::max();
    f.integer("nodeLeaseParallelism", &o.node_lease_parallelism, 0, u32, "");
    f.integer("podPlayStageParallelism", &o.pod_play_stage_parallelism, 0, u32, "");
    f.integer("nodePlayStageParallelism", &o.node_play_stage_parallelism, 0, u32, "");
    f.integer("podsOnNodeSyncParallelism", &o.pods_on_node_sync_parallelism, 0, u32, "");
    f.boolean("enablePodsOnNodeSyncListPager", &o.enable_pods_on_node_sync_list_pager, "");
    f.boolean("enablePodsOnNodeSyncStreamWatch", &o.enable_pods_on_node_sync_stream_watch, "");
    f.boolean("enableDebuggingHandlers", &o.enable_debugging_handlers, "");
    f.boolean("enableProfilingHandler", &o.enable_profiling_handler, "");
    f.boolean("enableContentionProfiling", &o.enable_contention_profiling, "");
    return f;
}

std::string scalar_text(const YAML::Node& node) {
    return node.IsScalar() ? node.Scalar() : std::string();
}

// Applies one config value through a flag's setter; a list goes item by item (the first
// replaces the default, as a repeated flag does).
void apply_value(engine::flag_set& set, const std::string& name, const YAML::Node& value,
                 const std::string& where) {
    try {
        if (value.IsSequence()) {
            if (set.is_boolean(name)) throw invalid_value("expected true or false, got a list");
            for (const auto& item : value) {
                if (!item.IsScalar()) throw invalid_value("expected a list of strings");
                set.set(name, item.Scalar());
            }
        } else if (value.IsScalar()) {
            set.set(name, value.Scalar());
        } else if (!value.IsNull()) {
            throw invalid_value("expected a scalar value, got a mapping");
        }
    } catch (const invalid_value& e) {
        throw options_error(where + ": " + e.what());
    }
}

struct config_state {
    bool have_configuration = false;
    std::set<std::string> given;  // config keys present in the KwokConfiguration
};

void apply_kwok_configuration(options& o, const YAML::Node& doc, const std::string& where,
                              config_state& st) {
    auto flags = make_flags(o);
    auto only = config_only_flags(o);
    if (auto opts = doc["options"]; opts && !opts.IsNull()) {
        if (!opts.IsMap()) throw options_error(where + ": options: expected a mapping");
        for (auto it = opts.begin(); it != opts.end(); ++it) {
            auto key_text = lang::map_key(it->first);
            if (!key_text) throw options_error(where + ": options: expected string keys");
            std::string key = std::move(*key_text);
            // A copy: yaml-cpp iterators hand out temporaries (a reference would dangle).
            YAML::Node value = it->second;
            std::string field = where + ": options." + key;
            if (auto m = option_flags().find(key); m != option_flags().end()) {
                apply_value(flags, m->second, value, field);
            } else if (only.has(key)) {
                apply_value(only, key, value, field);
            } else {
                o.warnings.push_back(field + ": not a kwok v0.8 option; ignored");
                continue;
            }
            st.given.insert(key);
        }
    }
    if (auto tracing = doc["tracing"]; tracing && !tracing.IsNull()) {
        if (!tracing.IsMap()) throw options_error(where + ": tracing: expected a mapping");
        for (auto it = tracing.begin(); it != tracing.end(); ++it) {
            auto key_text = lang::map_key(it->first);
            if (!key_text) throw options_error(where + ": tracing: expected string keys");
            std::string key = std::move(*key_text);
            YAML::Node value = it->second;
            std::string field = where + ": tracing." + key;
            if (key == "endpoint") {
                apply_value(flags, "tracing-endpoint", value, field);
            } else if (key == "samplingRatePerMillion") {
                apply_value(flags, "tracing-sampling-rate-per-million", value, field);
            } else {
                o.warnings.push_back(field + ": not a kwok v0.8 tracing option; ignored");
            }
        }
    }
}

void load_config_documents(options& o, const stages::config_source& src, config_state& st) {
    std::vector<YAML::Node> docs;
    try {
        docs = lang::load_all_yaml(src.text);
    } catch (const YAML::Exception& e) {
        throw options_error(src.name + ":" + std::to_string(e.mark.line + 1) + ":" +
                            std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
    }
    o.config_sources.push_back(src.name);
    int index = 0;
    for (const auto& doc : docs) {
        std::string where = src.name + " (document " + std::to_string(index + 1) + ")";
        if (doc.IsNull()) {
            ++index;
            continue;
        }
        if (!doc.IsMap() || !doc["kind"]) {
            throw options_error(where + ": kind: expected a Kubernetes-style document with "
                                        "apiVersion and kind");
        }
        auto kind = scalar_text(doc["kind"]);
        if (kind == "KwokConfiguration") {
            if (!st.have_configuration) {
                apply_kwok_configuration(o, doc, where, st);
                st.have_configuration = true;
            } else {
                o.warnings.push_back(where + ": a second KwokConfiguration is ignored, as kwok "
                                             "does");
            }
        } else if (kind == "Stage") {
            o.stage_documents.push_back({src.name, index, doc});
        } else if (kind == "Metric" || kind == "ResourceUsage" || kind == "ClusterResourceUsage") {
            o.usage_documents.push_back({src.name, index, doc});
        } else if (debugging::is_debug_kind(kind)) {
            o.debug_documents.push_back({src.name, index, doc});
        } else if (kind == "KwokctlConfiguration" || kind == "KwokctlResource") {
            // kwokctl's own documents (kwokctl saves them in the cluster's kwok.yaml); the kwok
            // controller skips them too.
        } else if (stages::find_kwok_kind(kind)) {
            o.warnings.push_back(where + ": kind " + kind +
                                 " is not supported by ghostlet yet; document ignored");
        } else {
            // kwok warns "Unsupported type" and goes on (a kustomization may list a
            // StorageClass next to its stages)
            o.warnings.push_back(where + ": kind " + kind +
                                 " is not a kwok configuration kind; document ignored");
        }
        ++index;
    }
}

// kwok loads <workdir>/kwok.yaml first when it exists, even with other --config paths
// (KWOK_WORKDIR, default ~/.kwok).
std::string default_config_path() {
    if (const char* wd = std::getenv("KWOK_WORKDIR"); wd && *wd) {
        return (std::filesystem::path(wd) / "kwok.yaml").string();
    }
    return stages::expand_home("~/.kwok/kwok.yaml");
}

std::vector<std::string> config_paths(const options& o, bool config_given) {
    std::vector<std::string> paths;
    auto def = default_config_path();
    std::error_code ec;
    bool def_exists = std::filesystem::is_regular_file(def, ec);
    if (def_exists) paths.push_back(def);
    if (!config_given) return paths;
    for (const auto& p : o.config_files) {
        if (p.empty()) throw options_error("--config: expected a path, got an empty one");
        if (p == "~/.kwok/kwok.yaml" || stages::expand_home(p) == def) continue;
        paths.push_back(p);
    }
    return paths;
}

void check_selector(const std::string& text, const std::string& flag) {
    if (text.empty()) return;
    std::string error;
    if (!kube::label_selector::parse(text, &error)) {
        throw options_error("--" + flag + ": invalid selector \"" + text + "\": " + error);
    }
}

bool valid_cidr(const std::string& text) {
    auto slash = text.find('/');
    if (slash == std::string::npos) return false;
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(text.substr(0, slash), ec);
    if (ec) return false;
    int max_bits = addr.is_v4() ? 32 : 128;
    std::int64_t bits = -1;
    auto tail = text.substr(slash + 1);
    auto [ptr, err] = std::from_chars(tail.data(), tail.data() + tail.size(), bits);
    return err == std::errc() && ptr == tail.data() + tail.size() && bits >= 0 && bits <= max_bits;
}

void check_readable(const std::string& path, const std::string& flag) {
    if (path.empty()) return;
    std::ifstream in(path);
    std::error_code ec;
    if (!in || std::filesystem::is_directory(path, ec)) {
        throw options_error("--" + flag + ": cannot read \"" + path + "\"");
    }
}

// One warning per accepted option whose behaviour ghostlet does not provide yet.
void warn_unimplemented(options& o, const std::set<std::string>& given) {
    if (!o.tracing_endpoint.empty()) {
        o.warnings.push_back("--tracing-endpoint, --tracing-sampling-rate-per-million: tracing "
                             "export is not implemented; no spans are sent to " +
                             o.tracing_endpoint);
    }
    // Every kwok kind in --enable-crds is watched (validate() refuses other names).
    // Tuning knobs of kwok's worker pools: ghostlet has one event loop whose writes are bounded
    // by --max-in-flight, so only a non-default value is worth a warning.
    struct knob {
        const char* key;
        unsigned value, kwok_default;
    };
    for (const knob& k : {knob{"nodeLeaseParallelism", o.node_lease_parallelism, 4},
                          knob{"podPlayStageParallelism", o.pod_play_stage_parallelism, 4},
                          knob{"nodePlayStageParallelism", o.node_play_stage_parallelism, 4},
                          knob{"podsOnNodeSyncParallelism", o.pods_on_node_sync_parallelism, 1}}) {
        if (given.count(k.key) && k.value != k.kwok_default) {
            o.warnings.push_back(std::string("options.") + k.key + "=" +
                                 std::to_string(k.value) +
                                 ": ghostlet has no worker pools (writes are bounded by "
                                 "--max-in-flight); ignored");
        }
    }
    if (given.count("enablePodsOnNodeSyncListPager") && !o.enable_pods_on_node_sync_list_pager) {
        o.warnings.push_back("options.enablePodsOnNodeSyncListPager=false: ghostlet always lists "
                             "pods in pages; ignored");
    }
    if (given.count("enablePodsOnNodeSyncStreamWatch") &&
        o.enable_pods_on_node_sync_stream_watch) {
        o.warnings.push_back("options.enablePodsOnNodeSyncStreamWatch=true: ghostlet syncs pods "
                             "with one list+watch; ignored");
    }
    struct feature {
        const char* key;
        bool on;
        const char* what;
    };
    for (const feature& f :
         {feature{"enableProfilingHandler", o.enable_profiling_handler, "/debug/pprof"},
          feature{"enableContentionProfiling", o.enable_contention_profiling,
                  "contention profiling"}}) {
        if (given.count(f.key) && f.on) {
            o.warnings.push_back(std::string("options.") + f.key + "=true: " + f.what +
                                 " not implemented yet; not served");
        }
    }
}

void validate(options& o, const std::set<std::string>& given) {
    int modes = (o.manage_all_nodes ? 1 : 0) + (!o.manage_single_node.empty() ? 1 : 0) +
                ((!o.manage_nodes_with_annotation_selector.empty() ||
                  !o.manage_nodes_with_label_selector.empty())
                     ? 1
                     : 0);
    if (modes == 0) {
        throw options_error("no nodes are managed: set one of --manage-all-nodes, "
                            "--manage-single-node, --manage-nodes-with-annotation-selector, "
                            "--manage-nodes-with-label-selector");
    }
    if (modes > 1) {
        throw options_error("--manage-all-nodes, --manage-single-node and the "
                            "--manage-nodes-with-*-selector flags exclude each other");
    }
    check_selector(o.manage_nodes_with_annotation_selector,
                   "manage-nodes-with-annotation-selector");
    check_selector(o.manage_nodes_with_label_selector, "manage-nodes-with-label-selector");
    check_selector(o.disregard_status_with_annotation_selector,
                   "disregard-status-with-annotation-selector");
    check_selector(o.disregard_status_with_label_selector, "disregard-status-with-label-selector");
    if (!valid_cidr(o.cidr)) {
        throw options_error("--cidr: expected an IPv4 or IPv6 CIDR such as 10.0.0.0/24, got \"" +
                            o.cidr + "\"");
    }
    if (!o.node_ip.empty()) {
        boost::system::error_code ec;
        boost::asio::ip::make_address(o.node_ip, ec);
        if (ec) {
            throw options_error("--node-ip: expected an IP address, got \"" + o.node_ip + "\"");
        }
    }
    for (const auto& crd : o.enable_crds) {
        if (!stages::find_kwok_kind(crd)) {
            std::string list;
            for (const auto& k : stages::kwok_kinds())
                list += (list.empty() ? "" : ", ") + std::string(k.kind);
            throw options_error("--enable-crds: invalid crd \"" + crd + "\"; expected one of " +
                                list);
        }
    }
    // kwok refuses Stage documents in --config together with --enable-crds=Stage; ghostlet plays
    // both (the Stage resources are added to the configured stages).
    if (o.tls_cert_file.empty() != o.tls_private_key_file.empty()) {
        throw options_error("--tls-cert-file and --tls-private-key-file go together; only " +
                            std::string(o.tls_cert_file.empty() ? "--tls-private-key-file"
                                                                : "--tls-cert-file") +
                            " was given");
    }
    check_readable(o.tls_cert_file, "tls-cert-file");
    check_readable(o.tls_private_key_file, "tls-private-key-file");
    check_readable(o.client_ca_file, "client-ca-file");
    if (!o.shard_group.empty()) {
        if (auto why = sim::check_shard_group(o.shard_group); !why.empty()) {
            throw options_error("--shard-group: " + why);
        }
        if (o.node_lease_duration_seconds <= 0) {
            throw options_error("--shard-group needs node leases (their holder is the replica "
                                "that simulates the node): set --node-lease-duration-seconds, "
                                "e.g. 40");
        }
        if (o.shard_lease_duration_seconds == 0) {
            o.shard_lease_duration_seconds = o.node_lease_duration_seconds;
        }
    } else if (o.shard_lease_duration_seconds != 0) {
        o.warnings.push_back("--shard-lease-duration-seconds has no effect without --shard-group");
    }
    if (o.write_concurrency != "fixed" && o.write_concurrency != "adaptive") {
        throw options_error("--write-concurrency: expected fixed or adaptive, got \"" +
                            o.write_concurrency + "\"");
    }
    if (o.api_mode != "kwok" && o.api_mode != "kubelet") {
        throw options_error("--api-mode: expected kwok or kubelet, got \"" + o.api_mode + "\"");
    }
    if (!o.kubelet_mode() &&
        (o.kubelet_connections_per_second != 200 || o.kubelet_cluster_informers != cluster_informers::per_node)) {
        o.warnings.push_back("--kubelet-connections-per-second and --kubelet-cluster-informers "
                             "have no effect without --api-mode=kubelet");
    }
    warn_unimplemented(o, given);
    if (o.identity.empty()) {
        char host[256] = {};
        ::gethostname(host, sizeof host - 1);
        o.identity = std::string(host) + "-ghostlet";
    }
}

}  // namespace

options parse_options(const std::vector<std::string>& args) {
    // First pass: --config, --help, --version (and any flag error) before reading files.
    options first;
    auto first_flags = make_flags(first);
    engine::flag_set::parse_result words;
    try {
        words = first_flags.parse(args);
    } catch (const engine::flag_error& e) {
        throw options_error(e.what());
    }
    if (!words.positionals.empty()) {
        throw options_error("unexpected argument \"" + words.positionals.front() +
                            "\": ghostlet takes only flags (see --help)");
    }
    if (first.print_help || first.print_version) return first;

    options o;
    config_state st;
    for (const auto& path : config_paths(first, first_flags.changed("config"))) {
        std::vector<stages::config_source> sources;
        try {
            sources = stages::read_config_path(path);
        } catch (const stages::stage_error& e) {
            throw options_error(std::string(e.what()) + " (given with --config)");
        }
        for (const auto& src : sources) load_config_documents(o, src, st);
    }
    // Second pass over the same arguments: flags override the configuration; a list flag
    // replaces the configured list (its first use replaces, as pflag's StringSlice).
    auto flags = make_flags(o);
    try {
        flags.parse(args);
    } catch (const engine::flag_error& e) {
        throw options_error(e.what());
    }
    o.config_files = first.config_files;
    validate(o, st.given);
    return o;
}

options parse_options(int argc, const char* const* argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return parse_options(args);
}

std::string usage() {
    options o;
    auto flags = make_flags(o);
    return "ghostlet: simulates kubelets for fake Kubernetes nodes (kwok-compatible)\n\n"
           "Usage: ghostlet [flags]\n\nFlags:\n" +
           flags.usage();
}

}  // namespace ghost::ghostlet
