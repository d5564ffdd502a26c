#include "apps/ghostlet/options.hpp"

#include "kube/label_selector.hpp"

#include <boost/asio/ip/address.hpp>

#include <charconv>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <unistd.h>

namespace ghost::ghostlet {
namespace {

enum class flag_kind { string, boolean, integer, string_list };

// One row per flag: the kwok flag name, its KwokConfiguration option name (empty when the flag
// has none) and how to store a value.
struct flag_spec {
    std::string name;
    char short_name;
    flag_kind kind;
    std::string config_key;
    std::function<void(options&, const std::string&)> set;
    std::string help;
};

std::int64_t to_int(const std::string& text, std::int64_t lo, std::int64_t hi,
                    const std::string& where) {
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size() || value < lo || value > hi) {
        throw options_error(where + ": expected an integer from " + std::to_string(lo) + " to " +
                            std::to_string(hi) + ", got \"" + text + "\"");
    }
    return value;
}

bool to_bool(const std::string& text, const std::string& where) {
    if (text == "true" || text == "1" || text == "t" || text == "T" || text == "TRUE" ||
        text == "True") {
        return true;
    }
    if (text == "false" || text == "0" || text == "f" || text == "F" || text == "FALSE" ||
        text == "False") {
        return false;
    }
    throw options_error(where + ": expected true or false, got \"" + text + "\"");
}

std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        if (!item.empty()) {
            out.push_back(item);
        }
    }
    return out;
}

int parse_verbosity(const std::string& text, const std::string& where) {
    if (text == "DEBUG" || text == "debug") return -4;
    if (text == "INFO" || text == "info") return 0;
    if (text == "WARN" || text == "warn") return 4;
    if (text == "ERROR" || text == "error") return 8;
    return static_cast<int>(to_int(text, -100, 100, where + " (or DEBUG, INFO, WARN, ERROR)"));
}

const std::vector<flag_spec>& flag_table() {
    using k = flag_kind;
    static const std::vector<flag_spec> table = {
        {"kubeconfig", 0, k::string, "", [](options& o, const std::string& v) { o.kubeconfig = v; },
         "path to the kubeconfig (default ~/.kube/config, else in-cluster)"},
        {"master", 0, k::string, "", [](options& o, const std::string& v) { o.master = v; },
         "API server address, overrides the kubeconfig's server"},
        {"config", 'c', k::string_list, "",
         [](options& o, const std::string& v) {
             for (auto& f : split_commas(v)) o.config_files.push_back(f);
         },
         "config files (KwokConfiguration and Stage documents), repeatable"},
        {"v", 'v', k::string, "",
         [](options& o, const std::string& v) { o.verbosity = parse_verbosity(v, "--v"); },
         "log level: DEBUG, INFO, WARN, ERROR or -4, 0, 4, 8"},
        {"cidr", 0, k::string, "cidr", [](options& o, const std::string& v) { o.cidr = v; },
         "pod IP range used when a node has no podCIDR (default 10.0.0.0/24)"},
        {"node-ip", 0, k::string, "nodeIP", [](options& o, const std::string& v) { o.node_ip = v; },
         "IP used for the nodes' InternalIP when they have none"},
        {"node-name", 0, k::string, "nodeName",
         [](options& o, const std::string& v) { o.node_name = v; },
         "Hostname address added to nodes that have none"},
        {"node-port", 0, k::integer, "nodePort",
         [](options& o, const std::string& v) {
             o.node_port = static_cast<int>(to_int(v, 0, 65535, "--node-port"));
         },
         "kubelet port written to node status daemonEndpoints"},
        {"server-address", 0, k::string, "serverAddress",
         [](options& o, const std::string& v) { o.server_address = v; },
         "address of the HTTP server (/healthz, /readyz, /metrics), e.g. 127.0.0.1:10247"},
        {"manage-single-node", 0, k::string, "manageSingleNode",
         [](options& o, const std::string& v) { o.manage_single_node = v; },
         "manage only the node with this name"},
        {"manage-all-nodes", 0, k::boolean, "manageAllNodes",
         [](options& o, const std::string& v) {
             o.manage_all_nodes = to_bool(v, "--manage-all-nodes");
         },
         "manage every node"},
        {"manage-nodes-with-annotation-selector", 0, k::string,
         "manageNodesWithAnnotationSelector",
         [](options& o, const std::string& v) { o.manage_nodes_with_annotation_selector = v; },
         "manage nodes whose annotations match (e.g. kwok.x-k8s.io/node=fake)"},
        {"manage-nodes-with-label-selector", 0, k::string, "manageNodesWithLabelSelector",
         [](options& o, const std::string& v) { o.manage_nodes_with_label_selector = v; },
         "manage nodes whose labels match"},
        {"disregard-status-with-annotation-selector", 0, k::string,
         "disregardStatusWithAnnotationSelector",
         [](options& o, const std::string& v) { o.disregard_status_with_annotation_selector = v; },
         "ignore objects whose annotations match (deprecated in kwok)"},
        {"disregard-status-with-label-selector", 0, k::string,
         "disregardStatusWithLabelSelector",
         [](options& o, const std::string& v) { o.disregard_status_with_label_selector = v; },
         "ignore objects whose labels match (deprecated in kwok)"},
        {"node-lease-duration-seconds", 0, k::integer, "nodeLeaseDurationSeconds",
         [](options& o, const std::string& v) {
             o.node_lease_duration_seconds =
                 to_int(v, 0, 1'000'000, "--node-lease-duration-seconds");
         },
         "node lease duration; 0 turns node leases off"},
        {"enable-crds", 0, k::string_list, "enableCRDs",
         [](options& o, const std::string& v) {
             for (auto& f : split_commas(v)) o.enable_crds.push_back(f);
         },
         "kwok CRDs to watch (not supported yet: stages come from --config)"},
        {"id", 0, k::string, "",
         [](options& o, const std::string& v) { o.identity = v; },
         "lease holder identity (default <hostname>-ghostlet, stable across restarts)"},
        {"max-connections", 0, k::integer, "",
         [](options& o, const std::string& v) {
             o.max_connections = static_cast<int>(to_int(v, 1, 1024, "--max-connections"));
         },
         "keep-alive connections to the API server (default 64)"},
        {"max-in-flight", 0, k::integer, "",
         [](options& o, const std::string& v) {
             o.max_in_flight = static_cast<int>(to_int(v, 1, 4096, "--max-in-flight"));
         },
         "concurrent writes to the API server (default 64)"},
        {"help", 'h', k::boolean, "",
         [](options& o, const std::string& v) { o.print_help = to_bool(v, "--help"); },
         "print this help"},
        {"version", 0, k::boolean, "",
         [](options& o, const std::string& v) { o.print_version = to_bool(v, "--version"); },
         "print the version"},
    };
    return table;
}

const flag_spec* find_flag(std::string_view name) {
    for (const auto& f : flag_table()) {
        if (f.name == name) return &f;
    }
    return nullptr;
}

const flag_spec* find_short(char c) {
    for (const auto& f : flag_table()) {
        if (f.short_name == c) return &f;
    }
    return nullptr;
}

struct flag_value {
    const flag_spec* spec;
    std::string value;
};

std::vector<flag_value> split_flags(const std::vector<std::string>& args) {
    std::vector<flag_value> out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        const flag_spec* spec = nullptr;
        std::optional<std::string> inline_value;
        if (arg.rfind("--", 0) == 0 && arg.size() > 2) {
            auto eq = arg.find('=');
            spec = find_flag(arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2));
            if (eq != std::string::npos) inline_value = arg.substr(eq + 1);
        } else if (arg.size() >= 2 && arg[0] == '-' && arg[1] != '-') {
            spec = find_short(arg[1]);
            if (arg.size() > 2) inline_value = arg.substr(arg[2] == '=' ? 3 : 2);
        } else {
            throw options_error("unexpected argument \"" + arg +
                                "\": ghostlet takes only flags (see --help)");
        }
        if (!spec) {
            throw options_error("unknown flag: " + arg.substr(0, arg.find('=')) +
                                " (see --help for the flags ghostlet takes)");
        }
        if (inline_value) {
            out.push_back({spec, *inline_value});
        } else if (spec->kind == flag_kind::boolean) {
            out.push_back({spec, "true"});
        } else if (i + 1 < args.size()) {
            out.push_back({spec, args[++i]});
        } else {
            throw options_error("flag needs an argument: --" + spec->name);
        }
    }
    return out;
}

std::string scalar_text(const YAML::Node& node) {
    return node.IsScalar() ? node.Scalar() : std::string();
}

void apply_kwok_configuration(options& o, const YAML::Node& doc, const std::string& where) {
    auto opts = doc["options"];
    if (!opts) return;
    if (!opts.IsMap()) {
        throw options_error(where + ": options: expected a mapping");
    }
    for (auto it = opts.begin(); it != opts.end(); ++it) {
        auto key = it->first.as<std::string>();
        const flag_spec* spec = nullptr;
        for (const auto& f : flag_table()) {
            if (!f.config_key.empty() && f.config_key == key) spec = &f;
        }
        if (!spec) {
            // kwok has many tuning options (parallelism, pager, profiling) that ghostlet does
            // not need; accept them so kwok config files load unchanged.
            o.warnings.push_back(where + ": options." + key + " is not used by ghostlet");
            continue;
        }
        // A copy: yaml-cpp iterators hand out temporaries (a reference would dangle).
        YAML::Node value = it->second;
        try {
            if (spec->kind == flag_kind::string_list && value.IsSequence()) {
                for (const auto& item : value) spec->set(o, scalar_text(item));
            } else if (value.IsScalar()) {
                spec->set(o, value.Scalar());
            } else if (!value.IsNull()) {
                throw options_error("expected a scalar value");
            }
        } catch (const options_error& e) {
            std::string msg = e.what();
            auto flag_prefix = "--" + spec->name + ": ";
            if (msg.rfind(flag_prefix, 0) == 0) msg = msg.substr(flag_prefix.size());
            throw options_error(where + ": options." + key + ": " + msg);
        }
    }
}

void load_config_file(options& o, const std::string& file, bool& have_configuration) {
    std::vector<YAML::Node> docs;
    try {
        if (file == "-") {
            docs = YAML::LoadAll(std::cin);
        } else {
            std::ifstream in(file);
            if (!in) {
                throw options_error(file + ": cannot open config file (given with --config)");
            }
            docs = YAML::LoadAll(in);
        }
    } catch (const YAML::Exception& e) {
        throw options_error(file + ":" + std::to_string(e.mark.line + 1) + ":" +
                            std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
    }
    int index = 0;
    for (const auto& doc : docs) {
        std::string where = file + " (document " + std::to_string(index + 1) + ")";
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
            if (!have_configuration) {
                apply_kwok_configuration(o, doc, where);
                have_configuration = true;
            } else {
                o.warnings.push_back(where + ": a second KwokConfiguration is ignored, as kwok "
                                             "does");
            }
        } else if (kind == "Stage") {
            o.stage_documents.push_back({file, index, doc});
        } else if (kind == "KwokctlConfiguration" || kind == "Metric" ||
                   kind == "ClusterResourceUsage" || kind == "ResourceUsage" ||
                   kind == "ClusterLogs" || kind == "Logs" || kind == "ClusterExec" ||
                   kind == "Exec" || kind == "ClusterAttach" || kind == "Attach" ||
                   kind == "ClusterPortForward" || kind == "PortForward" ||
                   kind == "KwokctlResource") {
            o.warnings.push_back(where + ": kind " + kind + " is not supported by ghostlet yet; "
                                         "document ignored");
        } else {
            throw options_error(where + ": kind: expected KwokConfiguration or Stage, got \"" +
                                kind + "\"");
        }
        ++index;
    }
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

void validate(options& o) {
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
        if (crd == "Stage") continue;
        o.warnings.push_back("--enable-crds=" + crd + ": not supported yet (ignored)");
    }
    if (o.identity.empty()) {
        char host[256] = {};
        ::gethostname(host, sizeof host - 1);
        o.identity = std::string(host) + "-ghostlet";
    }
}

}  // namespace

options parse_options(const std::vector<std::string>& args) {
    options o;
    auto flags = split_flags(args);
    for (const auto& f : flags) {
        if (f.spec->name == "config") f.spec->set(o, f.value);
        if (f.spec->name == "help" || f.spec->name == "version") f.spec->set(o, f.value);
    }
    if (o.print_help || o.print_version) return o;
    bool have_configuration = false;
    for (const auto& file : o.config_files) load_config_file(o, file, have_configuration);
    // Flags override the configuration file; list flags replace rather than append.
    o.config_files.clear();
    bool crds_from_flag = false;
    for (const auto& f : flags) {
        if (f.spec->name == "enable-crds" && !crds_from_flag) {
            o.enable_crds.clear();
            crds_from_flag = true;
        }
        f.spec->set(o, f.value);
    }
    validate(o);
    return o;
}

options parse_options(int argc, const char* const* argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return parse_options(args);
}

std::string usage() {
    std::ostringstream out;
    out << "ghostlet: simulates kubelets for fake Kubernetes nodes (kwok-compatible)\n\n"
           "Usage: ghostlet [flags]\n\nFlags:\n";
    for (const auto& f : flag_table()) {
        out << "  ";
        if (f.short_name) out << '-' << f.short_name << ", ";
        out << "--" << f.name;
        if (f.kind != flag_kind::boolean) out << " value";
        out << "\n        " << f.help << '\n';
    }
    return out.str();
}

}  // namespace ghost::ghostlet
