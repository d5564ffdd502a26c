// ghostctl: creates and manages local simulator clusters (see ghostctl --help).

#include "apps/ghostctl/cluster.hpp"
#include "apps/ghostctl/options.hpp"
#include "apps/ghostctl/scale.hpp"
#include "apps/ghostctl/snapshot.hpp"

#include <filesystem>

#include <csignal>
#include <iostream>

namespace {

extern "C" void on_signal(int) { ghost::ghostctl::request_interrupt(); }

}  // namespace

int main(int argc, char** argv) {
    using namespace ghost::ghostctl;
    std::vector<std::string> args(argv + 1, argv + argc);
    command cmd;
    try {
        cmd = parse_command_line(args);
    } catch (const usage_error& e) {
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
        switch (cmd.kind) {
        case command_kind::create_cluster: m.create(cmd.name, cmd.create); break;
        case command_kind::delete_cluster:
            if (cmd.all) m.remove_all();
            else m.remove(cmd.name);
            break;
        case command_kind::start_cluster: m.start(cmd.name, cmd.create.wait); break;
        case command_kind::stop_cluster: m.stop(cmd.name); break;
        case command_kind::get_clusters: m.print_clusters(); break;
        case command_kind::get_kubeconfig: m.print_kubeconfig(cmd.name); break;
        case command_kind::get_components: m.print_components(cmd.name); break;
        case command_kind::logs: m.print_logs(cmd.name, cmd.component, cmd.follow); break;
        case command_kind::kubectl: m.exec_kubectl(cmd.name, cmd.rest);
        case command_kind::etcdctl: exec_etcdctl(m.load(cmd.name), cmd.rest);
        case command_kind::snapshot_save:
        case command_kind::snapshot_restore:
            return run_snapshot(m, cmd.name, cmd.kind == command_kind::snapshot_restore,
                                cmd.snapshot, std::cout, std::cerr);
        case command_kind::scale: {
            auto env = environment::from_process_env();
            auto kubeconfig = env.cluster_dir(cmd.name) / "kubeconfig.yaml";
            if (!std::filesystem::exists(kubeconfig)) {
                std::cerr << "ghostctl: cluster \"" << cmd.name << "\" does not exist (no "
                          << kubeconfig.string() << "); create it with ghostctl create cluster"
                          << (cmd.name == "ghost" ? "" : " --name " + cmd.name) << "\n";
                return 1;
            }
            scale_request req;
            req.resource = cmd.scale.resource;
            req.name = cmd.scale.object_name;
            req.replicas = cmd.scale.replicas;
            req.serial_length = cmd.scale.serial_length;
            req.ns = cmd.scale.ns;
            req.params = cmd.scale.params;
            return run_scale(req, kubeconfig, std::cout);
        }
        case command_kind::help: break;
        }
    } catch (const snapshot_input_error& e) {
        std::cerr << "ghostctl: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "ghostctl: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
