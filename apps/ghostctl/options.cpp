#include "apps/ghostctl/options.hpp"

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
    "\n"
    "Global flags:\n"
    "  --name NAME          cluster name (default \"ghost\")\n"
    "  -h, --help           help for any command\n"
    "\n"
    "Environment: GHOST_WORKDIR (default ~/.ghost), GHOST_BIN_DIR (control-plane binaries,\n"
    "default $GHOSTLET_CACHE/bin/current), GHOST_GHOSTLET_BINARY, KUBECONFIG.\n";

const char* const create_help =
    "Usage: ghostctl create cluster [--name NAME] [flags]\n"
    "\n"
    "Flags:\n"
    "  --disable-qps-limits               lift apiserver inflight limits and client QPS limits\n"
    "  --extra-args COMPONENT=KEY=VALUE   extra flag for a component (repeatable)\n"
    "  --disable COMPONENT[,COMPONENT]    do not run a component (not etcd/kube-apiserver)\n"
    "  --kube-apiserver-port PORT         apiserver port (default: first free from 32766 down)\n"
    "  --wait DURATION                    how long to wait for readiness (default 2m)\n"
    "  --heartbeat-factor N               multiplies lease/monitor periods (default 5)\n"
    "  --node-lease-duration-seconds N    node lease duration before the factor (default 40)\n";

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

const char* const kubectl_help =
    "Usage: ghostctl [--name NAME] kubectl [kubectl args...]\n"
    "Runs the pinned kubectl with --kubeconfig pointing at the cluster.\n";

bool starts_with(const std::string& s, std::string_view p) {
    return s.size() >= p.size() && std::string_view(s).substr(0, p.size()) == p;
}

int parse_int(const std::string& flag, const std::string& v, int lo, int hi) {
    int out = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || ptr != v.data() + v.size() || out < lo || out > hi) {
        throw usage_error("invalid value \"" + v + "\" for " + flag + ": expected an integer in [" +
                          std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    return out;
}

// Pulls flags out of args; positional words stay in order.
struct flag_reader {
    const std::vector<std::string>& args;
    std::size_t i = 0;

    // For "--flag=value" or "--flag value"; returns the value.
    std::string value(const std::string& arg, const std::string& flag) {
        auto eq = arg.find('=');
        if (eq != std::string::npos) return arg.substr(eq + 1);
        if (i + 1 >= args.size()) throw usage_error("flag " + flag + " needs a value");
        return args[++i];
    }
};

std::string flag_name(const std::string& arg) {
    auto eq = arg.find('=');
    return eq == std::string::npos ? arg : arg.substr(0, eq);
}

}  // namespace

const std::vector<std::string>& known_components() {
    static const std::vector<std::string> v{"etcd", "kube-apiserver", "kube-controller-manager",
                                            "kube-scheduler", "ghostlet"};
    return v;
}

std::chrono::milliseconds parse_duration(const std::string& text) {
    auto bad = [&] {
        return usage_error("invalid duration \"" + text +
                           "\": expected e.g. 90s, 2m, 1m30s, 500ms or a number of seconds");
    };
    if (text.empty()) throw bad();
    if (std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(c) != 0; })) {
        return std::chrono::seconds(parse_int("duration", text, 0, 1'000'000));
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
    while (starts_with(out.key, "-")) out.key.erase(0, 1);
    if (out.key.empty()) {
        throw usage_error("invalid --extra-args \"" + text + "\": empty flag name");
    }
    return out;
}

command parse_command_line(const std::vector<std::string>& args) {
    command cmd;
    std::vector<std::string> words;
    bool help = false;
    flag_reader r{args};
    create_options& co = cmd.create;
    // Flags are collected first; which ones are legal depends on the command, checked below.
    std::vector<std::string> used_flags;
    for (; r.i < args.size(); ++r.i) {
        const std::string& a = args[r.i];
        if (words.size() == 1 && words[0] == "kubectl") {
            // Everything after "kubectl" belongs to kubectl.
            cmd.rest.assign(args.begin() + static_cast<std::ptrdiff_t>(r.i), args.end());
            break;
        }
        if (a == "--") {
            for (++r.i; r.i < args.size(); ++r.i) words.push_back(args[r.i]);
            break;
        }
        if (!starts_with(a, "-") || a == "-") {
            words.push_back(a);
            continue;
        }
        std::string f = flag_name(a);
        used_flags.push_back(f);
        if (f == "-h" || f == "--help") help = true;
        else if (f == "--name") {
            cmd.name = r.value(a, f);
        } else if (f == "--all") cmd.all = true;
        else if (f == "-f" || f == "--follow") cmd.follow = true;
        else if (f == "--disable-qps-limits") co.disable_qps_limits = true;
        else if (f == "--extra-args") co.extra_args.push_back(parse_extra_arg(r.value(a, f)));
        else if (f == "--disable") {
            std::string v = r.value(a, f);
            std::size_t pos = 0;
            while (pos <= v.size()) {
                auto comma = v.find(',', pos);
                std::string c = v.substr(pos, comma == std::string::npos ? comma : comma - pos);
                pos = comma == std::string::npos ? v.size() + 1 : comma + 1;
                if (c.empty()) continue;
                if (c == "etcd" || c == "kube-apiserver") {
                    throw usage_error("cannot disable " + c +
                                      ": etcd and kube-apiserver are required");
                }
                auto& comps = known_components();
                if (std::find(comps.begin(), comps.end(), c) == comps.end()) {
                    throw usage_error("--disable: unknown component \"" + c +
                                      "\" (known: kube-controller-manager, kube-scheduler, "
                                      "ghostlet)");
                }
                co.disabled.insert(c);
            }
        } else if (f == "--kube-apiserver-port") {
            co.kube_apiserver_port =
                static_cast<std::uint16_t>(parse_int(f, r.value(a, f), 1, 65535));
        } else if (f == "--wait") {
            co.wait = parse_duration(r.value(a, f));
        } else if (f == "--heartbeat-factor") {
            co.heartbeat_factor = parse_int(f, r.value(a, f), 1, 1000);
        } else if (f == "--replicas") {
            cmd.scale.replicas = parse_int(f, r.value(a, f), 0, 10'000'000);
        } else if (f == "--serial-length") {
            cmd.scale.serial_length = parse_int(f, r.value(a, f), 1, 12);
        } else if (f == "--param") {
            cmd.scale.params.push_back(r.value(a, f));
        } else if (f == "-n" || f == "--namespace") {
            cmd.scale.ns = r.value(a, f);
        } else if (f == "--node-lease-duration-seconds") {
            co.node_lease_duration_seconds = parse_int(f, r.value(a, f), 1, 3600);
        } else {
            throw usage_error("unknown flag: " + f + " (see ghostctl --help)");
        }
    }
    if (cmd.name.empty()) throw usage_error("--name must not be empty");
    for (char c : cmd.name) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
            throw usage_error("invalid cluster name \"" + cmd.name +
                              "\": use letters, digits, '-', '_' and '.'");
        }
    }

    auto help_cmd = [&](const char* text) {
        cmd.kind = command_kind::help;
        cmd.help_text = text;
        return cmd;
    };
    if (words.empty()) return help_cmd(top_help);
    auto only = [&](const std::string& what, std::initializer_list<std::string_view> ok) {
        for (auto& f : used_flags) {
            if (f == "--name" || f == "-h" || f == "--help") continue;
            if (std::find(ok.begin(), ok.end(), f) == ok.end()) {
                throw usage_error("flag " + f + " is not valid for \"" + what + "\"");
            }
        }
    };
    const std::string& verb = words[0];
    std::string noun = words.size() > 1 ? words[1] : "";
    auto no_more = [&](std::size_t n) {
        if (words.size() > n) throw usage_error("unexpected argument \"" + words[n] + "\"");
    };
    if (verb == "help") return help_cmd(top_help);
    if (verb == "kubectl") {
        if (help && cmd.rest.empty()) return help_cmd(kubectl_help);
        cmd.kind = command_kind::kubectl;
        return cmd;
    }
    if (verb == "scale") {
        if (help) return help_cmd(scale_help);
        only("scale", {"--replicas", "--serial-length", "--param", "-n", "--namespace"});
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
        if (help) return help_cmd(logs_help);
        only("logs", {"-f", "--follow"});
        if (noun.empty()) throw usage_error("logs needs a component name, e.g. ghostctl logs etcd");
        no_more(2);
        cmd.kind = command_kind::logs;
        cmd.component = noun;
        return cmd;
    }
    auto need_noun = [&](std::initializer_list<std::string_view> ok, const char* h) {
        if (std::find(ok.begin(), ok.end(), noun) == ok.end()) {
            std::string list;
            for (auto n : ok) list += (list.empty() ? "" : ", ") + std::string(n);
            if (noun.empty()) throw usage_error(verb + " needs one of: " + list + "\n" + h);
            throw usage_error("unknown \"" + verb + "\" target \"" + noun + "\" (expected " +
                              list + ")");
        }
        no_more(2);
    };
    if (verb == "create") {
        if (help) return help_cmd(create_help);
        need_noun({"cluster"}, create_help);
        only("create cluster", {"--disable-qps-limits", "--extra-args", "--disable",
                                "--kube-apiserver-port", "--wait", "--heartbeat-factor",
                                "--node-lease-duration-seconds"});
        cmd.kind = command_kind::create_cluster;
        return cmd;
    }
    if (verb == "delete") {
        if (help) return help_cmd(delete_help);
        need_noun({"cluster"}, delete_help);
        only("delete cluster", {"--all"});
        cmd.kind = command_kind::delete_cluster;
        return cmd;
    }
    if (verb == "start") {
        if (help) return help_cmd(start_help);
        need_noun({"cluster"}, start_help);
        only("start cluster", {"--wait"});
        cmd.kind = command_kind::start_cluster;
        return cmd;
    }
    if (verb == "stop") {
        if (help) return help_cmd(stop_help);
        need_noun({"cluster"}, stop_help);
        only("stop cluster", {});
        cmd.kind = command_kind::stop_cluster;
        return cmd;
    }
    if (verb == "get") {
        if (help) return help_cmd(get_help);
        need_noun({"clusters", "kubeconfig", "components"}, get_help);
        only("get " + noun, {});
        cmd.kind = noun == "clusters"     ? command_kind::get_clusters
                   : noun == "kubeconfig" ? command_kind::get_kubeconfig
                                          : command_kind::get_components;
        return cmd;
    }
    if (help) return help_cmd(top_help);
    throw usage_error("unknown command \"" + verb + "\" (see ghostctl --help)");
}

}  // namespace ghost::ghostctl
