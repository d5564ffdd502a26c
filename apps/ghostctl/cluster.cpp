#include "apps/ghostctl/cluster.hpp"

#include "apps/ghostctl/dry_run.hpp"
#include "apps/ghostctl/https_get.hpp"
#include "apps/ghostctl/crds.hpp"
#include "apps/ghostctl/kubeconfig_file.hpp"
#include "apps/ghostctl/metrics_server.hpp"
#include "apps/ghostctl/pki.hpp"
#include "apps/ghostctl/ports.hpp"
#include "apps/ghostctl/process.hpp"
#include "engine/subprocess.hpp"
#include "stages/config_files.hpp"
#include "stages/kwok_kinds.hpp"

#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

namespace ghost::ghostctl {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::atomic<bool> interrupted{false};

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

std::string home() { return env_or("HOME", "/root"); }

std::string fmt_duration(std::chrono::milliseconds d) {
    std::ostringstream os;
    os << std::fixed << std::setprecision(1) << static_cast<double>(d.count()) / 1000.0 << "s";
    return os.str();
}

bool is_executable(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

json::object options_to_json(const create_options& o) {
    json::object j;
    j["disable_qps_limits"] = o.disable_qps_limits;
    json::array ex;
    for (auto& x : o.extra_args) {
        ex.push_back(json::object{{"component", x.component}, {"key", x.key},
                                  {"value", x.value}, {"has_value", x.has_value}});
    }
    j["extra_args"] = std::move(ex);
    json::array dis;
    for (auto& d : o.disabled) dis.push_back(json::string(d));
    j["disabled"] = std::move(dis);
    j["wait_ms"] = o.wait.count();
    j["heartbeat_factor"] = o.heartbeat_factor;
    j["node_lease_duration_seconds"] = o.node_lease_duration_seconds;
    j["node_status_update_frequency_ms"] = o.node_status_update_frequency_ms;
    j["node_monitor_period_ms"] = o.node_monitor_period_ms;
    j["node_monitor_grace_period_ms"] = o.node_monitor_grace_period_ms;
    if (o.kubeconfig) j["kubeconfig"] = *o.kubeconfig;
    json::array crds;
    for (auto& k : o.enable_crds) crds.push_back(json::string(k));
    j["enable_crds"] = std::move(crds);
    json::array enabled;
    for (auto& c : o.enabled) enabled.push_back(json::string(c));
    j["enable"] = std::move(enabled);
    return j;
}

create_options options_from_json(const json::object& j) {
    create_options o;
    o.disable_qps_limits = j.at("disable_qps_limits").as_bool();
    for (auto& x : j.at("extra_args").as_array()) {
        auto& e = x.as_object();
        o.extra_args.push_back({json::value_to<std::string>(e.at("component")),
                                json::value_to<std::string>(e.at("key")),
                                json::value_to<std::string>(e.at("value")),
                                e.at("has_value").as_bool()});
    }
    for (auto& d : j.at("disabled").as_array()) o.disabled.insert(json::value_to<std::string>(d));
    o.wait = std::chrono::milliseconds(j.at("wait_ms").to_number<std::int64_t>());
    o.heartbeat_factor = j.at("heartbeat_factor").to_number<double>();
    o.node_lease_duration_seconds =
        static_cast<int>(j.at("node_lease_duration_seconds").to_number<std::int64_t>());
    auto ms = [&](const char* key, std::int64_t& target) {
        if (auto* v = j.if_contains(key)) target = v->to_number<std::int64_t>();
    };
    ms("node_status_update_frequency_ms", o.node_status_update_frequency_ms);
    ms("node_monitor_period_ms", o.node_monitor_period_ms);
    ms("node_monitor_grace_period_ms", o.node_monitor_grace_period_ms);
    if (auto* k = j.if_contains("kubeconfig")) o.kubeconfig = json::value_to<std::string>(*k);
    if (auto* crds = j.if_contains("enable_crds"))
        for (auto& k : crds->as_array()) o.enable_crds.push_back(json::value_to<std::string>(k));
    if (auto* en = j.if_contains("enable"))
        for (auto& c : en->as_array()) o.enabled.insert(json::value_to<std::string>(c));
    return o;
}

const char* readiness_name(readiness r) {
    switch (r) {
    case readiness::tcp_listen: return "tcp";
    case readiness::apiserver_ready: return "readyz";
    default: return "none";
    }
}

readiness readiness_from(std::string_view s) {
    if (s == "tcp") return readiness::tcp_listen;
    if (s == "readyz") return readiness::apiserver_ready;
    return readiness::none;
}

std::set<std::string> binaries_of(const cluster_state& s) {
    std::set<std::string> b;
    for (auto& c : s.components) b.insert(c.binary);
    return b;
}

// The running pid of a component, verified against its binary; nullopt when not running.
std::optional<pid_t> running_pid(const cluster_layout& L, const component& c) {
    auto pid = read_pid_file(L.pid_of(c.name));
    if (pid && pid_runs_binary(*pid, c.binary)) return pid;
    return std::nullopt;
}

https_target admin_target(const cluster_state& s) {
    cluster_layout L{s.dir};
    https_target t;
    t.port = std::to_string(s.ports.at("kube-apiserver"));
    t.ca_pem = read_file(L.pki() / "ca.crt");
    t.cert_pem = read_file(L.pki() / "admin.crt");
    t.key_pem = read_file(L.pki() / "admin.key");
    return t;
}

// Serializes port choice among concurrent creates under one root until the chosen ports are
// recorded in cluster.json (an flock, released with the fd).
class root_lock {
public:
    explicit root_lock(const fs::path& root) {
        fs::create_directories(root / "clusters");
        fd_ = ::open((root / "clusters" / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd_ >= 0) ::flock(fd_, LOCK_EX);
    }
    ~root_lock() { release(); }
    void release() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    root_lock(const root_lock&) = delete;
    root_lock& operator=(const root_lock&) = delete;

private:
    int fd_ = -1;
};

}  // namespace

void request_interrupt() noexcept { interrupted.store(true); }

environment environment::from_process_env() {
    environment e;
    e.root = env_or("GHOST_WORKDIR", home() + "/.ghost");
    std::string cache = env_or("GHOSTLET_CACHE", home() + "/.cache/ghostlet");
    e.bin_dir = env_or("GHOST_BIN_DIR", cache + "/bin/current");
    if (const char* g = std::getenv("GHOST_GHOSTLET_BINARY"); g != nullptr && *g != '\0') {
        e.ghostlet_probe = g;
    } else {
        std::error_code ec;
        auto self = fs::read_symlink("/proc/self/exe", ec);
        if (!ec) e.ghostlet_probe = self.parent_path().parent_path() / "ghostlet" / "ghostlet";
    }
    if (!e.ghostlet_probe.empty() && is_executable(e.ghostlet_probe)) {
        e.ghostlet_binary = fs::absolute(e.ghostlet_probe);
    }
    e.user_kubeconfig = user_kubeconfig_path();
    return e;
}

std::string serialize_state(const cluster_state& s) {
    json::object j;
    j["name"] = s.name;
    j["dir"] = s.dir.string();
    j["bin_dir"] = s.bin_dir.string();
    json::object ports;
    for (auto& [k, v] : s.ports) ports[k] = v;
    j["ports"] = std::move(ports);
    j["options"] = options_to_json(s.options);
    json::array comps;
    for (auto& c : s.components) {
        json::array args;
        for (auto& a : c.args) args.push_back(json::string(a));
        json::array cports;
        for (auto p : c.ports) cports.push_back(p);
        json::array env;
        for (auto& [k, v] : c.env) env.push_back(json::array{json::string(k), json::string(v)});
        comps.push_back(json::object{{"name", c.name}, {"binary", c.binary},
                                     {"args", std::move(args)}, {"ports", std::move(cports)},
                                     {"readiness", readiness_name(c.ready)},
                                     {"env", std::move(env)}});
    }
    j["components"] = std::move(comps);
    return json::serialize(j) + "\n";
}

cluster_state parse_state(const std::string& text) {
    try {
        auto j = json::parse(text).as_object();
        cluster_state s;
        s.name = json::value_to<std::string>(j.at("name"));
        s.dir = json::value_to<std::string>(j.at("dir"));
        s.bin_dir = json::value_to<std::string>(j.at("bin_dir"));
        for (auto& [k, v] : j.at("ports").as_object()) {
            s.ports[std::string(k)] = static_cast<std::uint16_t>(v.to_number<std::int64_t>());
        }
        s.options = options_from_json(j.at("options").as_object());
        for (auto& cv : j.at("components").as_array()) {
            auto& c = cv.as_object();
            component comp;
            comp.name = json::value_to<std::string>(c.at("name"));
            comp.binary = json::value_to<std::string>(c.at("binary"));
            for (auto& a : c.at("args").as_array()) {
                comp.args.push_back(json::value_to<std::string>(a));
            }
            for (auto& p : c.at("ports").as_array()) {
                comp.ports.push_back(static_cast<std::uint16_t>(p.to_number<std::int64_t>()));
            }
            comp.ready = readiness_from(json::value_to<std::string>(c.at("readiness")));
            if (auto* env = c.if_contains("env")) {
                for (auto& kv : env->as_array()) {
                    auto& pair = kv.as_array();
                    comp.env.emplace_back(json::value_to<std::string>(pair.at(0)),
                                          json::value_to<std::string>(pair.at(1)));
                }
            }
            s.components.push_back(std::move(comp));
        }
        return s;
    } catch (const std::exception& e) {
        throw ghostctl_error(std::string("cluster.json is unreadable (") + e.what() + ")");
    }
}

std::vector<std::string> list_clusters(const fs::path& root) {
    std::vector<std::string> out;
    std::error_code ec;
    for (auto& d : fs::directory_iterator(root / "clusters", ec)) {
        auto n = d.path().filename().string();
        if (d.is_directory() && !n.empty() && n[0] != '.') out.push_back(n);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::set<std::uint16_t> ports_of_other_clusters(const fs::path& root, const std::string& skip) {
    std::set<std::uint16_t> out;
    for (auto& n : list_clusters(root)) {
        if (n == skip) continue;
        try {
            auto s = parse_state(read_file(root / "clusters" / n / "cluster.json"));
            for (auto& [k, p] : s.ports) out.insert(p);
        } catch (const std::exception&) {
            // A half-created cluster without state holds no recorded ports.
        }
    }
    return out;
}

void check_binaries(const fs::path& bin_dir, const std::vector<std::string>& names) {
    std::string missing;
    for (auto& n : names) {
        if (!is_executable(bin_dir / n)) missing += (missing.empty() ? "" : ", ") + n;
    }
    if (!missing.empty()) {
        throw ghostctl_error("control-plane binaries missing in " + bin_dir.string() + " (" +
                             missing +
                             "): run tools/get-control-plane.sh (or point GHOST_BIN_DIR at a "
                             "directory holding them)");
    }
}

cluster_manager::cluster_manager(environment env, std::ostream& out, std::ostream& err)
    : env_(std::move(env)), out_(out), err_(err) {}

cluster_state cluster_manager::load(const std::string& name) const {
    cluster_layout L{env_.cluster_dir(name)};
    std::error_code ec;
    if (!fs::exists(L.state_file(), ec)) {
        throw ghostctl_error("cluster \"" + name + "\" does not exist (no " +
                             L.state_file().string() + "); create it with: ghostctl create "
                             "cluster --name " + name);
    }
    return parse_state(read_file(L.state_file()));
}

namespace {

// kwokctl's CopySchedulerConfig: the user's KubeSchedulerConfiguration with
// clientConnection.kubeconfig pointing at the cluster.
std::string scheduler_config_text(const std::string& path, const fs::path& kubeconfig) {
    YAML::Node doc;
    try {
        doc = YAML::Load(read_file(path));
    } catch (const std::exception& e) {
        throw config_error("--kube-scheduler-config " + path + ": " + e.what());
    }
    auto field = [&](const char* k) {
        return doc.IsMap() && doc[k] && doc[k].IsScalar() ? doc[k].Scalar() : std::string();
    };
    if (field("apiVersion") != "kubescheduler.config.k8s.io/v1")
        throw config_error("--kube-scheduler-config " + path +
                           ": apiVersion: expected kubescheduler.config.k8s.io/v1, got \"" +
                           field("apiVersion") + "\"");
    if (field("kind") != "KubeSchedulerConfiguration")
        throw config_error("--kube-scheduler-config " + path +
                           ": kind: expected KubeSchedulerConfiguration, got \"" + field("kind") +
                           "\"");
    doc["clientConnection"]["kubeconfig"] = kubeconfig.string();
    YAML::Emitter e;
    e << doc;
    return std::string(e.c_str()) + "\n";
}

fs::path kubeconfig_target(const environment& env, const std::optional<std::string>& flag) {
    if (!flag) return env.user_kubeconfig;
    return stages::expand_home(*flag);
}

}  // namespace

void cluster_manager::create(const std::string& name, const create_options& o,
                             const kwokctl_documents& docs) {
    // Another program can take a scanned port between the scan and the component's bind; the
    // failed create has cleaned up, so a new scan (which now skips that port) starts over.
    for (int attempt = 1;; ++attempt) {
        try {
            create_once(name, o, docs);
            return;
        } catch (const ghostctl_error& e) {
            const bool port_taken =
                std::string_view(e.what()).find("address already in use") != std::string_view::npos;
            if (!port_taken || attempt == 3 || dry_run_ || interrupted.load()) throw;
            err_ << "warning: a component's port was taken after ghostctl chose it; creating "
                    "cluster \"" << name << "\" again with new ports\n";
        }
    }
}

void cluster_manager::create_once(const std::string& name, const create_options& o,
                                  const kwokctl_documents& docs) {
    const auto t0 = std::chrono::steady_clock::now();
    cluster_layout L{env_.cluster_dir(name)};
    std::optional<root_lock> lock;
    if (!dry_run_) lock.emplace(env_.root);
    std::error_code ec;
    if (fs::exists(L.dir, ec)) {
        throw ghostctl_error("cluster \"" + name + "\" already exists (" + L.dir.string() +
                             "); delete it first: ghostctl delete cluster --name " + name);
    }
    check_binaries(env_.bin_dir, required_binaries(o));
    // Fixed ports (--kube-apiserver-port, --etcd-port, ...) must be free and not another
    // cluster's; the others come from the scan.
    std::map<std::string, std::uint16_t> fixed;
    auto names = port_names(o);
    for (auto [port_name, p] : o.fixed_ports)
        if (std::find(names.begin(), names.end(), port_name) != names.end()) fixed[port_name] = p;
    if (o.kube_apiserver_port) fixed["kube-apiserver"] = *o.kube_apiserver_port;
    auto reserved = ports_of_other_clusters(env_.root, name);
    for (auto [port_name, p] : fixed) {
        static const std::map<std::string, std::string> flag_of{
            {"kube-apiserver", "--kube-apiserver-port"}, {"etcd-client", "--etcd-port"},
            {"etcd-peer", "--etcd-peer-port"}, {"ghostlet", "--controller-port"},
            {"kube-controller-manager", "--kube-controller-manager-port"},
            {"kube-scheduler", "--kube-scheduler-port"},
            {"metrics-server", "--metrics-server-port"}};
        const std::string what = " (" + flag_of.at(port_name) + ")";
        if (!port_is_free(p))
            throw ghostctl_error("port " + std::to_string(p) + what +
                                 " is already in use on 127.0.0.1; pick another port or omit "
                                 "the flag");
        if (!reserved.insert(p).second)
            throw ghostctl_error("port " + std::to_string(p) + what +
                                 " is recorded by another cluster (or given twice)");
        names.erase(std::find(names.begin(), names.end(), port_name));
    }
    auto picked = choose_ports(names.size(), reserved);
    cluster_state s;
    s.name = name;
    s.dir = fs::absolute(L.dir);
    L.dir = s.dir;
    s.bin_dir = fs::absolute(env_.bin_dir);
    s.options = o;
    for (std::size_t i = 0; i < names.size(); ++i) s.ports[names[i]] = picked[i];
    for (auto [port_name, p] : fixed) s.ports[port_name] = p;

    const auto running = port_names(o);  // one port per component that runs
    auto runs = [&](const char* c) {
        return std::find(running.begin(), running.end(), c) != running.end();
    };
    if (runs("ghostlet") && !env_.ghostlet_binary) {
        out_ << "note: ghostlet binary not found at " << env_.ghostlet_probe.string()
             << " (set GHOST_GHOSTLET_BINARY); the cluster runs without it\n";
    }
    std::vector<std::string> warnings = docs.warnings;
    s.components = build_components({L, s.bin_dir, env_.ghostlet_binary, s.ports, o, &warnings});
    for (const auto& w : warnings) err_ << "warning: " << w << "\n";

    // Every file create writes besides the PKI and kubeconfig; bad input files fail here,
    // before anything is touched.
    create_options effective = o;
    apply_heartbeat_factor(effective);
    std::vector<std::pair<fs::path, std::string>> files;
    if (!o.kube_audit_policy.empty()) {
        try {
            files.emplace_back(L.audit_policy(), read_file(o.kube_audit_policy));
        } catch (const std::exception& e) {
            throw config_error("--kube-audit-policy " + o.kube_audit_policy + ": " + e.what());
        }
    }
    if (!o.kube_scheduler_config.empty() && runs("kube-scheduler"))
        files.emplace_back(L.scheduler_config(),
                           scheduler_config_text(o.kube_scheduler_config, L.kubeconfig()));
    std::vector<std::string> left_out;
    files.emplace_back(L.ghostlet_config(),
                       ghostlet_config_text(effective, docs, runs_metrics_server(o), &left_out));
    for (const auto& w : left_out) err_ << "warning: " << w << "\n";
    const fs::path user_kubeconfig = kubeconfig_target(env_, o.kubeconfig);
    const std::string server = "https://127.0.0.1:" + std::to_string(s.ports.at("kube-apiserver"));

    if (dry_run_) {
        out_ << "mkdir -p " << shell_quote(L.dir.string());
        for (auto& d : {L.pki(), L.etcd_data(), L.logs(), L.pids()})
            out_ << " " << shell_quote(d.string());
        out_ << "\nchmod 0700 " << shell_quote(L.dir.string()) << " "
             << shell_quote(L.pki().string()) << " " << shell_quote(L.etcd_data().string())
             << "\n# Generate PKI to " << L.pki().string() << "\n# Write kubeconfig "
             << L.kubeconfig().string() << " (server " << server
             << ", client certificate of ghost-admin)\n";
        for (const auto& [path, text] : files) out_ << shell_write_file(path, text);
        out_ << shell_write_file(L.state_file(), serialize_state(s));
        for (const auto& c : s.components) {
            if (c.name == "ghostlet" && !o.enable_crds.empty()) {
                std::string kinds;
                for (const auto& k : o.enable_crds) kinds += (kinds.empty() ? "" : ",") + k;
                out_ << "# Install the CRDs of " << kinds << "\n";
            }
            if (c.name == "metrics-server")
                out_ << "# Create Service kube-system/metrics-server and APIService "
                        "v1beta1.metrics.k8s.io\n";
            out_ << shell_start_component(c, L);
            out_ << "# Wait for " << c.name << " to be ready\n";
        }
        if (!user_kubeconfig.empty())
            out_ << "# Add context ghost-" << name << " to " << user_kubeconfig.string() << "\n";
        return;
    }

    try {
        fs::create_directories(L.dir);
        for (auto& d : {L.pki(), L.etcd_data(), L.logs(), L.pids()}) fs::create_directories(d);
        // Keys, tokens and etcd's data are the owner's only (a kubelet's dirs are 0700 too).
        for (auto& d : {L.dir, L.pki(), L.etcd_data()})
            fs::permissions(d, fs::perms::owner_all, fs::perm_options::replace);
        auto pki = generate_pki();
        write_pki(pki, L.pki());
        if (std::getenv("GHOSTCTL_TRACE") != nullptr) {
            err_ << "[" << fmt_duration(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - t0))
                 << "] pki written\n";
        }
        kubeconfig_entry kc{"ghost-" + name, server, pki.ca.cert_pem, pki.admin.cert_pem,
                            pki.admin.key_pem};
        write_file(L.kubeconfig(), render_kubeconfig(kc), 0600);
        for (const auto& [path, text] : files) write_file(path, text);
        // State first: a create killed half-way can still be deleted from its record.
        write_file(L.state_file(), serialize_state(s));
        lock->release();
        auto wait = o.wait;
        if (o.timeout.count() > 0) {
            auto left = o.timeout - std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now() - t0);
            wait = std::max(std::chrono::milliseconds(1), std::min(wait, left));
        }
        start_components(s, wait);
        if (!user_kubeconfig.empty()) merge_kubeconfig(user_kubeconfig, kc);
    } catch (...) {
        err_ << "create failed; cleaning up cluster \"" << name << "\"\n";
        try {
            remove(name);
        } catch (const std::exception& e) {
            err_ << "cleanup: " << e.what() << "\n";
        }
        throw;
    }
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    if (!user_kubeconfig.empty())
        out_ << "kubeconfig context \"ghost-" << name << "\" written to "
             << user_kubeconfig.string() << "\n";
    out_ << "cluster " << name << " ready in " << fmt_duration(took) << "\n";
}

void cluster_manager::start_components(const cluster_state& s, std::chrono::milliseconds wait) {
    cluster_layout L{s.dir};
    const auto deadline = std::chrono::steady_clock::now() + wait;
    std::vector<std::pair<const component*, pid_t>> started;

    auto fail = [&](const std::string& msg) {
        for (auto it = started.rbegin(); it != started.rend(); ++it) {
            stop_process(it->second, 5s);
            fs::remove(L.pid_of(it->first->name));
        }
        throw ghostctl_error(msg);
    };
    auto failure_of = [&](const component& c, const std::string& what) {
        std::string tail = tail_lines(L.log_of(c.name), 20);
        return c.name + " " + what + "; last lines of its log:\n" + tail;
    };
    // Every started component must stay up while we wait.
    auto check_alive = [&] {
        for (auto& [c, pid] : started) {
            if (auto st = engine::try_wait(pid)) {
                fail(failure_of(*c, "exited during start (" + engine::describe_wait_status(*st) + ")"));
            }
            if (!pid_alive(pid)) fail(failure_of(*c, "exited during start"));
        }
        if (interrupted.load()) fail("interrupted");
    };
    // GHOSTCTL_TRACE=1 prints when each phase finished (start-up time breakdown).
    const bool trace = std::getenv("GHOSTCTL_TRACE") != nullptr;
    const auto t0 = std::chrono::steady_clock::now();
    auto wait_until = [&](const component& c, const std::string& what, auto&& ok) {
        while (true) {
            check_alive();
            if (ok()) {
                if (trace) {
                    err_ << "[" << fmt_duration(std::chrono::duration_cast<
                                                std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - t0))
                         << "] " << c.name << " " << what << "\n";
                }
                return;
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                fail(failure_of(c, "not " + what + " within " +
                                       fmt_duration(std::chrono::duration_cast<
                                                    std::chrono::milliseconds>(wait)) +
                                       " (raise --wait)"));
            }
            std::this_thread::sleep_for(100ms);
        }
    };

    https_target api = admin_target(s);
    auto apiserver_ok = [&](const std::string& path) {
        try {
            auto r = https_get(api, path, 2s);
            return r.status == 200;
        } catch (const std::exception&) {
            return false;
        }
    };

    // The aggregation layer's route to metrics-server; kube-system may appear a moment after
    // /readyz, so a 404 is retried. An object that exists already (a restart) is fine.
    auto register_metrics_api = [&](const component& c) {
        const std::pair<const char*, json::object> objects[] = {
            {"/api/v1/namespaces/kube-system/services", metrics_server_service()},
            {"/apis/apiregistration.k8s.io/v1/apiservices", metrics_apiservice(c.ports.at(0))}};
        for (const auto& object : objects) {
            // Named copies, not a structured binding: clang 14 (the fuzz build) cannot
            // capture bindings in the lambda below.
            const char* path = object.first;
            const json::object& body = object.second;
            https_reply r;
            wait_until(c, "registered with the API server", [&] {
                try {
                    r = https_post(api, path, json::serialize(body));
                } catch (const std::exception& e) {
                    r = {0, e.what()};
                }
                return r.status != 0 && r.status != 404 && r.status < 500;
            });
            if (r.status != 201 && r.status != 409) {
                fail("registering " + std::string(path) + " for metrics-server: HTTP " +
                     std::to_string(r.status) + " " + r.body.substr(0, 300));
            }
        }
    };
    for (const auto& c : s.components) {
        if (running_pid(L, c)) continue;
        if (c.name == "ghostlet") {
            // kwok's CRDs for the kinds the cluster enables, before ghostlet lists them; one
            // that exists already (a restart) is fine.
            for (const auto& kind : s.options.enable_crds) {
                const auto* k = stages::find_kwok_kind(kind);
                if (!k) fail("--enable-crds: unknown kind " + kind);
                https_reply r;
                try {
                    r = https_post(api, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                                   json::serialize(crd_manifest(*k)));
                } catch (const std::exception& e) {
                    fail("installing the " + kind + " CRD: " + e.what());
                }
                if (r.status != 201 && r.status != 409)
                    fail("installing the " + kind + " CRD: HTTP " + std::to_string(r.status) + " " +
                         r.body.substr(0, 300));
            }
        }
        if (c.name == "metrics-server") register_metrics_api(c);
        pid_t pid = 0;
        try {
            pid = spawn_daemon({c.binary, c.args, L.log_of(c.name), L.pid_of(c.name), L.dir, c.env});
        } catch (const std::exception& e) {
            fail(c.name + ": " + e.what());
        }
        started.emplace_back(&c, pid);
        if (c.ready == readiness::tcp_listen) {
            wait_until(c, "listening", [&] {
                for (auto p : c.ports) {
                    if (!port_is_listening(p)) return false;
                }
                return true;
            });
        } else if (c.ready == readiness::apiserver_ready) {
            wait_until(c, "ready", [&] { return apiserver_ok("/readyz"); });
        }
    }
    // kube-apiserver may have been running already (start of a half-running cluster).
    const component* api_c = nullptr;
    const component* kcm_c = nullptr;
    for (auto& c : s.components) {
        if (c.name == "kube-apiserver") api_c = &c;
        if (c.name == "kube-controller-manager") kcm_c = &c;
    }
    if (api_c != nullptr) wait_until(*api_c, "ready", [&] { return apiserver_ok("/readyz"); });
    if (kcm_c != nullptr) {
        // The service-account controller creating "default" means kcm is really working.
        wait_until(*kcm_c, "creating the default ServiceAccount", [&] {
            return apiserver_ok("/api/v1/namespaces/default/serviceaccounts/default");
        });
    }
    check_alive();
}

void cluster_manager::stop_components(const cluster_state& s, const std::set<std::string>* only) {
    cluster_layout L{s.dir};
    for (auto it = s.components.rbegin(); it != s.components.rend(); ++it) {
        if (only != nullptr && only->count(it->name) == 0) continue;
        if (auto pid = running_pid(L, *it)) {
            if (!stop_process(*pid)) {
                err_ << "warning: " << it->name << " (pid " << *pid << ") did not stop\n";
            }
        }
        std::error_code ec;
        fs::remove(L.pid_of(it->name), ec);
    }
}

void cluster_manager::sweep(const fs::path& dir, const std::set<std::string>& binaries) {
    static const std::set<std::string> known{"etcd", "kube-apiserver", "kube-controller-manager",
                                             "kube-scheduler", "ghostlet", "metrics-server",
                                             "kubectl"};
    std::string needle = dir.string() + "/";
    for (pid_t pid : find_processes_mentioning(needle)) {
        auto cmd = proc_cmdline(pid);
        if (cmd.empty()) continue;
        bool ours = binaries.count(cmd[0]) != 0 ||
                    known.count(fs::path(cmd[0]).filename().string()) != 0;
        if (!ours) continue;
        err_ << "stopping leftover process " << pid << " (" << cmd[0] << ")\n";
        stop_process(pid, 5s);
    }
}

void cluster_manager::start(const std::string& name, std::chrono::milliseconds wait) {
    auto t0 = std::chrono::steady_clock::now();
    auto s = load(name);
    std::vector<std::string> bins;
    for (auto& c : s.components) {
        if (c.name != "ghostlet") bins.push_back(fs::path(c.binary).filename().string());
    }
    check_binaries(s.bin_dir, bins);
    if (dry_run_) {
        cluster_layout L{s.dir};
        for (const auto& c : s.components)
            if (!running_pid(L, c)) out_ << shell_start_component(c, L);
        return;
    }
    start_components(s, wait);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    out_ << "cluster " << name << " ready in " << fmt_duration(took) << "\n";
}

void cluster_manager::stop(const std::string& name) {
    auto s = load(name);
    if (dry_run_) {
        cluster_layout L{s.dir};
        for (auto it = s.components.rbegin(); it != s.components.rend(); ++it)
            if (running_pid(L, *it)) out_ << shell_stop_component(*it, L);
        return;
    }
    stop_components(s);
    sweep(s.dir, binaries_of(s));
    out_ << "cluster " << name << " stopped\n";
}

bool cluster_manager::remove(const std::string& name,
                             const std::optional<std::string>& kubeconfig) {
    cluster_layout L{fs::absolute(env_.cluster_dir(name))};
    std::error_code ec;
    if (!fs::exists(L.dir, ec)) {
        out_ << "cluster \"" << name << "\" does not exist\n";
        return false;
    }
    std::set<std::string> bins;
    std::vector<std::uint16_t> recorded_ports;
    std::optional<std::string> context_file = kubeconfig;
    if (fs::exists(L.state_file(), ec)) {
        try {
            auto s = parse_state(read_file(L.state_file()));
            if (!context_file) context_file = s.options.kubeconfig;
            if (dry_run_) {
                for (auto it = s.components.rbegin(); it != s.components.rend(); ++it)
                    if (running_pid(L, *it)) out_ << shell_stop_component(*it, L);
                out_ << "rm -rf " << shell_quote(L.dir.string()) << "\n";
                auto target = kubeconfig_target(env_, context_file);
                if (!target.empty())
                    out_ << "# Remove context ghost-" << name << " from " << target.string()
                         << "\n";
                return true;
            }
            stop_components(s);
            bins = binaries_of(s);
            for (auto& [k, p] : s.ports) recorded_ports.push_back(p);
        } catch (const std::exception& e) {
            err_ << "warning: " << e.what() << "; falling back to a process scan\n";
        }
    }
    // Pid files of components not in the state (or a state that never got written).
    for (auto& pf : fs::directory_iterator(L.pids(), ec)) {
        if (auto pid = read_pid_file(pf.path())) {
            auto cmd = proc_cmdline(*pid);
            bool mentions = false;
            for (auto& a : cmd) {
                mentions = mentions || a.find(L.dir.string() + "/") != std::string::npos;
            }
            if (mentions) stop_process(*pid, 5s);
        }
    }
    sweep(L.dir, bins);
    // Sockets close as the processes finish exiting; wait for the recorded ports to be released
    // so a delete really leaves nothing listening.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    for (auto port : recorded_ports) {
        while (port_is_listening(port) && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(50ms);
        }
        if (port_is_listening(port)) {
            err_ << "warning: port " << port << " is still in use after deleting " << name << "\n";
        }
    }
    if (dry_run_) {  // no readable state: only the directory is known
        out_ << "rm -rf " << shell_quote(L.dir.string()) << "\n";
        return true;
    }
    if (auto target = kubeconfig_target(env_, context_file); !target.empty())
        unmerge_kubeconfig(target, "ghost-" + name);
    fs::remove_all(L.dir, ec);
    if (ec) throw ghostctl_error("cannot remove " + L.dir.string() + ": " + ec.message());
    out_ << "cluster \"" << name << "\" deleted\n";
    return true;
}

void cluster_manager::remove_all(const std::optional<std::string>& kubeconfig) {
    auto names = list_clusters(env_.root);
    if (names.empty()) out_ << "no clusters\n";
    for (auto& n : names) remove(n, kubeconfig);
}

void cluster_manager::print_clusters(output_format format) {
    auto names = list_clusters(env_.root);
    if (format != output_format::wide) {
        for (auto& n : names) out_ << n << "\n";
        return;
    }
    // kwokctl's wide columns: components running out of all, and a summary.
    out_ << std::left << std::setw(24) << "NAME" << std::setw(8) << "READY" << "STATUS\n";
    for (auto& n : names) {
        std::string ready = "0/0", status = "Unknown";
        try {
            auto s = load(n);
            cluster_layout L{s.dir};
            std::size_t running = 0;
            for (auto& c : s.components) running += running_pid(L, c) ? 1 : 0;
            ready = std::to_string(running) + "/" + std::to_string(s.components.size());
            status = s.components.empty()                 ? "Unknown"
                     : running == 0                       ? "Stopped"
                     : running == s.components.size()     ? "Ready"
                                                          : "NotReady";
        } catch (const std::exception& e) {
            status = std::string("Failed:") + e.what();
        }
        out_ << std::left << std::setw(24) << n << std::setw(8) << ready << status << "\n";
    }
}

void cluster_manager::print_kubeconfig(const std::string& name, const kubeconfig_options& k) {
    auto s = load(name);
    cluster_layout L{s.dir};
    const bool new_subject =
        k.user != admin_user || k.groups != std::vector<std::string>{admin_group};
    if (!new_subject && k.host.empty() && !k.insecure_skip_tls_verify) {
        out_ << read_file(L.kubeconfig());
        return;
    }
    // As kwokctl: another user or other groups is a new client certificate signed by the
    // cluster CA, one O= per group (how Kubernetes reads a certificate's groups).
    auto pki = read_pki(L.pki());
    kubeconfig_entry kc{"ghost-" + name,
                        "https://127.0.0.1:" + std::to_string(s.ports.at("kube-apiserver")),
                        pki.ca.cert_pem, pki.admin.cert_pem, pki.admin.key_pem};
    if (new_subject) {
        auto leaf = engine::issue_certificate({k.user, k.groups, false, {"clientAuth"}, {}},
                                              &pki.ca);
        kc.cert_pem = leaf.cert_pem;
        kc.key_pem = leaf.key_pem;
    }
    kc.server = server_with_host(kc.server, k.host);
    kc.insecure_skip_tls_verify = k.insecure_skip_tls_verify;
    out_ << render_kubeconfig(kc);
}

void cluster_manager::print_components(const std::string& name, output_format format) {
    auto s = load(name);
    cluster_layout L{s.dir};
    if (format == output_format::name) {
        for (auto& c : s.components) out_ << c.name << "\n";
        return;
    }
    if (format == output_format::wide) {
        out_ << std::left << std::setw(26) << "NAME" << "STATUS\n";
        for (auto& c : s.components)
            out_ << std::left << std::setw(26) << c.name
                 << (running_pid(L, c) ? "Ready" : "Stopped") << "\n";
        return;
    }
    out_ << std::left << std::setw(26) << "NAME" << std::setw(10) << "STATUS" << std::setw(10)
         << "PID" << "PORTS\n";
    for (auto& c : s.components) {
        auto pid = running_pid(L, c);
        std::string ports;
        for (auto p : c.ports) ports += (ports.empty() ? "" : ",") + std::to_string(p);
        out_ << std::left << std::setw(26) << c.name << std::setw(10)
             << (pid ? "running" : "stopped") << std::setw(10)
             << (pid ? std::to_string(*pid) : "-") << (ports.empty() ? "-" : ports) << "\n";
    }
}

void cluster_manager::print_logs(const std::string& name, const std::string& component,
                                 bool follow) {
    auto s = load(name);
    cluster_layout L{s.dir};
    auto file = L.log_of(component);
    std::error_code ec;
    if (!fs::exists(file, ec)) {
        std::string known;
        for (auto& c : s.components) known += (known.empty() ? "" : ", ") + c.name;
        throw ghostctl_error("no log for component \"" + component + "\" (components: " + known +
                             ")");
    }
    std::ifstream in(file, std::ios::binary);
    char buf[65536];
    while (true) {
        while (in.read(buf, sizeof buf) || in.gcount() > 0) {
            out_.write(buf, in.gcount());
            if (in.eof()) break;
        }
        out_.flush();
        if (!follow || interrupted.load()) return;
        in.clear();
        std::this_thread::sleep_for(200ms);
    }
}

void cluster_manager::exec_kubectl(const std::string& name, const std::vector<std::string>& args) {
    auto s = load(name);
    cluster_layout L{s.dir};
    fs::path kubectl = s.bin_dir / "kubectl";
    check_binaries(s.bin_dir, {"kubectl"});
    std::vector<std::string> argv_s{kubectl.string(), "--kubeconfig", L.kubeconfig().string()};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    if (dry_run_) {
        out_ << shell_command(argv_s) << "\n";
        out_.flush();
        std::exit(0);
    }
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    out_.flush();
    ::execv(argv[0], argv.data());
    throw ghostctl_error("cannot exec " + kubectl.string() + ": " + std::strerror(errno));
}

}  // namespace ghost::ghostctl
