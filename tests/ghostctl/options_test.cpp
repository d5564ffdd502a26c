#include "apps/ghostctl/components.hpp"
#include "apps/ghostctl/options.hpp"

#include <gtest/gtest.h>

namespace ghost::ghostctl {
namespace {

command parse(std::vector<std::string> a) { return parse_command_line(a); }

std::string error_of(std::vector<std::string> a) {
    try {
        parse_command_line(a);
    } catch (const usage_error& e) {
        return e.what();
    }
    return "";
}

TEST(options, create_defaults) {
    auto c = parse({"create", "cluster"});
    EXPECT_EQ(c.kind, command_kind::create_cluster);
    EXPECT_EQ(c.name, "ghost");
    EXPECT_EQ(c.create.heartbeat_factor, 5);
    EXPECT_EQ(c.create.node_lease_duration_seconds, 40);
    EXPECT_FALSE(c.create.disable_qps_limits);
    EXPECT_FALSE(c.create.kube_apiserver_port);
}

TEST(options, create_flags) {
    auto c = parse({"--name", "a", "create", "cluster", "--disable-qps-limits",
                    "--extra-args", "kube-apiserver=v=4", "--extra-args=etcd=log-level=debug",
                    "--disable", "kube-scheduler,ghostlet", "--kube-apiserver-port=6443",
                    "--wait", "1m30s", "--heartbeat-factor", "2",
                    "--node-lease-duration-seconds=10"});
    EXPECT_EQ(c.name, "a");
    EXPECT_TRUE(c.create.disable_qps_limits);
    ASSERT_EQ(c.create.extra_args.size(), 2u);
    EXPECT_EQ(c.create.extra_args[0].component, "kube-apiserver");
    EXPECT_EQ(c.create.extra_args[0].key, "v");
    EXPECT_EQ(c.create.extra_args[0].value, "4");
    EXPECT_EQ(c.create.extra_args[1].key, "log-level");
    EXPECT_EQ(c.create.disabled, (std::set<std::string>{"kube-scheduler", "ghostlet"}));
    EXPECT_EQ(*c.create.kube_apiserver_port, 6443);
    EXPECT_EQ(c.create.wait, std::chrono::seconds(90));
    EXPECT_EQ(c.create.heartbeat_factor, 2);
    EXPECT_EQ(c.create.node_lease_duration_seconds, 10);
}

TEST(options, errors_say_what_is_wrong) {
    EXPECT_NE(error_of({"create", "cluster", "--bogus"}).find("unknown flag: --bogus"),
              std::string::npos);
    EXPECT_NE(error_of({"create", "cluster", "--extra-args", "kube-apiserver"})
                  .find("COMPONENT=KEY=VALUE"),
              std::string::npos);
    EXPECT_NE(error_of({"create", "cluster", "--extra-args", "nope=a=b"}).find("unknown component"),
              std::string::npos);
    EXPECT_NE(error_of({"create", "cluster", "--disable", "etcd"}).find("cannot disable etcd"),
              std::string::npos);
    EXPECT_NE(error_of({"create", "cluster", "--disable=kube-scheduler,kube-apiserver"})
                  .find("cannot disable kube-apiserver"),
              std::string::npos);
    EXPECT_NE(error_of({"create", "cluster", "--kube-apiserver-port", "70000"}).find("70000"),
              std::string::npos);
    EXPECT_NE(error_of({"create", "cluster", "--wait", "soon"}).find("invalid duration"),
              std::string::npos);
    EXPECT_NE(error_of({"create", "cluster", "--name"}).find("flag needs an argument: --name"),
              std::string::npos);
    EXPECT_NE(error_of({"frobnicate"}).find("unknown command"), std::string::npos);
    EXPECT_NE(error_of({"get", "pods"}).find("unknown \"get\" target"), std::string::npos);
    EXPECT_NE(error_of({"delete", "cluster", "--disable-qps-limits"}).find("not valid"),
              std::string::npos);
    EXPECT_NE(error_of({"--name", "a/b", "get", "kubeconfig"}).find("invalid cluster name"),
              std::string::npos);
}

TEST(options, bare_boolean_extra_arg) {
    auto x = parse_extra_arg("kube-apiserver=profiling");
    EXPECT_FALSE(x.has_value);
    EXPECT_EQ(x.key, "profiling");
    auto y = parse_extra_arg("kube-apiserver=--feature-gates=A=true,B=false");
    EXPECT_EQ(y.key, "feature-gates");
    EXPECT_EQ(y.value, "A=true,B=false");
}

TEST(options, other_commands) {
    EXPECT_EQ(parse({"delete", "cluster", "--all"}).all, true);
    EXPECT_EQ(parse({"get", "clusters"}).kind, command_kind::get_clusters);
    EXPECT_EQ(parse({"get", "kubeconfig", "--name=x"}).name, "x");
    EXPECT_EQ(parse({"get", "components"}).kind, command_kind::get_components);
    auto l = parse({"logs", "etcd", "-f"});
    EXPECT_EQ(l.kind, command_kind::logs);
    EXPECT_EQ(l.component, "etcd");
    EXPECT_TRUE(l.follow);
    auto k = parse({"--name", "n", "kubectl", "get", "ns", "--name", "-o", "yaml"});
    EXPECT_EQ(k.kind, command_kind::kubectl);
    EXPECT_EQ(k.name, "n");
    EXPECT_EQ(k.rest, (std::vector<std::string>{"get", "ns", "--name", "-o", "yaml"}));
    EXPECT_EQ(parse({}).kind, command_kind::help);
    EXPECT_EQ(parse({"create", "cluster", "--help"}).kind, command_kind::help);
    EXPECT_NE(parse({"create", "--help"}).help_text.find("--disable-qps-limits"),
              std::string::npos);
}

TEST(options, durations) {
    EXPECT_EQ(parse_duration("30"), std::chrono::seconds(30));
    EXPECT_EQ(parse_duration("500ms"), std::chrono::milliseconds(500));
    EXPECT_EQ(parse_duration("2m"), std::chrono::minutes(2));
    EXPECT_EQ(parse_duration("1h1s"), std::chrono::seconds(3601));
    EXPECT_THROW(parse_duration("5x"), usage_error);
    EXPECT_THROW(parse_duration(""), usage_error);
    EXPECT_THROW(parse_duration("-5s"), usage_error);
    EXPECT_EQ(parse_duration("1.5s"), std::chrono::milliseconds(1500));
}

}  // namespace
}  // namespace ghost::ghostctl

TEST(options, enable_crds_takes_kwok_kinds) {
    auto c = ghost::ghostctl::parse_command_line({"create", "cluster", "--enable-crds", "Stage,Metric"});
    EXPECT_EQ(c.create.enable_crds, (std::vector<std::string>{"Stage", "Metric"}));
    try {
        ghost::ghostctl::parse_command_line({"create", "cluster", "--enable-crds=Widget"});
        FAIL() << "Widget is not a kwok kind";
    } catch (const ghost::ghostctl::usage_error& e) {
        EXPECT_NE(std::string(e.what()).find("--enable-crds: unknown kind \"Widget\""),
                  std::string::npos)
            << e.what();
    }
}

namespace ghost::ghostctl {
namespace {

std::string kwokctl_error_of(std::vector<std::string> a) {
    try {
        parse_command_line(a);
    } catch (const usage_error& e) {
        return e.what();
    }
    return "";
}

TEST(options, kwokctl_create_flags) {
    auto c = parse_command_line(
        {"-v", "DEBUG", "--dry-run", "create", "cluster", "-c", "a.yaml", "--config=dir",
         "--runtime", "binary", "--heartbeat-factor", "2.5", "--kube-authorization=false",
         "--kube-admission=false", "--kube-audit-policy", "/p.yaml", "--kube-feature-gates",
         "A=true,B=false", "--kube-runtime-config", "api/all=true", "--kube-scheduler-config",
         "/s.yaml", "--etcd-port", "2379", "--controller-port", "10247",
         "--kube-controller-manager-port", "10257", "--kube-scheduler-port", "10259",
         "--disable-kube-scheduler", "--kubeconfig", "", "--timeout", "30s",
         "--node-lease-duration-seconds", "0"});
    EXPECT_EQ(c.kind, command_kind::create_cluster);
    EXPECT_EQ(c.config_paths, (std::vector<std::string>{"a.yaml", "dir"}));
    EXPECT_TRUE(c.dry_run);
    EXPECT_EQ(c.create.verbosity, -4);
    EXPECT_DOUBLE_EQ(c.create.heartbeat_factor, 2.5);
    EXPECT_FALSE(c.create.kube_authorization);
    EXPECT_FALSE(c.create.kube_admission);
    EXPECT_EQ(c.create.kube_audit_policy, "/p.yaml");
    EXPECT_EQ(c.create.kube_feature_gates, "A=true,B=false");
    EXPECT_EQ(c.create.kube_runtime_config, "api/all=true");
    EXPECT_EQ(c.create.kube_scheduler_config, "/s.yaml");
    EXPECT_EQ(c.create.fixed_ports,
              (std::map<std::string, std::uint16_t>{{"etcd-client", 2379},
                                                    {"ghostlet", 10247},
                                                    {"kube-controller-manager", 10257},
                                                    {"kube-scheduler", 10259}}));
    EXPECT_TRUE(c.create.disabled.count("kube-scheduler"));
    EXPECT_EQ(c.create.kubeconfig, std::optional<std::string>(""));
    EXPECT_EQ(c.create.timeout, std::chrono::seconds(30));
    EXPECT_EQ(c.create.node_lease_duration_seconds, 0);
}

TEST(options, components_and_kwok_controller_name) {
    auto c = parse_command_line({"create", "cluster", "--disable", "metrics-server",
                                 "--components",
                                 "etcd,kube-apiserver,kwok-controller,metrics-server"})
                 .create;
    EXPECT_EQ(c.components, (std::set<std::string>{"etcd", "kube-apiserver", "ghostlet",
                                                   "metrics-server"}));
    EXPECT_EQ(port_names(c), (std::vector<std::string>{"etcd-peer", "etcd-client",
                                                       "kube-apiserver", "ghostlet"}))
        << "--disable wins over --components, whatever the order (kwokctl)";
    c.disabled.clear();
    EXPECT_TRUE(runs_metrics_server(c));
    auto d = parse_command_line({"create", "cluster", "--disable", "kwok-controller",
                                 "--extra-args", "kwok-controller=cidr=10.1.0.0/16"})
                 .create;
    EXPECT_TRUE(d.disabled.count("ghostlet"));
    EXPECT_EQ(d.extra_args.at(0).component, "ghostlet");
    EXPECT_NE(kwokctl_error_of({"create", "cluster", "--components", "kube-apiserver"})
                  .find("must include etcd"),
              std::string::npos);
}

TEST(options, container_runtimes_and_bad_values_are_clear_errors) {
    EXPECT_NE(kwokctl_error_of({"create", "cluster", "--runtime", "docker"})
                  .find("--runtime: runtime \"docker\" needs a container engine"),
              std::string::npos)
        << kwokctl_error_of({"create", "cluster", "--runtime", "docker"});
    EXPECT_NE(kwokctl_error_of({"create", "cluster", "--heartbeat-factor", "x"})
                  .find("expected a number"),
              std::string::npos);
    EXPECT_NE(kwokctl_error_of({"-v", "LOUD", "get", "clusters"}).find("expected DEBUG"),
              std::string::npos);
    EXPECT_NE(kwokctl_error_of({"get", "clusters", "-o", "json"}).find("expected name or wide"),
              std::string::npos);
    EXPECT_NE(kwokctl_error_of({"get", "clusters", "--user", "u"}).find("not valid"),
              std::string::npos);
}

TEST(options, get_output_and_kubeconfig_flags) {
    EXPECT_EQ(parse_command_line({"get", "components", "-o", "wide"}).output, output_format::wide);
    EXPECT_EQ(parse_command_line({"get", "clusters", "-o", "name"}).output, output_format::name);
    auto k = parse_command_line({"get", "kubeconfig", "--user", "bob", "--group", "devs",
                                 "--host", "10.0.0.1:6443", "--insecure-skip-tls-verify"});
    EXPECT_EQ(k.kind, command_kind::get_kubeconfig);
    EXPECT_EQ(k.kubeconfig.user, "bob");
    EXPECT_EQ(k.kubeconfig.groups, std::vector<std::string>{"devs"});
    EXPECT_EQ(k.kubeconfig.host, "10.0.0.1:6443");
    EXPECT_TRUE(k.kubeconfig.insecure_skip_tls_verify);
    auto d = parse_command_line({"delete", "cluster", "--kubeconfig", "/k"});
    EXPECT_EQ(d.create.kubeconfig, std::optional<std::string>("/k"));
    EXPECT_EQ(parse_command_line({"logs", "audit"}).component, "audit");
}

TEST(options, kubeconfig_groups_are_a_string_slice) {
    auto d = parse({"get", "kubeconfig"});
    EXPECT_EQ(d.kubeconfig.user, "ghost-admin");
    EXPECT_EQ(d.kubeconfig.groups, std::vector<std::string>{"system:masters"});
    // kwokctl's StringSlice: the first use replaces the default, commas split, repeats add.
    auto k = parse({"get", "kubeconfig", "--group", "a,b", "--group=c"});
    EXPECT_EQ(k.kubeconfig.groups, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_TRUE(parse({"get", "kubeconfig", "--group="}).kubeconfig.groups.empty());
    EXPECT_EQ(error_of({"get", "kubeconfig", "--group", "a,,b"}),
              "--group: expected group names, got an empty one");
    EXPECT_EQ(error_of({"get", "kubeconfig", "--user="}), "--user: expected a user name, got \"\"");
}

TEST(options, port_forward_and_export_logs) {
    auto p = parse({"--name", "x", "port-forward", "kube-apiserver", "8443:https"});
    EXPECT_EQ(p.kind, command_kind::port_forward);
    EXPECT_EQ(p.port_forward.component, "kube-apiserver");
    EXPECT_EQ(p.port_forward.local_port, 8443);
    EXPECT_EQ(p.port_forward.target, "https");
    EXPECT_EQ(p.port_forward.address, "127.0.0.1");
    EXPECT_EQ(
        parse({"port-forward", "etcd", "0:2379", "--address", "0.0.0.0"}).port_forward.address,
        "0.0.0.0");
    EXPECT_EQ(error_of({"port-forward", "etcd"}),
              "port-forward needs a component and LOCAL-PORT:PORT, e.g. ghostctl port-forward "
              "kube-apiserver 8443:https");
    EXPECT_NE(error_of({"port-forward", "etcd", "2379"}).find("invalid port mapping \"2379\""),
              std::string::npos);
    EXPECT_EQ(error_of({"port-forward", "etcd", "1:2", "3"}), "unexpected argument \"3\"");
    EXPECT_EQ(error_of({"port-forward", "etcd", "1:2", "--replicas", "3"}),
              "flag --replicas is not valid for \"port-forward\"");

    auto e = parse({"export", "logs"});
    EXPECT_EQ(e.kind, command_kind::export_logs);
    EXPECT_EQ(e.export_dir, "");
    EXPECT_EQ(parse({"export", "logs", "/tmp/x"}).export_dir, "/tmp/x");
    EXPECT_EQ(error_of({"export", "metrics"}),
              "unknown \"export\" target \"metrics\" (expected logs)");
    EXPECT_EQ(error_of({"export", "logs", "a", "b"}), "unexpected argument \"b\"");
    EXPECT_NE(parse({"export", "--help"}).help_text.find("binary-info.txt"), std::string::npos);
    EXPECT_NE(parse({"port-forward", "--help"}).help_text.find("--address"), std::string::npos);
}

TEST(options, scale_takes_any_resource_name) {
    auto s = parse({"scale", "widget", "w", "--replicas", "3", "-n", "team", "--param", ".a=1"});
    EXPECT_EQ(s.kind, command_kind::scale);
    EXPECT_EQ(s.scale.resource, "widget");
    EXPECT_EQ(s.scale.object_name, "w");
    EXPECT_EQ(s.scale.ns, "team");
    EXPECT_EQ(parse({"scale", "pod", "--replicas", "1"}).scale.ns, "")
        << "the template's namespace (pods: default) unless -n";
    EXPECT_NE(error_of({"scale", "--replicas", "1"}).find("scale needs a resource"),
              std::string::npos);
    EXPECT_EQ(parse({"scale", "widget"}).scale.replicas, 1) << "kwokctl's --replicas default";
}

}  // namespace
}  // namespace ghost::ghostctl
