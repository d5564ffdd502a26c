#pragma once
// Cluster lifecycle (create/start/stop/delete/get) over processes and a work directory.

#include "apps/ghostctl/components.hpp"
#include "apps/ghostctl/kwokctl_config.hpp"
#include "apps/ghostctl/options.hpp"

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace ghost::ghostctl {

// A failure the user can act on; the message says what to do.
struct ghostctl_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Where things live, from the environment (GHOST_WORKDIR, GHOST_BIN_DIR, GHOSTLET_CACHE,
// GHOST_GHOSTLET_BINARY, KUBECONFIG, HOME).
struct environment {
    std::filesystem::path root;          // ${GHOST_WORKDIR:-~/.ghost}
    std::filesystem::path bin_dir;       // control-plane binaries
    std::optional<std::filesystem::path> ghostlet_binary;
    std::filesystem::path ghostlet_probe;  // where ghostlet was looked for (for the note)
    std::filesystem::path user_kubeconfig;

    static environment from_process_env();
    std::filesystem::path cluster_dir(const std::string& name) const {
        return root / "clusters" / name;
    }
};

// What cluster.json records.
struct cluster_state {
    std::string name;
    std::filesystem::path dir;
    std::filesystem::path bin_dir;
    port_map ports;
    create_options options;
    std::vector<component> components;
};

std::string serialize_state(const cluster_state& s);
cluster_state parse_state(const std::string& json_text);  // throws ghostctl_error

// Ports recorded by every cluster under root except `skip_name`.
std::set<std::uint16_t> ports_of_other_clusters(const std::filesystem::path& root,
                                                const std::string& skip_name);

// Names of clusters under root (directories in <root>/clusters), sorted.
std::vector<std::string> list_clusters(const std::filesystem::path& root);

// Throws ghostctl_error naming the missing binaries and tools/get-control-plane.sh.
void check_binaries(const std::filesystem::path& bin_dir, const std::vector<std::string>& names);

class cluster_manager {
public:
    cluster_manager(environment env, std::ostream& out, std::ostream& err);

    // --dry-run: commands print the shell lines they would run instead of acting.
    void set_dry_run(bool on) { dry_run_ = on; }

    // `docs`: what -c gave (already applied to `o`); written into ghostlet's --config file.
    // Throws config_error for a bad --kube-scheduler-config / --kube-audit-policy file.
    void create(const std::string& name, const create_options& o,
                const kwokctl_documents& docs = {});
    void start(const std::string& name, std::chrono::milliseconds wait);
    void stop(const std::string& name);
    // Returns false when the cluster did not exist. `kubeconfig`: delete --kubeconfig (else
    // the file create merged the context into).
    bool remove(const std::string& name, const std::optional<std::string>& kubeconfig = {});
    void remove_all(const std::optional<std::string>& kubeconfig = {});
    void print_clusters(output_format format = output_format::name);
    void print_kubeconfig(const std::string& name, const kubeconfig_options& k = {});
    void print_components(const std::string& name, output_format format = output_format::table);
    void print_logs(const std::string& name, const std::string& component, bool follow);
    // execs kubectl; returns only on failure (throws).
    [[noreturn]] void exec_kubectl(const std::string& name, const std::vector<std::string>& args);

    // Also used by snapshot restore, which stops some components around its data swap.
    cluster_state load(const std::string& name) const;
    // Starts the components (skipping running ones) and waits for readiness; on failure stops
    // what this call started and throws.
    void start_components(const cluster_state& s, std::chrono::milliseconds wait);
    // Stops the components in reverse start order (only those named in `only`, when given).
    void stop_components(const cluster_state& s, const std::set<std::string>* only = nullptr);

private:
    // One create attempt: choose ports, write files, start and wait; cleans up on failure.
    void create_once(const std::string& name, const create_options& o,
                     const kwokctl_documents& docs);
    // Kills every process that still references the cluster directory.
    void sweep(const std::filesystem::path& dir, const std::set<std::string>& binaries);

    environment env_;
    std::ostream& out_;
    std::ostream& err_;
    bool dry_run_ = false;
};

// Set by SIGINT/SIGTERM handlers; waits give up and clean up when it is set.
void request_interrupt() noexcept;

}  // namespace ghost::ghostctl
