#include "apps/ghostctl/options.hpp"

#include "apps/ghostctl/port_forward.hpp"
#include "engine/flags.hpp"
#include "stages/kwok_kinds.hpp"
#include "lang/duration.hpp"

#include <algorithm>
#include <charconv>
#include <cctype>
#include <tuple>

namespace ghost::ghostctl {
namespace {

const char* const top_help =
    "ghostctl manages local control planes (etcd, kube-apiserver, kube-controller-manager,\n"
    "kube-scheduler) plus ghostlet, as plain processes.\n"
    "\n"
    "Usage: ghostctl [--name NAME] <command> [flags]\n"
    "\n"
    "Commands:\n"
    "  create cluster       create and start a cluster\n"
    "  delete cluster       stop a cluster and remove its files (--all for every cluster)\n"
    "  start cluster        start the components of a stopped cluster\n"
    "  stop cluster         stop the components, keeping the data\n"
    "  get clusters         list clusters\n"
    "  get kubeconfig       print the cluster's kubeconfig\n"
    "  get components       list components with their state\n"
    "  logs <component>     print a component's log (-f to follow)\n"
    "  kubectl [args...]    run kubectl against the cluster\n"
    "  scale RESOURCE       create/delete fake nodes, pods or KwokctlResource objects\n"
    "  snapshot save|restore  save or restore the cluster's objects (--path, --format etcd|k8s)\n"
    "  snapshot export      [experimental] any cluster's objects (--kubeconfig), --record changes\n"
    "  etcdctl [args...]    run etcdctl against the cluster's etcd\n"
    "  export logs [DIR]    copy the components' logs and the configuration into a directory\n"
    "  port-forward COMPONENT LOCAL:PORT  forward a local port to a component's port\n";

const char* const environment_help =
    "\nEnvironment: GHOST_WORKDIR (default ~/.ghost), GHOST_BIN_DIR (control-plane binaries,\n"
    "default $GHOSTLET_CACHE/bin/current), GHOST_GHOSTLET_BINARY, KUBECONFIG.\n"
    "Create and scale read $GHOST_WORKDIR/ghost.yaml first when it exists (as kwokctl its\n"
    "~/.kwok/kwok.yaml): -c files and then flags win over it.\n";

const char* const create_help =
    "Usage: ghostctl create cluster [--name NAME] [-c FILE]... [flags]\n"
    "-c/--config reads kwokctl's KwokctlConfiguration (options, componentsPatches) and hands\n"
    "KwokConfiguration, Stage, Metric, ... documents to the cluster's ghostlet (saved as\n"
    "<workdir>/ghostlet.yaml); flags on the command line win over the file.\n";
const char* const delete_help =
    "Usage: ghostctl delete cluster [--name NAME] [--all]\n"
    "Stops every process of the cluster and removes its work directory and kubeconfig context.\n";
const char* const start_help = "Usage: ghostctl start cluster [--name NAME] [--wait DURATION]\n";
const char* const stop_help = "Usage: ghostctl stop cluster [--name NAME]\n";
const char* const get_help =
    "Usage: ghostctl get clusters [-o name|wide] | get components [--name NAME] [-o name|wide]\n"
    "       get kubeconfig [--name NAME] [--user U] [--group G1,G2 | --group G1 --group G2]\n"
    "         [--host H[:PORT]] [--insecure-skip-tls-verify]\n"
    "Another user or other groups get a new client certificate signed by the cluster's CA\n"
    "(one O= per group); --host alone keeps the API server's port.\n";
const char* const logs_help =
    "Usage: ghostctl logs <component>|audit [--name NAME] [-f|--follow]\n";
const char* const scale_help =
    "Usage: ghostctl [--name NAME] [-c FILE]... scale node|pod|RESOURCE [PREFIX] [--replicas N]\n"
    "         [--param '.key=value']... [--serial-length 6] [-n NAMESPACE]\n"
    "Creates or deletes objects named PREFIX-000000... (label kwok.x-k8s.io/kwokctl-scale=PREFIX)\n"
    "until exactly N exist (as kwokctl scale: new ones take the lowest free serials, scaling\n"
    "down keeps the oldest). RESOURCE is a KwokctlResource (config.kwok.x-k8s.io/v1alpha1) from\n"
    "-c, ghost.yaml or the cluster's create -c files: its template is rendered per object with\n"
    "the parameters after --param (functions Name, Namespace, Index, AddCIDR, AddIP, kwok's and\n"
    "Sprig's). A KwokctlResource named node or pod replaces the built-in one.\n"
    "Built-in node parameters: .podCIDR .podCIDRv6 .internalIP .internalIPv6 .allocatable\n"
    ".labels .annotations; pod parameters: .nodeName .hostNetwork .image .resources .labels\n"
    ".annotations.\n";

const char* const export_help =
    "Usage: ghostctl [--name NAME] export logs [DIR]\n"
    "Copies the cluster's configuration (kwok.yaml), every component's log (components/*.log,\n"
    "audit.log with --kube-audit-policy) and binary-info.txt into DIR/NAME, or without DIR into\n"
    "<workdir>/clusters/NAME/export/logs (kwokctl's layout). An earlier export is not\n"
    "overwritten.\n";

const char* const port_forward_help =
    "Usage: ghostctl [--name NAME] port-forward COMPONENT LOCAL-PORT:PORT [--address IP]\n"
    "Forwards connections to LOCAL-PORT (0: any free port) to the component's port until\n"
    "interrupted. PORT is a number or the component's port name: etcd http (client) and\n"
    "peer-http, ghostlet (kwok-controller) http, the others https.\n";

const char* const snapshot_help =
    "Usage: ghostctl [--name NAME] snapshot save|restore --path PATH [--format etcd|k8s]\n"
    "         [--filter KINDS]\n"
    "etcd: save is etcdctl snapshot save; restore runs etcdutl snapshot restore into a new data\n"
    "directory and swaps it in while the components are stopped, then restarts them.\n"
    "k8s: YAML documents of the filtered kinds; restore creates them in order (owner references\n"
    "re-linked to the new uids) with kube-controller-manager, kube-scheduler and ghostlet\n"
    "stopped, and leaves objects that are not in the file alone; then it replays the recorded\n"
    "changes (ResourcePatch documents, from snapshot export --record) in time (--speed).\n";

const char* const snapshot_export_help =
    "Usage: ghostctl snapshot export --path PATH [--kubeconfig FILE] [--filter KINDS] [--record]\n"
    "         [--as USER [--as-group GROUP]...] [--page-size 500]\n"
    "[experimental] Writes the filtered kinds of the cluster behind --kubeconfig (the in-cluster\n"
    "service account without it) as a k8s snapshot (gzip for *.gz / *.tgz); with --record it\n"
    "keeps watching and appends every change as a ResourcePatch document until SIGINT or\n"
    "SIGTERM (Ctrl+C). Restore it with snapshot restore --format k8s.\n";

const char* const etcdctl_help =
    "Usage: ghostctl [--name NAME] etcdctl [etcdctl args...]\n"
    "Runs the pinned etcdctl with --endpoints pointing at the cluster's etcd.\n";

const char* const kubectl_help =
    "Usage: ghostctl [--name NAME] kubectl [kubectl args...]\n"
    "Runs the pinned kubectl with --kubeconfig pointing at the cluster.\n";

int to_int(const std::string& v, int lo, int hi) {
    return static_cast<int>(engine::parse_int(v, lo, hi));
}

// The flags each command takes besides the global ones (--name, --help).
const std::vector<std::string> create_flags = {
    "disable-qps-limits", "extra-args", "disable", "kube-apiserver-port", "wait", "timeout",
    "heartbeat-factor", "node-lease-duration-seconds", "enable-crds", "enable",
    "enable-metrics-server", "runtime", "components", "disable-kube-scheduler",
    "disable-kube-controller-manager", "kube-authorization", "kube-admission",
    "kube-audit-policy", "kube-feature-gates", "kube-runtime-config", "kube-scheduler-config",
    "etcd-port", "etcd-peer-port", "controller-port", "kube-controller-manager-port",
    "kube-scheduler-port", "metrics-server-port", "etcd-prefix", "kubeconfig",
    "node-status-update-frequency-milliseconds",
    "kube-controller-manager-node-monitor-period-milliseconds",
    "kube-controller-manager-node-monitor-grace-period-milliseconds"};
const std::vector<std::string> delete_flags = {"all", "kubeconfig"};
const std::vector<std::string> start_flags = {"wait", "timeout"};
const std::vector<std::string> logs_flags = {"follow"};
const std::vector<std::string> scale_flags = {"replicas", "serial-length", "param", "namespace"};
const std::vector<std::string> snapshot_flags = {"path", "format", "filter", "speed"};
const std::vector<std::string> snapshot_export_flags = {
    "path", "filter", "kubeconfig", "as", "as-group", "page-size", "page-buffer-size", "record"};
const std::vector<std::string> get_flags = {"output"};
const std::vector<std::string> kubeconfig_flags = {"user", "group", "host",
                                                   "insecure-skip-tls-verify"};
const std::vector<std::string> port_forward_flags = {"address"};
const std::vector<std::string> global_flags = {"name", "help", "config", "dry-run", "v"};

// kwokctl's runtimes; only binary runs here (no container engine or kind).
const std::vector<std::string> container_runtimes = {
    "docker", "podman", "nerdctl", "lima", "finch", "kind", "kind-podman", "kind-nerdctl",
    "kind-lima", "kind-finch"};

double to_double(const std::string& v, double lo, double hi) {
    double d = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
    if (ec != std::errc() || p != v.data() + v.size() || !(d >= lo && d <= hi)) {
        throw engine::invalid_value("expected a number from " + std::to_string(int(lo)) + " to " +
                                    std::to_string(int(hi)) + ", got \"" + v + "\"");
    }
    return d;
}

std::uint16_t to_port(const std::string& v) { return static_cast<std::uint16_t>(to_int(v, 1, 65535)); }

// kwokctl's -v: DEBUG, INFO, WARN, ERROR or a number (-4, 0, 4, 8).
int to_verbosity(const std::string& v) {
    std::string u;
    for (char c : v) u += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (u == "DEBUG") return -4;
    if (u == "INFO") return 0;
    if (u == "WARN") return 4;
    if (u == "ERROR") return 8;
    try {
        return to_int(v, -100, 100);
    } catch (const engine::invalid_value&) {
        throw engine::invalid_value("expected DEBUG, INFO, WARN, ERROR or a number, got \"" + v +
                                    "\"");
    }
}


// Every flag of every command in one set (pflag syntax); which ones a command accepts is
// checked after the command words are known, so a misplaced flag is named precisely.
engine::flag_set make_flags(command& cmd, bool& help) {
    create_options& co = cmd.create;
    engine::flag_set f("ghostctl");
    f.string("name", &cmd.name, "cluster name");
    f.boolean("help", &help, "help for any command", 'h');
    f.boolean("all", &cmd.all, "every cluster");
    f.boolean("follow", &cmd.follow, "follow the log", 'f');
    f.boolean("disable-qps-limits", &co.disable_qps_limits,
              "lift apiserver inflight limits and client QPS limits");
    f.add("extra-args", 0, false, "stringArray",
          "extra flag for a component, COMPONENT=KEY=VALUE or COMPONENT=KEY (repeatable)",
          [&co](const std::string& v) { co.extra_args.push_back(parse_extra_arg(v)); });
    f.add("disable", 0, false, "strings",
          "do not run these components (not etcd/kube-apiserver), comma-separated",
          [&co](const std::string& v) {
              for (const auto& name : engine::split_csv(v)) {
                  auto c = canonical_component(name);
                  if (c.empty()) continue;
                  if (c == "etcd" || c == "kube-apiserver") {
                      throw usage_error("cannot disable " + c +
                                        ": etcd and kube-apiserver are required");
                  }
                  auto& comps = known_components();
                  if (std::find(comps.begin(), comps.end(), c) == comps.end()) {
                      throw usage_error("--disable: unknown component \"" + c +
                                        "\" (known: kube-controller-manager, kube-scheduler, "
                                        "ghostlet, metrics-server)");
                  }
                  co.disabled.insert(c);
              }
          });
    f.add("kube-apiserver-port", 0, false, "int",
          "apiserver port (default: first free from 32766 down)",
          [&co](const std::string& v) {
              co.kube_apiserver_port = static_cast<std::uint16_t>(to_int(v, 1, 65535));
          });
    f.add("wait", 0, false, "duration",
          "how long to wait for readiness, e.g. 90s, 2m (default 2m)",
          [&co](const std::string& v) { co.wait = parse_duration(v); });
    f.add("timeout", 0, false, "duration", "give up the whole command after this long (0: never)",
          [&co](const std::string& v) { co.timeout = parse_duration(v); });
    f.add("heartbeat-factor", 0, false, "float",
          "multiplies the node lease, node status and node monitor periods (default 5)",
          [&co](const std::string& v) { co.heartbeat_factor = to_double(v, 0, 1000); });
    f.integer("node-lease-duration-seconds", &co.node_lease_duration_seconds, 0, 3600,
              "node lease duration before the factor; 0 turns node leases off");
    f.integer("node-status-update-frequency-milliseconds", &co.node_status_update_frequency_ms,
              1, 3'600'000, "node heartbeat stage period before the factor");
    f.integer("kube-controller-manager-node-monitor-period-milliseconds",
              &co.node_monitor_period_ms, 1, 3'600'000, "before the factor");
    f.integer("kube-controller-manager-node-monitor-grace-period-milliseconds",
              &co.node_monitor_grace_period_ms, 1, 3'600'000, "before the factor");
    for (const char* file_only : {"node-status-update-frequency-milliseconds",
                                  "kube-controller-manager-node-monitor-period-milliseconds",
                                  "kube-controller-manager-node-monitor-grace-period-milliseconds"})
        f.hidden(file_only);
    f.add("runtime", 0, false, "string", "runtime of the cluster: binary (the only one here)",
          [&co](const std::string& v) {
              if (v == "binary") {
                  co.runtime = v;
                  return;
              }
              if (std::find(container_runtimes.begin(), container_runtimes.end(), v) !=
                  container_runtimes.end()) {
                  throw engine::invalid_value(
                      "runtime \"" + v + "\" needs a container engine or kind, which ghostctl "
                      "does not use: it runs every component as a process (--runtime binary)");
              }
              throw engine::invalid_value("expected binary, got \"" + v + "\"");
          });
    f.add("components", 0, false, "strings",
          "the components to run instead of the default set, comma-separated",
          [&co](const std::string& v) {
              std::set<std::string> wanted;
              for (const auto& name : engine::split_csv(v)) {
                  auto c = canonical_component(name);
                  auto& comps = known_components();
                  if (std::find(comps.begin(), comps.end(), c) == comps.end())
                      throw engine::invalid_value("unknown component \"" + name + "\"");
                  wanted.insert(c);
              }
              for (const char* required : {"etcd", "kube-apiserver"})
                  if (!wanted.count(required))
                      throw engine::invalid_value(std::string("must include ") + required);
              co.components = std::move(wanted);
          });
    auto disable_one = [&co](const char* c) {
        return [&co, c](const std::string& v) {
            if (engine::parse_bool(v)) co.disabled.insert(c);
            else co.disabled.erase(c);
        };
    };
    f.add("disable-kube-scheduler", 0, true, "bool", "do not run kube-scheduler",
          disable_one("kube-scheduler"));
    f.add("disable-kube-controller-manager", 0, true, "bool", "do not run kube-controller-manager",
          disable_one("kube-controller-manager"));
    f.add("kube-authorization", 0, true, "bool",
          "kube-apiserver authorization (Node,RBAC) (default true)",
          [&co](const std::string& v) { co.kube_authorization = engine::parse_bool(v); });
    f.add("kube-admission", 0, true, "bool", "kube-apiserver admission plugins (default true)",
          [&co](const std::string& v) { co.kube_admission = engine::parse_bool(v); });
    f.string("kube-audit-policy", &co.kube_audit_policy,
             "audit policy file; the audit log is ghostctl logs audit");
    f.string("kube-feature-gates", &co.kube_feature_gates,
             "feature gates for kube-apiserver, kube-controller-manager and kube-scheduler");
    f.string("kube-runtime-config", &co.kube_runtime_config, "kube-apiserver --runtime-config");
    f.string("kube-scheduler-config", &co.kube_scheduler_config,
             "a KubeSchedulerConfiguration file for kube-scheduler");
    f.string("etcd-prefix", &co.etcd_prefix, "etcd key prefix of kube-apiserver");
    auto fixed_port = [&co](const char* port_name) {
        return [&co, port_name](const std::string& v) { co.fixed_ports[port_name] = to_port(v); };
    };
    f.add("etcd-port", 0, false, "int", "etcd client port", fixed_port("etcd-client"));
    f.add("etcd-peer-port", 0, false, "int", "etcd peer port", fixed_port("etcd-peer"));
    f.add("controller-port", 0, false, "int", "ghostlet's port (kwokctl's kwok-controller port)",
          fixed_port("ghostlet"));
    f.add("kube-controller-manager-port", 0, false, "int", "kube-controller-manager port",
          fixed_port("kube-controller-manager"));
    f.add("kube-scheduler-port", 0, false, "int", "kube-scheduler port",
          fixed_port("kube-scheduler"));
    f.add("metrics-server-port", 0, false, "int", "metrics-server port",
          fixed_port("metrics-server"));
    f.hidden("etcd-peer-port");
    f.hidden("metrics-server-port");
    f.add("kubeconfig", 0, false, "string",
          "kubeconfig file the cluster's context is added to (create) or removed from (delete); "
          "\"\" for none (default $KUBECONFIG or ~/.kube/config)",
          [&co](const std::string& v) { co.kubeconfig = v; });
    f.string_array("config", &cmd.config_paths,
                   "KwokctlConfiguration, KwokConfiguration, Stage, ... files or directories "
                   "(repeatable)", 'c');
    f.boolean("dry-run", &cmd.dry_run, "print the commands and files it would run and write");
    f.add("v", 'v', false, "level", "log level: DEBUG, INFO, WARN, ERROR or -4, 0, 4, 8",
          [&cmd](const std::string& v) { cmd.verbosity = to_verbosity(v); });
    f.add("output", 'o', false, "string", "output format: name or wide",
          [&cmd](const std::string& v) {
              if (v == "name") cmd.output = output_format::name;
              else if (v == "wide") cmd.output = output_format::wide;
              else throw engine::invalid_value("expected name or wide, got \"" + v + "\"");
          });
    f.string("user", &cmd.kubeconfig.user, "sign a client certificate for this user");
    f.string_slice("group", &cmd.kubeconfig.groups,
                   "the certificate's groups, comma-separated or repeated (default "
                   "system:masters)");
    f.string("address", &cmd.port_forward.address,
             "port-forward: the address to listen on");
    f.string("host", &cmd.kubeconfig.host, "server host[:port] written into the kubeconfig");
    f.boolean("insecure-skip-tls-verify", &cmd.kubeconfig.insecure_skip_tls_verify,
              "do not verify the server's certificate");
    f.add("enable-crds", 0, false, "strings",
          "kwok kinds served as custom resources (installs their CRDs; ghostlet watches them), "
          "e.g. Stage",
          [&co](const std::string& v) {
              for (const auto& k : engine::split_csv(v)) {
                  if (k.empty()) continue;
                  if (!stages::find_kwok_kind(k)) {
                      std::string list;
                      for (const auto& kk : stages::kwok_kinds())
                          list += (list.empty() ? "" : ", ") + std::string(kk.kind);
                      throw usage_error("--enable-crds: unknown kind \"" + k + "\" (expected one of " +
                                        list + ")");
                  }
                  co.enable_crds.push_back(k);
              }
          });
    f.add("enable", 0, false, "strings",
          "optional components to run, comma-separated: metrics-server",
          [&co](const std::string& v) {
              for (const auto& name : engine::split_csv(v)) {
                  auto c = canonical_component(name);
                  if (c.empty()) continue;
                  auto& opt = optional_components();
                  if (std::find(opt.begin(), opt.end(), c) == opt.end()) {
                      throw usage_error("--enable: unknown component \"" + c +
                                        "\" (ghostctl runs: metrics-server)");
                  }
                  co.enabled.insert(c);
              }
          });
    f.add("enable-metrics-server", 0, true, "bool",
          "run metrics-server (kwokctl's older spelling of --enable metrics-server)",
          [&co](const std::string& v) {
              if (engine::parse_bool(v)) co.enabled.insert("metrics-server");
              else co.enabled.erase("metrics-server");
          });
    f.add("replicas", 0, false, "int", "number of objects wanted (kwokctl's default: 1)",
          [&cmd](const std::string& v) { cmd.scale.replicas = to_int(v, 0, 10'000'000); });
    f.integer("serial-length", &cmd.scale.serial_length, 1, 12,
              "digits of the serial in object names");
    f.string_array("param", &cmd.scale.params, "jq assignment, e.g. '.nodeName=\"n\"' (repeatable)");
    f.string("namespace", &cmd.scale.ns,
             "namespace of scaled objects (default: the template's, else default)", 'n');
    f.string("path", &cmd.snapshot.path, "path to the snapshot");
    f.add("format", 0, false, "string", "format of the snapshot file (etcd, k8s) (default etcd)",
          [&cmd](const std::string& v) {
              if (v != "etcd" && v != "k8s")
                  throw engine::invalid_value("expected etcd or k8s, got \"" + v + "\"");
              cmd.snapshot.format = v;
          });
    f.string_slice("filter", &cmd.snapshot.filters,
                   "kinds to save or restore, k8s format only (default: kwokctl's list)");
    f.add("speed", 0, false, "float",
          "restore: replay recorded changes this many times faster (default 1)",
          [&cmd](const std::string& v) {
              cmd.snapshot.speed = to_double(v, 0, 1e6);
              if (cmd.snapshot.speed <= 0)
                  throw engine::invalid_value("expected a number above 0, got \"" + v + "\"");
          });
    f.string("as", &cmd.snapshot.as_user, "export: user to impersonate");
    f.string_slice("as-group", &cmd.snapshot.as_groups,
                   "export: group to impersonate (repeatable; needs --as)");
    f.integer("page-size", &cmd.snapshot.page_size, 1, 1'000'000, "export: objects per list page");
    f.integer("page-buffer-size", &cmd.snapshot.page_buffer_size, 1, 1'000'000,
              "export: list pages fetched ahead while earlier ones are written");
    f.boolean("record", &cmd.snapshot.record,
              "export: go on recording changes until SIGINT or SIGTERM");
    return f;
}

std::string with_flags(const engine::flag_set& f, const std::string& head,
                       const std::vector<std::string>& names) {
    std::string out = head;
    if (!names.empty()) out += "\nFlags:\n" + f.usage(names);
    out += "\nGlobal flags:\n" + f.usage(global_flags);
    return out;
}

}  // namespace

const std::vector<std::string>& known_components() {
    static const std::vector<std::string> v{"etcd", "kube-apiserver", "kube-controller-manager",
                                            "kube-scheduler", "ghostlet", "metrics-server"};
    return v;
}

std::string canonical_component(const std::string& name) {
    return name == "kwok-controller" ? "ghostlet" : name;
}

void apply_heartbeat_factor(create_options& o) {
    const double f = o.heartbeat_factor;
    if (f == 0 || f == 1) return;
    o.node_lease_duration_seconds = static_cast<int>(o.node_lease_duration_seconds * f);
    o.node_status_update_frequency_ms =
        static_cast<std::int64_t>(static_cast<double>(o.node_status_update_frequency_ms) * f);
    o.node_monitor_period_ms =
        static_cast<std::int64_t>(static_cast<double>(o.node_monitor_period_ms) * f);
    o.node_monitor_grace_period_ms =
        static_cast<std::int64_t>(static_cast<double>(o.node_monitor_grace_period_ms) * f);
    o.heartbeat_factor = 1;
}

void set_create_flag(command& cmd, const std::string& flag, const std::string& value) {
    bool help = false;
    auto flags = make_flags(cmd, help);
    try {
        flags.set(flag, value);
    } catch (const engine::invalid_value& e) {
        throw usage_error(e.what());
    } catch (const std::out_of_range&) {
        throw usage_error("no such ghostctl flag --" + flag);
    }
}

const std::vector<std::string>& optional_components() {
    static const std::vector<std::string> v{"metrics-server"};
    return v;
}

std::chrono::milliseconds parse_duration(const std::string& text) {
    auto bad = [&] {
        return usage_error("invalid duration \"" + text +
                           "\": expected e.g. 90s, 2m, 1m30s, 500ms or a number of seconds");
    };
    if (text.empty()) throw bad();
    if (std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(c) != 0; })) {
        std::int64_t n = 0;
        try {
            n = engine::parse_int(text, 0, 1'000'000);
        } catch (const engine::invalid_value&) {
            throw bad();
        }
        return std::chrono::seconds(n);
    }
    auto d = lang::parse_go_duration(text);
    if (!d || *d < std::chrono::nanoseconds(0)) throw bad();
    return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

extra_arg parse_extra_arg(const std::string& text) {
    auto first = text.find('=');
    if (first == std::string::npos || first == 0 || first + 1 >= text.size()) {
        throw usage_error("invalid --extra-args \"" + text +
                          "\": expected COMPONENT=KEY=VALUE, e.g. kube-apiserver=v=4");
    }
    extra_arg out;
    out.component = canonical_component(text.substr(0, first));
    auto& comps = known_components();
    if (std::find(comps.begin(), comps.end(), out.component) == comps.end()) {
        throw usage_error("invalid --extra-args \"" + text + "\": unknown component \"" +
                          out.component + "\"");
    }
    auto second = text.find('=', first + 1);
    if (second == std::string::npos) {
        out.key = text.substr(first + 1);
        out.has_value = false;
    } else {
        out.key = text.substr(first + 1, second - first - 1);
        out.value = text.substr(second + 1);
    }
    while (!out.key.empty() && out.key[0] == '-') out.key.erase(0, 1);
    if (out.key.empty()) {
        throw usage_error("invalid --extra-args \"" + text + "\": empty flag name");
    }
    return out;
}

command parse_command_line(const std::vector<std::string>& args) {
    command cmd;
    bool help = false;
    auto flags = make_flags(cmd, help);
    engine::flag_set::parse_result parsed;
    try {
        // Everything after "kubectl" (or "etcdctl") belongs to that program.
        parsed = flags.parse(args, [](const std::vector<std::string>& words) {
            return words.size() == 1 && (words[0] == "kubectl" || words[0] == "etcdctl");
        });
    } catch (const engine::flag_error& e) {
        throw usage_error(std::string(e.what()) + " (see ghostctl --help)");
    }
    const auto& words = parsed.positionals;
    cmd.rest = parsed.rest;
    cmd.changed_flags = flags.changed_flags();
    cmd.create.verbosity = cmd.verbosity;
    if (cmd.name.empty()) throw usage_error("--name must not be empty");
    for (char c : cmd.name) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
            throw usage_error("invalid cluster name \"" + cmd.name +
                              "\": use letters, digits, '-', '_' and '.'");
        }
    }

    auto help_cmd = [&](std::string text) {
        cmd.kind = command_kind::help;
        cmd.help_text = std::move(text);
        return cmd;
    };
    auto top = [&] {
        return help_cmd(std::string(top_help) + "\nGlobal flags:\n" + flags.usage(global_flags) +
                        environment_help);
    };
    if (words.empty()) return top();
    auto only = [&](const std::string& what, const std::vector<std::string>& ok) {
        for (const auto& f : flags.changed_flags()) {
            if (std::find(global_flags.begin(), global_flags.end(), f) != global_flags.end())
                continue;
            if (std::find(ok.begin(), ok.end(), f) == ok.end()) {
                throw usage_error("flag --" + f + " is not valid for \"" + what + "\"");
            }
        }
    };
    const std::string& verb = words[0];
    std::string noun = words.size() > 1 ? words[1] : "";
    auto no_more = [&](std::size_t n) {
        if (words.size() > n) throw usage_error("unexpected argument \"" + words[n] + "\"");
    };
    if (verb == "help") return top();
    if (verb == "kubectl") {
        if (help && cmd.rest.empty()) return help_cmd(with_flags(flags, kubectl_help, {}));
        cmd.kind = command_kind::kubectl;
        return cmd;
    }
    if (verb == "etcdctl") {
        if (help && cmd.rest.empty()) return help_cmd(with_flags(flags, etcdctl_help, {}));
        cmd.kind = command_kind::etcdctl;
        return cmd;
    }
    if (verb == "scale") {
        if (help) return help_cmd(with_flags(flags, scale_help, scale_flags));
        only("scale", scale_flags);
        if (noun.empty()) {
            throw usage_error("scale needs a resource: node, pod or a KwokctlResource's name, "
                              "e.g. ghostctl scale node --replicas 10");
        }
        no_more(3);
        cmd.kind = command_kind::scale;
        cmd.scale.resource = noun;
        cmd.scale.object_name = words.size() > 2 ? words[2] : noun;
        return cmd;
    }
    if (verb == "port-forward") {
        if (help) return help_cmd(with_flags(flags, port_forward_help, port_forward_flags));
        only("port-forward", port_forward_flags);
        if (words.size() < 3) {
            throw usage_error("port-forward needs a component and LOCAL-PORT:PORT, e.g. "
                              "ghostctl port-forward kube-apiserver 8443:https");
        }
        no_more(3);
        cmd.kind = command_kind::port_forward;
        cmd.port_forward.component = noun;
        std::tie(cmd.port_forward.local_port, cmd.port_forward.target) =
            parse_port_mapping(words[2]);
        return cmd;
    }
    if (verb == "export") {
        auto h = with_flags(flags, export_help, {});
        if (help) return help_cmd(h);
        if (noun != "logs") {
            if (noun.empty()) throw usage_error("export needs: logs\n" + h);
            throw usage_error("unknown \"export\" target \"" + noun + "\" (expected logs)");
        }
        only("export logs", {});
        no_more(3);
        cmd.kind = command_kind::export_logs;
        cmd.export_dir = words.size() > 2 ? words[2] : "";
        return cmd;
    }
    if (verb == "logs") {
        if (help) return help_cmd(with_flags(flags, logs_help, logs_flags));
        only("logs", logs_flags);
        if (noun.empty()) throw usage_error("logs needs a component name, e.g. ghostctl logs etcd");
        no_more(2);
        cmd.kind = command_kind::logs;
        cmd.component = noun;
        return cmd;
    }
    auto need_noun = [&](std::initializer_list<std::string_view> ok, const std::string& h) {
        if (std::find(ok.begin(), ok.end(), noun) == ok.end()) {
            std::string list;
            for (auto n : ok) list += (list.empty() ? "" : ", ") + std::string(n);
            if (noun.empty()) throw usage_error(verb + " needs one of: " + list + "\n" + h);
            throw usage_error("unknown \"" + verb + "\" target \"" + noun + "\" (expected " +
                              list + ")");
        }
        no_more(2);
    };
    if (verb == "snapshot" && noun == "export") {
        if (help) return help_cmd(with_flags(flags, snapshot_export_help, snapshot_export_flags));
        no_more(2);
        only("snapshot export", snapshot_export_flags);
        if (cmd.snapshot.path.empty()) throw usage_error("snapshot export: --path is required");
        if (!cmd.snapshot.as_groups.empty() && cmd.snapshot.as_user.empty())
            throw usage_error("snapshot export: --as-group needs --as (a user to impersonate)");
        cmd.snapshot.kubeconfig = cmd.create.kubeconfig.value_or("");
        cmd.snapshot.format = "k8s";
        cmd.kind = command_kind::snapshot_export;
        return cmd;
    }
    if (verb == "snapshot") {
        auto h = with_flags(flags, snapshot_help, snapshot_flags);
        if (help) return help_cmd(h);
        need_noun({"save", "restore", "export"}, h);
        const std::vector<std::string> save_flags{"path", "format", "filter"};
        only("snapshot " + noun, noun == "save" ? save_flags : snapshot_flags);
        if (cmd.snapshot.path.empty())
            throw usage_error("snapshot " + noun + ": --path is required");
        cmd.kind = noun == "save" ? command_kind::snapshot_save : command_kind::snapshot_restore;
        return cmd;
    }
    if (verb == "create") {
        auto h = with_flags(flags, create_help, create_flags);
        if (help) return help_cmd(h);
        need_noun({"cluster"}, h);
        only("create cluster", create_flags);
        cmd.kind = command_kind::create_cluster;
        return cmd;
    }
    if (verb == "delete") {
        if (help) return help_cmd(with_flags(flags, delete_help, delete_flags));
        need_noun({"cluster"}, delete_help);
        only("delete cluster", delete_flags);
        cmd.kind = command_kind::delete_cluster;
        return cmd;
    }
    if (verb == "start") {
        if (help) return help_cmd(with_flags(flags, start_help, start_flags));
        need_noun({"cluster"}, start_help);
        only("start cluster", start_flags);
        cmd.kind = command_kind::start_cluster;
        return cmd;
    }
    if (verb == "stop") {
        if (help) return help_cmd(with_flags(flags, stop_help, {}));
        need_noun({"cluster"}, stop_help);
        only("stop cluster", {});
        cmd.kind = command_kind::stop_cluster;
        return cmd;
    }
    if (verb == "get") {
        if (help) {
            auto names = get_flags;
            names.insert(names.end(), kubeconfig_flags.begin(), kubeconfig_flags.end());
            return help_cmd(with_flags(flags, get_help, names));
        }
        need_noun({"clusters", "kubeconfig", "components"}, get_help);
        only("get " + noun, noun == "kubeconfig" ? kubeconfig_flags : get_flags);
        if (cmd.kubeconfig.user.empty())
            throw usage_error("--user: expected a user name, got \"\"");
        for (const auto& g : cmd.kubeconfig.groups)
            if (g.empty()) throw usage_error("--group: expected group names, got an empty one");
        cmd.kind = noun == "clusters"     ? command_kind::get_clusters
                   : noun == "kubeconfig" ? command_kind::get_kubeconfig
                                          : command_kind::get_components;
        return cmd;
    }
    if (help) return top();
    throw usage_error("unknown command \"" + verb + "\" (see ghostctl --help)");
}

}  // namespace ghost::ghostctl
