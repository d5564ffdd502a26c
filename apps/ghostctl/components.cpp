#include "apps/ghostctl/components.hpp"

#include "apps/ghostctl/kwokctl_config.hpp"

#include <algorithm>

namespace ghost::ghostctl {
namespace {

std::string flag(const std::string& k, const std::string& v) { return "--" + k + "=" + v; }
std::string flag(const std::string& k, const std::filesystem::path& v) {
    return flag(k, v.string());
}
std::string flag(const std::string& k, std::uint16_t v) { return flag(k, std::to_string(v)); }

// Default components run unless disabled or left out of --components.
bool enabled(const create_options& o, const std::string& c) {
    return o.disabled.count(c) == 0 && (o.components.empty() || o.components.count(c) != 0);
}
// Optional components run when asked for (--enable or --components) and not disabled.
bool optional_on(const create_options& o, const std::string& c) {
    return (o.enabled.count(c) != 0 || o.components.count(c) != 0) && o.disabled.count(c) == 0;
}

}  // namespace

std::vector<std::string> port_names(const create_options& o) {
    std::vector<std::string> v{"etcd-peer", "etcd-client", "kube-apiserver"};
    if (enabled(o, "kube-controller-manager")) v.push_back("kube-controller-manager");
    if (enabled(o, "kube-scheduler")) v.push_back("kube-scheduler");
    if (enabled(o, "ghostlet")) v.push_back("ghostlet");
    if (optional_on(o, "metrics-server")) v.push_back("metrics-server");
    return v;
}

bool runs_metrics_server(const create_options& o) { return optional_on(o, "metrics-server"); }

std::vector<std::string> required_binaries(const create_options& o) {
    std::vector<std::string> v{"etcd", "kube-apiserver"};
    if (enabled(o, "kube-controller-manager")) v.push_back("kube-controller-manager");
    if (enabled(o, "kube-scheduler")) v.push_back("kube-scheduler");
    if (optional_on(o, "metrics-server")) v.push_back("metrics-server");
    v.push_back("kubectl");
    return v;
}

void apply_extra_arg(std::vector<std::string>& args, const extra_arg& x) {
    std::string bare = "--" + x.key;
    std::string repl = x.has_value ? bare + "=" + x.value : bare;
    for (auto& a : args) {
        if (a == bare || a.rfind(bare + "=", 0) == 0) {
            a = repl;
            return;
        }
    }
    args.push_back(repl);
}

std::vector<component> build_components(const component_inputs& in) {
    // The periods after kwokctl's heartbeat factor (the recorded options keep the factor).
    create_options o = in.options;
    apply_heartbeat_factor(o);
    const auto& L = in.layout;
    const auto pki = L.pki();
    auto port = [&](const std::string& n) { return in.ports.at(n); };
    auto bin = [&](const std::string& n) { return (in.bin_dir / n).string(); };
    // kwokctl's -v: klog's --v for the Kubernetes components (debug levels only).
    const std::string klog_v =
        o.verbosity < 0 ? "--v=" + std::to_string(-o.verbosity) : std::string();
    std::vector<component> out;

    {
        const std::string peer = "http://127.0.0.1:" + std::to_string(port("etcd-peer"));
        const std::string client = "http://127.0.0.1:" + std::to_string(port("etcd-client"));
        component c{"etcd", bin("etcd"), {}, {port("etcd-client"), port("etcd-peer")},
                    readiness::tcp_listen};
        c.args = {"--name=node0",
                  flag("data-dir", L.etcd_data()),
                  flag("listen-client-urls", client),
                  flag("advertise-client-urls", client),
                  flag("listen-peer-urls", peer),
                  flag("initial-advertise-peer-urls", peer),
                  flag("initial-cluster", "node0=" + peer),
                  "--initial-cluster-state=new",
                  "--auto-compaction-retention=1",
                  "--quota-backend-bytes=8589934592",
                  // A simulator's etcd is disposable; fsync only slows every write down.
                  "--unsafe-no-fsync=true"};
        if (o.verbosity != 0) {
            c.args.push_back(std::string("--log-level=") +
                             (o.verbosity < 0 ? "debug" : o.verbosity < 4 ? "info"
                                                        : o.verbosity < 8 ? "warn" : "error"));
        }
        out.push_back(std::move(c));
    }
    {
        component c{"kube-apiserver", bin("kube-apiserver"), {}, {port("kube-apiserver")},
                    readiness::apiserver_ready};
        c.args = {flag("etcd-servers", "http://127.0.0.1:" + std::to_string(port("etcd-client"))),
                  flag("etcd-prefix", o.etcd_prefix),
                  "--bind-address=127.0.0.1",
                  flag("secure-port", port("kube-apiserver")),
                  flag("tls-cert-file", pki / "apiserver.crt"),
                  flag("tls-private-key-file", pki / "apiserver.key"),
                  flag("client-ca-file", pki / "ca.crt"),
                  flag("service-account-key-file", pki / "sa.pub"),
                  flag("service-account-signing-key-file", pki / "sa.key"),
                  "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                  "--allow-privileged=true",
                  "--endpoint-reconciler-type=none",
                  "--service-cluster-ip-range=10.96.0.0/12",
                  flag("cert-dir", pki),
                  // requestheader config fills extension-apiserver-authentication, which
                  // kcm/scheduler delegated auth otherwise complain about forever.
                  flag("requestheader-client-ca-file", pki / "ca.crt"),
                  "--requestheader-allowed-names=front-proxy-client",
                  "--requestheader-username-headers=X-Remote-User",
                  "--requestheader-group-headers=X-Remote-Group",
                  "--requestheader-extra-headers-prefix=X-Remote-Extra-",
                  flag("proxy-client-cert-file", pki / "front-proxy-client.crt"),
                  flag("proxy-client-key-file", pki / "front-proxy-client.key"),
                  // kubectl logs/exec reach ghostlet through the API server, which shows this
                  // certificate (ghostlet's --client-ca-file trusts its CA). ghostlet's serving
                  // certificate is not verified (no --kubelet-certificate-authority), as
                  // kwokctl leaves it.
                  flag("kubelet-client-certificate", pki / "admin.crt"),
                  flag("kubelet-client-key", pki / "admin.key")};
        // kwokctl's --kube-authorization, --kube-admission, --kube-runtime-config,
        // --kube-feature-gates and --kube-audit-policy.
        if (o.kube_authorization) c.args.push_back("--authorization-mode=Node,RBAC");
        if (!o.kube_admission) c.args.push_back("--admission-control=");
        if (!o.kube_runtime_config.empty())
            c.args.push_back(flag("runtime-config", o.kube_runtime_config));
        if (!o.kube_feature_gates.empty())
            c.args.push_back(flag("feature-gates", o.kube_feature_gates));
        if (!o.kube_audit_policy.empty()) {
            c.args.push_back(flag("audit-policy-file", L.audit_policy()));
            c.args.push_back(flag("audit-log-path", L.log_of("audit")));
        }
        if (!klog_v.empty()) c.args.push_back(klog_v);
        if (o.disable_qps_limits) {
            c.args.insert(c.args.end(), {"--max-requests-inflight=0",
                                         "--max-mutating-requests-inflight=0",
                                         "--enable-priority-and-fairness=false"});
        }
        out.push_back(std::move(c));
    }
    const std::string always_allow = "--authorization-always-allow-paths=/healthz,/readyz,/livez,"
                                     "/metrics";
    // kube-controller-manager and kube-scheduler talk to the API server and serve the same way.
    auto control_loop = [&](const std::string& name, std::vector<std::string> own) {
        component c{name, bin(name), {}, {port(name)}, readiness::none};
        c.args = {flag("kubeconfig", L.kubeconfig()),
                  flag("authentication-kubeconfig", L.kubeconfig()),
                  flag("authorization-kubeconfig", L.kubeconfig())};
        c.args.insert(c.args.end(), own.begin(), own.end());
        c.args.insert(c.args.end(), {"--leader-elect=false", "--bind-address=127.0.0.1",
                                     flag("secure-port", port(name)),
                                     flag("tls-cert-file", pki / "apiserver.crt"),
                                     flag("tls-private-key-file", pki / "apiserver.key"),
                                     always_allow});
        if (o.disable_qps_limits) {
            c.args.insert(c.args.end(), {"--kube-api-qps=5000", "--kube-api-burst=10000"});
        }
        if (!o.kube_feature_gates.empty())
            c.args.push_back(flag("feature-gates", o.kube_feature_gates));
        if (!klog_v.empty()) c.args.push_back(klog_v);
        out.push_back(std::move(c));
    };
    if (enabled(o, "kube-controller-manager")) {
        std::vector<std::string> own;
        if (o.kube_authorization) {
            own = {flag("root-ca-file", pki / "ca.crt"),
                   flag("service-account-private-key-file", pki / "sa.key")};
        }
        own.insert(own.end(),
                   {flag("node-monitor-period", go_duration_string(o.node_monitor_period_ms)),
                    flag("node-monitor-grace-period",
                         go_duration_string(o.node_monitor_grace_period_ms)),
                    "--controllers=*", "--use-service-account-credentials=false"});
        control_loop("kube-controller-manager", own);
    }
    if (enabled(o, "kube-scheduler")) {
        control_loop("kube-scheduler", {});
        if (!o.kube_scheduler_config.empty()) {
            // kwokctl: --config (a copy whose clientConnection.kubeconfig is the cluster's)
            // instead of --kubeconfig.
            auto& args = out.back().args;
            args.erase(args.begin());
            args.insert(args.begin(), flag("config", L.scheduler_config()));
        }
    }
    if (enabled(o, "ghostlet") && in.ghostlet_binary) {
        component c{"ghostlet", in.ghostlet_binary->string(), {}, {port("ghostlet")},
                    readiness::none};
        c.args = {"--kubeconfig", L.kubeconfig().string(), "--manage-all-nodes=true",
                  "--server-address=127.0.0.1:" + std::to_string(port("ghostlet")),
                  "--node-lease-duration-seconds=" +
                      std::to_string(o.node_lease_duration_seconds)};
        // ghostlet's server answers on the port its nodes advertise (kwokctl's --node-port).
        c.args.push_back("--node-port=" + std::to_string(port("ghostlet")));
        // Nodes without addresses get Hostname localhost (kwokctl passes the same), which
        // kube-apiserver tries first to reach the node's kubelet: kubectl logs/exec land here.
        // The debugging endpoints serve only the API server's client certificate.
        c.args.insert(c.args.end(), {"--node-name=localhost", flag("client-ca-file", pki / "ca.crt")});
        if (runs_metrics_server(o)) {
            // And InternalIP 127.0.0.1, where metrics-server finds this ghostlet too (scaled
            // nodes keep their own InternalIP, so metrics-server prefers the Hostname; below).
            c.args.push_back("--node-ip=127.0.0.1");
        }
        if (!o.enable_crds.empty()) {
            std::string kinds;
            for (const auto& k : o.enable_crds) kinds += (kinds.empty() ? "" : ",") + k;
            c.args.push_back("--enable-crds=" + kinds);
        }
        // create writes the stages (heartbeat stretched), -c documents and, with
        // metrics-server, the default usage and Metric there (kwokctl's kwok.yaml).
        c.args.push_back(flag("config", L.ghostlet_config()));
        if (o.verbosity != 0) c.args.push_back("--v=" + std::to_string(o.verbosity));
        out.push_back(std::move(c));
    }
    if (runs_metrics_server(o)) {
        component c{"metrics-server", bin("metrics-server"), {}, {port("metrics-server")},
                    readiness::tcp_listen};
        c.args = {"--bind-address=127.0.0.1",
                  flag("secure-port", port("metrics-server")),
                  flag("kubeconfig", L.kubeconfig()),
                  flag("authentication-kubeconfig", L.kubeconfig()),
                  flag("authorization-kubeconfig", L.kubeconfig()),
                  flag("tls-cert-file", pki / "apiserver.crt"),
                  flag("tls-private-key-file", pki / "apiserver.key"),
                  // Hostname first: every ghostlet-managed node's Hostname is localhost, while
                  // scaled nodes carry kwokctl's unroutable 192.0.2.x InternalIPs.
                  "--kubelet-preferred-address-types=Hostname,InternalIP,ExternalIP",
                  "--kubelet-use-node-status-port",
                  // ghostlet's certificate is self-signed (kwokctl sets the same flag).
                  "--kubelet-insecure-tls",
                  "--metric-resolution=15s",
                  always_allow};
        out.push_back(std::move(c));
    }
    std::vector<std::string> ignored;
    for (auto& c : out) {
        for (const auto& p : o.patches)
            apply_component_patch(c, p, in.warnings ? *in.warnings : ignored);
        for (const auto& x : o.extra_args) {
            if (x.component == c.name) apply_extra_arg(c.args, x);
        }
    }
    return out;
}

}  // namespace ghost::ghostctl
