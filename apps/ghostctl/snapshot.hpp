#pragma once
// `ghostctl snapshot save|restore` (kwokctl's snapshot for the binary runtime) and
// `ghostctl etcdctl ...`.
//   etcd format: save = etcdctl snapshot save against the cluster's etcd; restore = etcdutl
//     snapshot restore into <dir>/etcd-data (before anything is stopped, so a corrupt snapshot
//     leaves the cluster as it was), stop every component, swap the data directory in, start
//     everything again (kwokctl restarts the controllers too: their caches hold revisions of
//     the old history).
//   k8s format: see snapshot_format.hpp; restore runs with kube-controller-manager,
//     kube-scheduler and ghostlet stopped (as kwokctl), so no controller races the restored
//     objects (a Deployment would otherwise get a fresh ReplicaSet before its own came back).

#include "apps/ghostctl/cluster.hpp"
#include "apps/ghostctl/options.hpp"

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <vector>

namespace ghost::ghostctl {

// Bad input (missing or corrupt snapshot, unknown --filter kind): exit 2, cluster untouched.
struct snapshot_input_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Runs snapshot save (restore = false) or restore on cluster `name`; returns the exit code
// (0; 1 when some objects could not be saved/restored, 2 when the only trouble was unreadable
// documents: each named on its own line on `err`).
int run_snapshot(cluster_manager& m, const std::string& name, bool restore,
                 const snapshot_options& o, std::ostream& out, std::ostream& err);

// The k8s-format halves on their own, against the cluster behind `kubeconfig`. Bad input
// throws snapshot_input_error before anything is written; restore calls `before_writes` once
// the file has been read and the kinds resolved, right before its first write.
int save_k8s_snapshot(const std::filesystem::path& kubeconfig, const snapshot_options& o,
                      std::ostream& out, std::ostream& err);
int restore_k8s_snapshot(const std::filesystem::path& kubeconfig, const snapshot_options& o,
                         std::ostream& out, std::ostream& err,
                         const std::function<void()>& before_writes = {});

// `snapshot export`: the objects of the cluster behind o.kubeconfig (the in-cluster service
// account when empty), impersonating o.as_user/o.as_groups, as a k8s snapshot at o.path; with
// o.record it goes on watching and appends ResourcePatch documents until SIGINT or SIGTERM.
// Bad input (existing path, unreadable kubeconfig, unknown --filter) throws
// snapshot_input_error before anything is written.
int export_k8s_snapshot(const snapshot_options& o, std::ostream& out, std::ostream& err);

// etcdctl's argv for the cluster's etcd: <bin>/etcdctl --endpoints=http://127.0.0.1:<port> args.
std::vector<std::string> etcdctl_argv(const cluster_state& s, const std::vector<std::string>& args);
// etcdutl snapshot restore of `snapshot` into `data_dir`, as the cluster's single member
// (name and peer URL as etcd is started with, so the restored member matches its flags).
std::vector<std::string> etcdutl_restore_argv(const cluster_state& s,
                                              const std::filesystem::path& snapshot,
                                              const std::filesystem::path& data_dir);

// execs etcdctl against the cluster; returns only on failure (throws).
[[noreturn]] void exec_etcdctl(const cluster_state& s, const std::vector<std::string>& args);

}  // namespace ghost::ghostctl
