#include "apps/ghostctl/options.hpp"

#include "engine/flags.hpp"
#include "stages/kwok_kinds.hpp"
#include "lang/duration.hpp"

#include <algorithm>
#include <charconv>
#include <cctype>

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
    "  scale node|pod       create/delete fake nodes or pods (--replicas N)\n"
    "  snapshot save|restore  save or restore the cluster's objects (--path, --format etcd|k8s)\n"
    "  etcdctl [args...]    run etcdctl against the cluster's etcd\n";

const char* const environment_help =
    "\nEnvironment: GHOST_WORKDIR (default ~/.ghost), GHOST_BIN_DIR (control-plane binaries,\n"
    "default $GHOSTLET_CACHE/bin/current), GHOST_GHOSTLET_BINARY, KUBECONFIG.\n";

const char* const create_help = "Usage: ghostctl create cluster [--name NAME] [flags]\n";
const char* const delete_help =
    "Usage: ghostctl delete cluster [--name NAME] [--all]\n"
    "Stops every process of the cluster and removes its work directory and kubeconfig context.\n";
const char* const start_help = "Usage: ghostctl start cluster [--name NAME] [--wait DURATION]\n";
const char* const stop_help = "Usage: ghostctl stop cluster [--name NAME]\n";
const char* const get_help =
    "Usage: ghostctl get clusters | get kubeconfig [--name NAME] | get components [--name NAME]\n";
const char* const logs_help = "Usage: ghostctl logs <component> [--name NAME] [-f|--follow]\n";
const char* const scale_help =
    "Usage: ghostctl [--name NAME] scale node|pod [PREFIX] --replicas N [--param '.key=value']...\n"
    "         [--serial-length 6] [-n NAMESPACE]\n"
    "Creates or deletes fake nodes or pods named PREFIX-000000... until exactly N exist (as\n"
    "kwokctl scale). Node parameters: .podCIDR .podCIDRv6 .internalIP .internalIPv6\n"
    ".allocatable .labels .annotations; pod parameters: .nodeName .hostNetwork .image\n"
    ".resources .labels .annotations.\n";

const char* const snapshot_help =
    "Usage: ghostctl [--name NAME] snapshot save|restore --path PATH [--format etcd|k8s]\n"
    "         [--filter KINDS]\n"
    "etcd: save is etcdctl snapshot save; restore runs etcdutl snapshot restore into a new data\n"
    "directory and swaps it in while the components are stopped, then restarts them.\n"
    "k8s: YAML documents of the filtered kinds; restore creates them in order (owner references\n"
    "re-linked to the new uids) with kube-controller-manager, kube-scheduler and ghostlet\n"
    "stopped, and leaves objects that are not in the file alone.\n";

const char* const etcdctl_help =
    "Usage: ghostctl [--name NAME] etcdctl [etcdctl args...]\n"
    "Runs the pinned etcdctl with --endpoints pointing at the cluster's etcd.\n";

const char* const kubectl_help =
    "Usage: ghostctl [--name NAME] kubectl [kubectl args...]\n"
    "Runs the pinned kubectl with --kubeconfig pointing at the cluster.\n";

// The flags each command takes besides the global ones (--name, --help).
const std::vector<std::string> create_flags = {
    "disable-qps-limits", "extra-args", "disable", "kube-apiserver-port", "wait",
    "heartbeat-factor", "node-lease-duration-seconds", "enable-crds", "enable",
    "enable-metrics-server"};
const std::vector<std::string> delete_flags = {"all"};
const std::vector<std::string> start_flags = {"wait"};
const std::vector<std::string> logs_flags = {"follow"};
const std::vector<std::string> scale_flags = {"replicas", "serial-length", "param", "namespace"};
const std::vector<std::string> snapshot_flags = {"path", "format", "filter"};
const std::vector<std::string> global_flags = {"name", "help"};

int to_int(const std::string& v, int lo, int hi) {
    return static_cast<int>(engine::parse_int(v, lo, hi));
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
              for (const auto& c : engine::split_csv(v)) {
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
    f.integer("heartbeat-factor", &co.heartbeat_factor, 1, 1000,
              "multiplies lease/monitor periods");
    f.integer("node-lease-duration-seconds", &co.node_lease_duration_seconds, 1, 3600,
              "node lease duration before the factor");
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
              for (const auto& c : engine::split_csv(v)) {
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
    f.add("replicas", 0, false, "int", "number of objects wanted",
          [&cmd](const std::string& v) { cmd.scale.replicas = to_int(v, 0, 10'000'000); });
    f.integer("serial-length", &cmd.scale.serial_length, 1, 12,
              "digits of the serial in object names");
    f.string_array("param", &cmd.scale.params, "jq assignment, e.g. '.nodeName=\"n\"' (repeatable)");
    f.string("namespace", &cmd.scale.ns, "namespace of scaled pods", 'n');
    f.string("path", &cmd.snapshot.path, "path to the snapshot");
    f.add("format", 0, false, "string", "format of the snapshot file (etcd, k8s) (default etcd)",
          [&cmd](const std::string& v) {
              if (v != "etcd" && v != "k8s")
                  throw engine::invalid_value("expected etcd or k8s, got \"" + v + "\"");
              cmd.snapshot.format = v;
          });
    f.string_slice("filter", &cmd.snapshot.filters,
                   "kinds to save or restore, k8s format only (default: kwokctl's list)");
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
    out.component = text.substr(0, first);
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
            if (f == "name" || f == "help") continue;
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
        if (noun != "node" && noun != "pod") {
            throw usage_error("scale needs node or pod, e.g. ghostctl scale node --replicas 10");
        }
        if (cmd.scale.replicas < 0) {
            throw usage_error("scale " + noun + ": --replicas is required");
        }
        no_more(3);
        cmd.kind = command_kind::scale;
        cmd.scale.resource = noun;
        cmd.scale.object_name = words.size() > 2 ? words[2] : noun;
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
    if (verb == "snapshot") {
        auto h = with_flags(flags, snapshot_help, snapshot_flags);
        if (help) return help_cmd(h);
        need_noun({"save", "restore"}, h);
        only("snapshot " + noun, snapshot_flags);
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
        if (help) return help_cmd(with_flags(flags, get_help, {}));
        need_noun({"clusters", "kubeconfig", "components"}, get_help);
        only("get " + noun, {});
        cmd.kind = noun == "clusters"     ? command_kind::get_clusters
                   : noun == "kubeconfig" ? command_kind::get_kubeconfig
                                          : command_kind::get_components;
        return cmd;
    }
    if (help) return top();
    throw usage_error("unknown command \"" + verb + "\" (see ghostctl --help)");
}

}  // namespace ghost::ghostctl
