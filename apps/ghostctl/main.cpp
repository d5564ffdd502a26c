// ghostctl: creates and manages local simulator clusters (see ghostctl --help).

#include "apps/ghostctl/cluster.hpp"
#include "apps/ghostctl/dry_run.hpp"
#include "apps/ghostctl/export_logs.hpp"
#include "apps/ghostctl/kwokctl_config.hpp"
#include "apps/ghostctl/options.hpp"
#include "apps/ghostctl/port_forward.hpp"
#include "apps/ghostctl/scale.hpp"
#include "apps/ghostctl/snapshot.hpp"
#include "apps/ghostctl/snapshot_format.hpp"

#include <filesystem>

#include <csignal>
#include <iostream>

namespace {

extern "C" void on_signal(int) { ghost::ghostctl::request_interrupt(); }

using namespace ghost::ghostctl;

// --dry-run of snapshot save|restore: the commands kwokctl's dry run names for them.
void print_snapshot_plan(const cluster_state& s, bool restore, const snapshot_options& o,
                         std::ostream& out) {
    cluster_layout L{s.dir};
    if (o.format == "k8s") {
        std::string kinds;
        for (const auto& f : o.filters.empty() ? default_snapshot_filters() : o.filters)
            kinds += (kinds.empty() ? "" : ",") + f;
        std::vector<std::string> argv{(s.bin_dir / "kubectl").string(), "--kubeconfig",
                                      L.kubeconfig().string()};
        if (restore) {
            argv.insert(argv.end(), {"create", "-f", o.path});
            out << shell_command(argv) << "\n";
        } else {
            argv.insert(argv.end(), {"get", kinds, "-A", "-o", "yaml"});
            out << shell_command(argv) << " >" << shell_quote(o.path) << "\n";
        }
        return;
    }
    if (!restore) {
        out << shell_command(etcdctl_argv(s, {"snapshot", "save", o.path})) << "\n";
        return;
    }
    const auto staged = L.dir / "etcd-data";
    out << shell_command(etcdutl_restore_argv(s, o.path, staged)) << "\n";
    for (auto it = s.components.rbegin(); it != s.components.rend(); ++it)
        out << shell_stop_component(*it, L);
    out << "rm -rf " << shell_quote(L.etcd_data().string()) << " && mv "
        << shell_quote(staged.string()) << " " << shell_quote(L.etcd_data().string()) << "\n";
    for (const auto& c : s.components) out << shell_start_component(c, L);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    command cmd;
    kwokctl_documents docs;
    try {
        cmd = parse_command_line(args);
        if (cmd.kind == command_kind::create_cluster || cmd.kind == command_kind::scale) {
            // kwokctl's ~/.kwok/kwok.yaml is ghostctl's <workdir>/ghost.yaml: read first.
            auto paths = with_default_config(
                cmd.config_paths, environment::from_process_env().root / "ghost.yaml");
            if (!paths.empty()) docs = read_kwokctl_documents(paths);
            if (cmd.kind == command_kind::create_cluster) apply_kwokctl_options(cmd, docs);
        } else if (!cmd.config_paths.empty() && cmd.kind != command_kind::help) {
            // The cluster keeps what create read (its ghostlet.yaml).
            std::cerr << "warning: -c/--config is read by create cluster and scale only; "
                         "ignored\n";
        }
    } catch (const usage_error& e) {
        std::cerr << "ghostctl: " << e.what() << "\n";
        return 2;
    } catch (const config_error& e) {
        std::cerr << "ghostctl: " << e.what() << "\n";
        return 2;
    }
    if (cmd.kind == command_kind::help) {
        std::cout << cmd.help_text;
        return 0;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGPIPE, SIG_IGN);
    try {
        cluster_manager m(environment::from_process_env(), std::cout, std::cerr);
        m.set_dry_run(cmd.dry_run);
        auto start_wait = cmd.create.wait;
        if (cmd.create.timeout.count() > 0) start_wait = std::min(start_wait, cmd.create.timeout);
        switch (cmd.kind) {
        case command_kind::create_cluster: m.create(cmd.name, cmd.create, docs); break;
        case command_kind::delete_cluster:
            if (cmd.all) m.remove_all(cmd.create.kubeconfig);
            else m.remove(cmd.name, cmd.create.kubeconfig);
            break;
        case command_kind::start_cluster: m.start(cmd.name, start_wait); break;
        case command_kind::stop_cluster: m.stop(cmd.name); break;
        case command_kind::get_clusters: m.print_clusters(cmd.output); break;
        case command_kind::get_kubeconfig: m.print_kubeconfig(cmd.name, cmd.kubeconfig); break;
        case command_kind::get_components: m.print_components(cmd.name, cmd.output); break;
        case command_kind::logs: {
            if (cmd.dry_run) {
                auto file = cluster_layout{m.load(cmd.name).dir}.log_of(cmd.component);
                std::cout << (cmd.follow ? "tail -f " : "cat ") << shell_quote(file.string())
                          << "\n";
                break;
            }
            m.print_logs(cmd.name, cmd.component, cmd.follow);
            break;
        }
        case command_kind::kubectl: m.exec_kubectl(cmd.name, cmd.rest);
        case command_kind::etcdctl: {
            auto s = m.load(cmd.name);
            if (cmd.dry_run) {
                std::cout << shell_command(etcdctl_argv(s, cmd.rest)) << "\n";
                break;
            }
            exec_etcdctl(s, cmd.rest);
        }
        case command_kind::snapshot_save:
        case command_kind::snapshot_restore: {
            const bool restore = cmd.kind == command_kind::snapshot_restore;
            if (cmd.dry_run) {
                print_snapshot_plan(m.load(cmd.name), restore, cmd.snapshot, std::cout);
                break;
            }
            return run_snapshot(m, cmd.name, restore, cmd.snapshot, std::cout, std::cerr);
        }
        case command_kind::snapshot_export:
            if (cmd.dry_run) {  // kwokctl's dry run of export
                std::string kinds;
                for (const auto& f : cmd.snapshot.filters.empty() ? default_snapshot_filters()
                                                                  : cmd.snapshot.filters)
                    kinds += (kinds.empty() ? "" : ",") + f;
                std::cout << "kubectl --kubeconfig " << shell_quote(cmd.snapshot.kubeconfig)
                          << " get " << kinds << " -o yaml >" << shell_quote(cmd.snapshot.path)
                          << "\n";
                break;
            }
            return export_k8s_snapshot(cmd.snapshot, std::cout, std::cerr);
        case command_kind::scale: {
            auto env = environment::from_process_env();
            auto kubeconfig = env.cluster_dir(cmd.name) / "kubeconfig.yaml";
            if (!std::filesystem::exists(kubeconfig)) {
                std::cerr << "ghostctl: cluster \"" << cmd.name << "\" does not exist (no "
                          << kubeconfig.string() << "); create it with ghostctl create cluster"
                          << (cmd.name == "ghost" ? "" : " --name " + cmd.name) << "\n";
                return 1;
            }
            // The cluster's own KwokctlResources (create -c), after -c and ghost.yaml.
            kwokctl_documents saved;
            auto saved_path = cluster_layout{env.cluster_dir(cmd.name)}.ghostlet_config();
            if (std::filesystem::exists(saved_path))
                saved = read_kwokctl_documents({saved_path.string()});
            scale_request req;
            req.custom = choose_resource(cmd.scale.resource, docs.resources, saved.resources);
            req.resource = cmd.scale.resource;
            req.name = cmd.scale.object_name;
            req.replicas = cmd.scale.replicas;
            req.serial_length = cmd.scale.serial_length;
            req.ns = cmd.scale.ns;
            req.params = cmd.scale.params;
            req.dry_run = cmd.dry_run;
            req.kubectl = env.bin_dir / "kubectl";
            return run_scale(req, kubeconfig, std::cout);
        }
        case command_kind::export_logs: {
            auto s = m.load(cmd.name);
            auto plan = plan_export(s, export_dir(s.dir, cmd.name, cmd.export_dir));
            if (cmd.dry_run) std::cout << export_shell(plan);
            else run_export(plan, std::cout, std::cerr);
            break;
        }
        case command_kind::port_forward:
            return run_port_forward(m.load(cmd.name), cmd.port_forward, cmd.dry_run, std::cout,
                                    std::cerr);
        case command_kind::help: break;
        }
    } catch (const snapshot_input_error& e) {
        std::cerr << "ghostctl: " << e.what() << "\n";
        return 2;
    } catch (const scale_error& e) {
        std::cerr << "ghostctl: " << e.what() << "\n";
        return 2;
    } catch (const config_error& e) {
        std::cerr << "ghostctl: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "ghostctl: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
