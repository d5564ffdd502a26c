#include "apps/ghostctl/kwokctl_config.hpp"

#include "apps/ghostctl/metrics_server.hpp"
#include "lang/yaml_documents.hpp"
#include "stages/config_files.hpp"
#include "stages/default_stages.hpp"
#include "stages/kwok_kinds.hpp"
#include "stages/stage.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace ghost::ghostctl {
namespace {

// KwokctlConfiguration options ghostctl maps onto its flags, in the order they are applied
// (components before enable/disable, which adjust it).
const std::vector<std::pair<std::string_view, std::string_view>>& mapped_options() {
    static const std::vector<std::pair<std::string_view, std::string_view>> v{
        {"runtime", "runtime"},
        {"components", "components"},
        {"disable", "disable"},
        {"enable", "enable"},
        {"disableKubeScheduler", "disable-kube-scheduler"},
        {"disableKubeControllerManager", "disable-kube-controller-manager"},
        {"enableMetricsServer", "enable-metrics-server"},
        {"enableCRDs", "enable-crds"},
        {"kubeApiserverPort", "kube-apiserver-port"},
        {"etcdPort", "etcd-port"},
        {"etcdPeerPort", "etcd-peer-port"},
        {"kubeControllerManagerPort", "kube-controller-manager-port"},
        {"kubeSchedulerPort", "kube-scheduler-port"},
        {"kwokControllerPort", "controller-port"},
        {"metricsServerPort", "metrics-server-port"},
        {"kubeSchedulerConfig", "kube-scheduler-config"},
        {"kubeFeatureGates", "kube-feature-gates"},
        {"kubeRuntimeConfig", "kube-runtime-config"},
        {"kubeAuditPolicy", "kube-audit-policy"},
        {"kubeAuthorization", "kube-authorization"},
        {"kubeAdmission", "kube-admission"},
        {"etcdPrefix", "etcd-prefix"},
        {"disableQPSLimits", "disable-qps-limits"},
        {"nodeLeaseDurationSeconds", "node-lease-duration-seconds"},
        {"heartbeatFactor", "heartbeat-factor"},
        {"nodeStatusUpdateFrequencyMilliseconds", "node-status-update-frequency-milliseconds"},
        {"kubeControllerManagerNodeMonitorPeriodMilliseconds",
         "kube-controller-manager-node-monitor-period-milliseconds"},
        {"kubeControllerManagerNodeMonitorGracePeriodMilliseconds",
         "kube-controller-manager-node-monitor-grace-period-milliseconds"},
    };
    return v;
}

// kwokctl v0.8.0 options ghostctl has no use for: accepted with a warning naming them.
const std::set<std::string, std::less<>>& ignored_options() {
    static const std::set<std::string, std::less<>> v{
        "kubeApiserverInsecurePort", "insecureKubeconfig", "prometheusPort", "jaegerPort",
        "jaegerOtlpGrpcPort", "kwokVersion", "kubeVersion", "etcdVersion", "kectlVersion",
        "dashboardVersion", "dashboardMetricsScraperVersion", "prometheusVersion",
        "jaegerVersion", "metricsServerVersion", "schedulerPluginsVersion", "kueueVersion",
        "jobsetVersion", "lwsVersion", "deschedulerVersion", "kindVersion", "quietPull",
        "kubeImagePrefix", "etcdImagePrefix", "kwokImagePrefix", "dashboardImagePrefix",
        "prometheusImagePrefix", "jaegerImagePrefix", "metricsServerImagePrefix",
        "schedulerPluginsImagePrefix", "kueueImagePrefix", "jobsetImagePrefix",
        "lwsImagePrefix", "deschedulerImagePrefix", "etcdImage", "kubeApiserverImage",
        "kubeControllerManagerImage", "kubeSchedulerImage", "kubectlImage",
        "kwokControllerImage", "dashboardImage", "dashboardMetricsScraperImage",
        "prometheusImage", "jaegerImage", "metricsServerImage", "metricsServerManifests",
        "schedulerPluginsControllerImage", "schedulerPluginsSchedulerImage",
        "schedulerPluginsManifests", "kueueImage", "kueueManifests", "jobsetImage",
        "jobsetManifests", "lwsImage", "lwsManifests", "deschedulerImage",
        "deschedulerManifests", "kueuevizFrontendImage", "kueuevizBackendImage",
        "kindNodeImagePrefix", "kindNodeImage", "binSuffix", "kubeBinaryPrefix",
        "kubeApiserverBinary", "kubeControllerManagerBinary", "kubeSchedulerBinary",
        "kubectlBinary", "etcdBinaryPrefix", "etcdctlBinary", "etcdutlBinary", "kectlBinary",
        "etcdBinary", "etcdBinaryTar", "kwokBinaryPrefix", "kwokControllerBinary",
        "prometheusBinaryPrefix", "prometheusBinary", "prometheusBinaryTar",
        "jaegerBinaryPrefix", "jaegerBinary", "jaegerBinaryTar", "metricsServerBinaryPrefix",
        "metricsServerBinary", "kindBinaryPrefix", "kindBinary", "dashboardPort",
        "kueuevizPort", "cacheDir", "bindAddress", "kubeApiserverCertSANs",
        "etcdQuotaBackendSize"};
    return v;
}

// A YAML scalar or list as a flag value (lists comma-joined, as a StringSlice flag takes them).
std::string flag_value(const YAML::Node& v, const std::string& where) {
    if (v.IsScalar()) return v.Scalar();
    if (v.IsSequence()) {
        std::string out;
        for (const auto& item : v) {
            if (!item.IsScalar()) throw config_error(where + ": expected a list of strings");
            out += (out.empty() ? "" : ",") + item.Scalar();
        }
        return out;
    }
    if (v.IsNull()) return "";
    throw config_error(where + ": expected a value or a list, got a mapping");
}

std::string text_of(const YAML::Node& n, const std::string& where) {
    if (!n || n.IsNull()) return "";
    if (!n.IsScalar()) throw config_error(where + ": expected a string");
    return n.Scalar();
}

void for_each_key(const YAML::Node& map, const std::string& where,
                  const std::function<void(const std::string&, const YAML::Node&)>& f) {
    if (!map || map.IsNull()) return;
    if (!map.IsMap()) throw config_error(where + ": expected a mapping");
    for (auto it = map.begin(); it != map.end(); ++it) {
        auto key = lang::map_key(it->first);
        if (!key) throw config_error(where + ": expected string keys");
        f(*key, it->second);
    }
}

void read_options(const YAML::Node& options, const std::string& where, kwokctl_documents& out) {
    std::map<std::string, std::string> given;
    for_each_key(options, where + ": options", [&](const std::string& key, const YAML::Node& v) {
        std::string field = where + ": options." + key;
        auto& mapped = mapped_options();
        bool is_mapped = std::any_of(mapped.begin(), mapped.end(),
                                     [&](const auto& m) { return m.first == key; });
        if (is_mapped) {
            auto value = flag_value(v, field);
            // kwokctl's omitempty numbers: 0 means unset (its default, a scanned port).
            bool unset_zero = value == "0" && key != "heartbeatFactor";
            if (!unset_zero) given[key] = value;
        } else if (key == "runtimes") {
            auto list = flag_value(v, field);
            if (list.find("binary") == std::string::npos)
                throw config_error(field + ": ghostctl runs only the binary runtime, got [" +
                                   list + "]");
        } else if (key == "securePort") {
            if (flag_value(v, field) == "false")
                out.warnings.push_back(field + ": false is not supported; kube-apiserver "
                                               "serves HTTPS only");
        } else if (ignored_options().count(key)) {
            out.warnings.push_back(field + ": not used by ghostctl (binaries come from "
                                           "GHOST_BIN_DIR, components run as processes); ignored");
        } else {
            throw config_error(field + ": unknown KwokctlConfiguration option");
        }
    });
    for (const auto& [key, flag] : mapped_options()) {
        auto it = given.find(std::string(key));
        if (it != given.end())
            out.options.push_back({where + ": options." + it->first, std::string(flag), it->second});
    }
}

void read_patches(const YAML::Node& list, const std::string& where, kwokctl_documents& out) {
    if (!list || list.IsNull()) return;
    if (!list.IsSequence()) throw config_error(where + ": componentsPatches: expected a list");
    for (std::size_t i = 0; i < list.size(); ++i) {
        std::string at = where + ": componentsPatches[" + std::to_string(i) + "]";
        component_patch p;
        const YAML::Node& entry = list[i];
        for_each_key(entry, at, [&](const std::string& key, const YAML::Node& v) {
            std::string field = at + "." + key;
            if (key == "name") {
                p.component = canonical_component(text_of(v, field));
                auto& comps = known_components();
                if (std::find(comps.begin(), comps.end(), p.component) != comps.end()) return;
                static const std::set<std::string, std::less<>> not_run{
                    "prometheus", "jaeger", "dashboard", "dashboard-metrics-scraper",
                    "kube-apiserver-insecure-proxy", "kueue", "kueueviz-backend",
                    "kueueviz-frontend", "jobset", "lws", "scheduler-plugins-controller",
                    "scheduler-plugins-scheduler", "descheduler", "node-readiness-controller"};
                if (not_run.count(p.component)) {
                    out.warnings.push_back(field + ": ghostctl does not run " + p.component +
                                           "; patch ignored");
                    return;
                }
                throw config_error(field + ": unknown component \"" + text_of(v, field) +
                                   "\" (ghostctl runs etcd, kube-apiserver, "
                                   "kube-controller-manager, kube-scheduler, "
                                   "kwok-controller (ghostlet), metrics-server)");
            } else if (key == "extraArgs") {
                if (!v.IsSequence()) throw config_error(field + ": expected a list");
                for (std::size_t j = 0; j < v.size(); ++j) {
                    std::string af = field + "[" + std::to_string(j) + "]";
                    component_patch::arg a;
                    for_each_key(v[j], af, [&](const std::string& k, const YAML::Node& x) {
                        if (k == "key") a.key = text_of(x, af + ".key");
                        else if (k == "value") a.value = text_of(x, af + ".value");
                        else if (k == "override")
                            a.override = text_of(x, af + ".override") == "true";
                        else throw config_error(af + "." + k + ": unknown field (expected key, "
                                                "value, override)");
                    });
                    if (a.key.empty()) throw config_error(af + ".key: expected a flag name");
                    p.args.push_back(std::move(a));
                }
            } else if (key == "extraEnvs") {
                if (!v.IsSequence()) throw config_error(field + ": expected a list");
                for (std::size_t j = 0; j < v.size(); ++j) {
                    std::string ef = field + "[" + std::to_string(j) + "]";
                    std::string name, value;
                    for_each_key(v[j], ef, [&](const std::string& k, const YAML::Node& x) {
                        if (k == "name") name = text_of(x, ef + ".name");
                        else if (k == "value") value = text_of(x, ef + ".value");
                        else throw config_error(ef + "." + k + ": unknown field (expected name, "
                                                "value)");
                    });
                    if (name.empty()) throw config_error(ef + ".name: expected a variable name");
                    p.envs.emplace_back(name, value);
                }
            } else if (key == "extraVolumes") {
                if (v.IsSequence() && v.size() > 0)
                    out.warnings.push_back(field + ": volumes need a container runtime; the "
                                                   "binary runtime ignores them, as kwokctl's");
            } else {
                throw config_error(field + ": unknown field (expected name, extraArgs, "
                                           "extraVolumes, extraEnvs)");
            }
        });
        if (p.component.empty()) throw config_error(at + ".name: expected a component name");
        out.patches.push_back(std::move(p));
    }
}

void read_components(const YAML::Node& list, const std::string& where, kwokctl_documents& out) {
    if (!list || list.IsNull()) return;
    if (!list.IsSequence()) throw config_error(where + ": components: expected a list");
    for (std::size_t i = 0; i < list.size(); ++i) {
        std::string at = where + ": components[" + std::to_string(i) + "]";
        std::string name = list[i].IsMap() ? text_of(list[i]["name"], at + ".name") : "";
        auto& comps = known_components();
        bool builtin = std::find(comps.begin(), comps.end(), canonical_component(name)) !=
                       comps.end();
        out.warnings.push_back(
            at + " (" + (name.empty() ? "unnamed" : name) + "): " +
            (builtin ? "ghostctl builds this component itself; change it with componentsPatches"
                     : "custom components are not run by ghostctl") +
            "; ignored");
    }
}

void read_kwokctl_configuration(const YAML::Node& doc, const std::string& where,
                                kwokctl_documents& out) {
    for_each_key(doc, where, [&](const std::string& key, const YAML::Node& v) {
        if (key == "apiVersion" || key == "kind" || key == "metadata" || key == "status") return;
        if (key == "options") read_options(v, where, out);
        else if (key == "componentsPatches") read_patches(v, where, out);
        else if (key == "components") read_components(v, where, out);
        else throw config_error(where + ": " + key + ": unknown KwokctlConfiguration field "
                                "(expected options, components, componentsPatches)");
    });
}

// Re-emits a document so it reads back with the same types: a scalar quoted in the source
// (yaml-cpp tag "!"), or multi-line, stays a quoted string (`'True'` must not become `True`,
// a boolean); plain scalars stay plain.
void emit_node(YAML::Emitter& e, const YAML::Node& n) {
    switch (n.Type()) {
    case YAML::NodeType::Map:
        e << YAML::BeginMap;
        for (auto it = n.begin(); it != n.end(); ++it) {
            e << YAML::Key;
            emit_node(e, it->first);
            e << YAML::Value;
            emit_node(e, it->second);
        }
        e << YAML::EndMap;
        break;
    case YAML::NodeType::Sequence:
        e << YAML::BeginSeq;
        for (const auto& item : n) emit_node(e, item);
        e << YAML::EndSeq;
        break;
    case YAML::NodeType::Scalar: {
        const std::string& tag = n.Tag();
        bool quoted = tag == "!" || tag == "tag:yaml.org,2002:str" ||
                      n.Scalar().find('\n') != std::string::npos || n.Scalar().empty();
        if (quoted) e << YAML::DoubleQuoted << n.Scalar();
        else e << n.Scalar();
        break;
    }
    default:
        e << YAML::Null;
    }
}

std::string emit(const YAML::Node& n) {
    YAML::Emitter e;
    emit_node(e, n);
    std::string s = e.c_str();
    if (s.empty() || s.back() != '\n') s += '\n';
    return s;
}

// A string scalar for a document ghostctl builds (emitted quoted, see emit_node).
YAML::Node text_node(const std::string& v) {
    YAML::Node n(v);
    n.SetTag("!");
    return n;
}

kwokctl_resource read_resource(const YAML::Node& doc, const std::string& where) {
    kwokctl_resource r;
    r.where = where;
    r.yaml = emit(doc);
    std::string text;
    for_each_key(doc, where, [&](const std::string& key, const YAML::Node& v) {
        const std::string field = where + ": " + key;
        if (key == "kind" || key == "status") return;
        if (key == "apiVersion") {
            if (text_of(v, field) != "config.kwok.x-k8s.io/v1alpha1")
                throw config_error(field + ": expected config.kwok.x-k8s.io/v1alpha1, got \"" +
                                   text_of(v, field) + "\"");
        } else if (key == "metadata") {
            if (!v.IsMap()) throw config_error(field + ": expected a mapping");
            r.name = text_of(v["name"], field + ".name");
        } else if (key == "parameters") {
            try {
                if (!v.IsNull()) r.parameters = stages::yaml_node_to_json(v);
            } catch (const stages::stage_error& e) {
                throw config_error(field + ": " + e.what());
            }
        } else if (key == "template") {
            text = text_of(v, field);
        } else {
            throw config_error(field + ": unknown KwokctlResource field (expected metadata, "
                                       "parameters, template)");
        }
    });
    if (r.name.empty())
        throw config_error(where + ": metadata.name: expected a name (what `scale NAME` uses)");
    if (lang::trim_space(text).empty())
        throw config_error(where + ": template: expected the Go template of one object");
    try {
        r.tpl = std::make_shared<const scale_template>(text);
    } catch (const std::invalid_argument& e) {
        throw config_error(where + ": template: " + e.what());
    }
    return r;
}

void note_stage(const YAML::Node& doc, kwokctl_documents& out) {
    auto ref = doc["spec"] ? doc["spec"]["resourceRef"] : YAML::Node();
    if (!ref || !ref.IsMap()) return;
    std::string group = ref["apiGroup"] && ref["apiGroup"].IsScalar() ? ref["apiGroup"].Scalar()
                                                                      : "v1";
    std::string kind = ref["kind"] && ref["kind"].IsScalar() ? ref["kind"].Scalar() : "";
    if (group != "v1") return;
    if (kind == "Node") out.node_stages = true;
    if (kind == "Pod") out.pod_stages = true;
}

}  // namespace

void apply_component_patch(component& c, const component_patch& p,
                           std::vector<std::string>& warnings) {
    if (p.component != c.name) return;
    for (const auto& a : p.args) {
        std::string arg = "--" + a.key + "=" + a.value;
        if (!a.override) {
            c.args.push_back(arg);
            continue;
        }
        auto it = std::find_if(c.args.rbegin(), c.args.rend(), [&](const std::string& x) {
            return x.rfind("--" + a.key + "=", 0) == 0;
        });
        if (it != c.args.rend()) *it = arg;
        else warnings.push_back("componentsPatches " + c.name + ": override of --" + a.key +
                                " matches no argument; ignored (as kwokctl)");
    }
    c.env.insert(c.env.end(), p.envs.begin(), p.envs.end());
}

std::string go_duration_string(std::int64_t ms) {
    if (ms == 0) return "0s";
    std::string out = ms < 0 ? "-" : "";
    std::uint64_t u = static_cast<std::uint64_t>(ms < 0 ? -ms : ms);
    if (u < 1000) return out + std::to_string(u) + "ms";
    std::uint64_t h = u / 3'600'000, m = u / 60'000 % 60, sec = u / 1000 % 60, frac = u % 1000;
    if (h) out += std::to_string(h) + "h";
    if (h || m) out += std::to_string(m) + "m";
    out += std::to_string(sec);
    if (frac) {
        std::string f = std::to_string(frac + 1000).substr(1);
        while (f.back() == '0') f.pop_back();
        out += "." + f;
    }
    return out + "s";
}

std::pair<std::int64_t, std::int64_t> stretched_heartbeat(std::int64_t duration_ms,
                                                          std::int64_t jitter_ms,
                                                          std::int64_t update_frequency_ms) {
    if (update_frequency_ms <= 0) return {duration_ms, jitter_ms};
    return {std::max(duration_ms, update_frequency_ms),
            std::max(jitter_ms, update_frequency_ms + update_frequency_ms / 10)};
}

kwokctl_documents read_kwokctl_documents(const std::vector<std::string>& paths) {
    kwokctl_documents out;
    for (const auto& path : paths) {
        std::vector<stages::config_source> sources;
        try {
            sources = stages::read_config_path(path);
        } catch (const stages::stage_error& e) {
            throw config_error(e.what());
        }
        for (const auto& src : sources) {
            std::vector<YAML::Node> docs;
            try {
                docs = lang::load_all_yaml(src.text);
            } catch (const YAML::Exception& e) {
                throw config_error(src.name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                   std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
            }
            for (std::size_t i = 0; i < docs.size(); ++i) {
                const auto& doc = docs[i];
                std::string where = src.name + " (document " + std::to_string(i + 1) + ")";
                if (doc.IsNull()) continue;
                if (!doc.IsMap() || !doc["kind"] || !doc["kind"].IsScalar())
                    throw config_error(where + ": kind: expected a document with apiVersion and "
                                               "kind");
                const std::string kind = doc["kind"].Scalar();
                if (kind == "KwokctlConfiguration") {
                    read_kwokctl_configuration(doc, where, out);
                } else if (kind == "KwokctlResource") {
                    out.resources.push_back(read_resource(doc, where));
                } else if (kind == "KwokConfiguration" || stages::find_kwok_kind(kind)) {
                    if (kind == "Stage") note_stage(doc, out);
                    if (kind == "Metric") out.metric = true;
                    if (kind == "ClusterResourceUsage") out.cluster_resource_usage = true;
                    out.ghostlet_documents.push_back(emit(doc));
                    out.ghostlet_kinds.push_back(kind);
                } else {
                    std::string list = "KwokctlConfiguration, KwokctlResource, KwokConfiguration";
                    for (const auto& k : stages::kwok_kinds()) list += ", " + std::string(k.kind);
                    throw config_error(where + ": kind: unknown kind \"" + kind +
                                       "\" (expected one of " + list + ")");
                }
            }
        }
    }
    return out;
}

std::vector<std::string> with_default_config(const std::vector<std::string>& paths,
                                             const std::filesystem::path& default_path) {
    namespace fs = std::filesystem;
    auto same = [&](const std::string& p) {
        if (p == "-") return false;
        std::error_code ec;
        auto a = fs::absolute(stages::expand_home(p), ec).lexically_normal();
        return !ec && a == fs::absolute(default_path, ec).lexically_normal();
    };
    std::error_code ec;
    const bool exists = fs::exists(default_path, ec);
    const bool named = std::any_of(paths.begin(), paths.end(), same);
    std::vector<std::string> out;
    if (exists && !named) out.push_back(default_path.string());
    for (const auto& p : paths)
        if (exists || !same(p)) out.push_back(p);
    return out;
}

const kwokctl_resource* find_resource(const std::vector<kwokctl_resource>& resources,
                                      const std::string& name) {
    for (auto it = resources.rbegin(); it != resources.rend(); ++it)
        if (it->name == name) return &*it;
    return nullptr;
}

void apply_kwokctl_options(command& cmd, const kwokctl_documents& docs) {
    const auto& changed = cmd.changed_flags;
    for (const auto& opt : docs.options) {
        if (std::find(changed.begin(), changed.end(), opt.flag) != changed.end()) continue;
        try {
            set_create_flag(cmd, opt.flag, opt.value);
        } catch (const usage_error& e) {
            throw config_error(opt.where + ": " + e.what());
        }
    }
    cmd.create.patches.insert(cmd.create.patches.end(), docs.patches.begin(), docs.patches.end());
}

std::string ghostlet_config_text(const create_options& o, const kwokctl_documents& docs,
                                 bool metrics_server, std::vector<std::string>* warnings) {
    std::string out;
    auto add = [&](const std::string& comment, const std::string& text) {
        out += "---\n";
        if (!comment.empty()) out += "# " + comment + "\n";
        out += text;
        if (!out.empty() && out.back() != '\n') out += '\n';
    };
    auto crd = [&](const std::string& kind) {
        return std::find(o.enable_crds.begin(), o.enable_crds.end(), kind) != o.enable_crds.end();
    };
    for (std::size_t i = 0; i < docs.ghostlet_documents.size(); ++i) {
        const std::string kind = i < docs.ghostlet_kinds.size() ? docs.ghostlet_kinds[i] : "";
        if (crd(kind)) {
            if (warnings)
                warnings->push_back("-c: a " + kind + " document is not passed to ghostlet: " +
                                    kind + " is served as a custom resource (--enable-crds); "
                                    "create it with kubectl");
            continue;
        }
        add("", docs.ghostlet_documents[i]);
    }

    // kwokctl writes the default stages only when Stage is not served as a custom resource.
    const bool stage_crd = crd("Stage");
    const bool leases = o.node_lease_duration_seconds > 0;
    if (!stage_crd) {
        for (const auto& [file, text] : stages::default_stage_documents()) {
            std::string_view f = file;
            if (f == (leases ? "node-heartbeat.yaml" : "node-heartbeat-with-lease.yaml")) continue;
            bool node = f.rfind("node-", 0) == 0;
            if ((node && docs.node_stages) || (!node && docs.pod_stages)) continue;
            YAML::Node doc = YAML::Load(std::string(text));
            if (f.rfind("node-heartbeat", 0) == 0) {
                YAML::Node delay = doc["spec"]["delay"];
                auto [d, j] = stretched_heartbeat(delay["durationMilliseconds"].as<std::int64_t>(),
                                                  delay["jitterDurationMilliseconds"].as<std::int64_t>(),
                                                  o.node_status_update_frequency_ms);
                delay["durationMilliseconds"] = d;
                delay["jitterDurationMilliseconds"] = j;
                add("ghostctl default " + std::string(f) +
                        " (delays stretched to the node status update frequency)",
                    emit(doc));
            } else {
                add("ghostctl default " + std::string(f), std::string(text));
            }
        }
    }
    if (metrics_server) {
        for (const auto& [file, text] : metrics_default_documents()) {
            bool is_metric = file == "metrics-resource.yaml";
            if ((is_metric && docs.metric) || (!is_metric && docs.cluster_resource_usage)) continue;
            add("ghostctl default " + std::string(file), std::string(text));
        }
    }

    // The effective KwokctlConfiguration, as kwokctl saves it (factor applied, then 1).
    YAML::Node conf;
    conf["apiVersion"] = text_node("config.kwok.x-k8s.io/v1alpha1");
    conf["kind"] = "KwokctlConfiguration";
    conf["metadata"]["name"] = text_node("");
    YAML::Node opts = conf["options"];
    opts["runtime"] = text_node(o.runtime);
    opts["heartbeatFactor"] = o.heartbeat_factor;
    opts["nodeLeaseDurationSeconds"] = o.node_lease_duration_seconds;
    opts["nodeStatusUpdateFrequencyMilliseconds"] = o.node_status_update_frequency_ms;
    opts["kubeControllerManagerNodeMonitorPeriodMilliseconds"] = o.node_monitor_period_ms;
    opts["kubeControllerManagerNodeMonitorGracePeriodMilliseconds"] =
        o.node_monitor_grace_period_ms;
    opts["disableQPSLimits"] = o.disable_qps_limits;
    opts["kubeAuthorization"] = o.kube_authorization;
    opts["kubeAdmission"] = o.kube_admission;
    opts["etcdPrefix"] = text_node(o.etcd_prefix);
    for (const auto& c : o.enable_crds) opts["enableCRDs"].push_back(text_node(c));
    for (const auto& c : o.components) opts["components"].push_back(text_node(c));
    for (const auto& c : o.enabled) opts["enable"].push_back(text_node(c));
    for (const auto& c : o.disabled) opts["disable"].push_back(text_node(c));
    if (!o.kube_feature_gates.empty()) opts["kubeFeatureGates"] = text_node(o.kube_feature_gates);
    if (!o.kube_runtime_config.empty()) opts["kubeRuntimeConfig"] = text_node(o.kube_runtime_config);
    if (!o.kube_audit_policy.empty()) opts["kubeAuditPolicy"] = text_node(o.kube_audit_policy);
    if (!o.kube_scheduler_config.empty()) opts["kubeSchedulerConfig"] = text_node(o.kube_scheduler_config);
    if (o.kube_apiserver_port) opts["kubeApiserverPort"] = *o.kube_apiserver_port;
    YAML::Node patches = conf["componentsPatches"];
    auto patch_of = [&](const std::string& name) {
        for (std::size_t i = 0; i < patches.size(); ++i)
            if (patches[i]["name"].Scalar() == name) return patches[i];
        YAML::Node p;
        p["name"] = text_node(name);
        patches.push_back(p);
        return patches[patches.size() - 1];
    };
    for (const auto& p : o.patches) {
        YAML::Node n = patch_of(p.component);
        for (const auto& a : p.args) {
            YAML::Node arg;
            arg["key"] = text_node(a.key);
            arg["value"] = text_node(a.value);
            if (a.override) arg["override"] = true;
            n["extraArgs"].push_back(arg);
        }
        for (const auto& [k, v] : p.envs) {
            YAML::Node env;
            env["name"] = text_node(k);
            env["value"] = text_node(v);
            n["extraEnvs"].push_back(env);
        }
    }
    for (const auto& x : o.extra_args) {
        YAML::Node arg;
        arg["key"] = text_node(x.key);
        arg["value"] = text_node(x.value);
        patch_of(x.component)["extraArgs"].push_back(arg);
    }
    if (patches.size() == 0) conf.remove("componentsPatches");
    add("effective KwokctlConfiguration (ghostlet skips this kind)", emit(conf));
    for (const auto& r : docs.resources) add("", r.yaml);
    return out;
}

}  // namespace ghost::ghostctl
