#include "apps/ghostctl/snapshot.hpp"

#include "engine/subprocess.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ostream>

namespace ghost::ghostctl {

namespace fs = std::filesystem;

namespace {

std::string url(std::uint16_t port) { return "http://127.0.0.1:" + std::to_string(port); }

std::uint16_t port_of(const cluster_state& s, const std::string& name) {
    auto it = s.ports.find(name);
    if (it == s.ports.end())
        throw ghostctl_error("cluster.json of " + s.name + " records no " + name + " port");
    return it->second;
}

// The last non-empty line of a tool's output: its error message.
std::string last_line(const std::string& text) {
    auto end = text.find_last_not_of("\n\r ");
    if (end == std::string::npos) return "(no output)";
    auto start = text.rfind('\n', end);
    return text.substr(start == std::string::npos ? 0 : start + 1,
                       end - (start == std::string::npos ? 0 : start + 1) + 1);
}

engine::run_output run_tool(std::vector<std::string> argv) {
    engine::spawn_options so;
    so.argv = std::move(argv);
    return engine::run_capture(std::move(so));
}

void save_etcd(const cluster_state& s, const fs::path& path, std::ostream& out) {
    check_binaries(s.bin_dir, {"etcdctl"});
    auto r = run_tool(etcdctl_argv(s, {"snapshot", "save", path.string()}));
    if (r.exit_code != 0) {
        throw ghostctl_error("etcdctl snapshot save " + path.string() + " failed (exit " +
                             std::to_string(r.exit_code) + "): " + last_line(r.output));
    }
    out << "snapshot of cluster " << s.name << " (etcd) saved to " << path.string() << "\n";
}

void restore_etcd(cluster_manager& m, const cluster_state& s, const fs::path& path,
                  std::ostream& out) {
    check_binaries(s.bin_dir, {"etcdutl"});
    cluster_layout L{s.dir};
    const fs::path fresh = L.dir / "etcd-data";
    const fs::path old = L.dir / "etcd-old";
    fs::remove_all(fresh);
    // Restored first, while the cluster runs: a corrupt snapshot changes nothing.
    auto r = run_tool(etcdutl_restore_argv(s, path, fresh));
    if (r.exit_code != 0) {
        std::error_code ec;
        fs::remove_all(fresh, ec);
        throw snapshot_input_error("snapshot restore: " + path.string() +
                                   ": etcdutl snapshot restore failed: " + last_line(r.output));
    }
    m.stop_components(s);
    try {
        fs::remove_all(old);
        fs::rename(L.etcd_data(), old);
        fs::rename(fresh, L.etcd_data());
        fs::permissions(L.etcd_data(), fs::perms::owner_all, fs::perm_options::replace);
        fs::remove_all(old);
    } catch (const fs::filesystem_error& e) {
        throw ghostctl_error(std::string("snapshot restore: swapping the etcd data directory: ") +
                             e.what() + " (the previous data, if moved, is in " + old.string() +
                             ")");
    }
    m.start_components(s, s.options.wait);
    out << "cluster " << s.name << " restored from " << path.string() << " (etcd)\n";
}

}  // namespace

std::vector<std::string> etcdctl_argv(const cluster_state& s,
                                      const std::vector<std::string>& args) {
    std::vector<std::string> v{(s.bin_dir / "etcdctl").string(),
                               "--endpoints=" + url(port_of(s, "etcd-client"))};
    v.insert(v.end(), args.begin(), args.end());
    return v;
}

std::vector<std::string> etcdutl_restore_argv(const cluster_state& s, const fs::path& snapshot,
                                              const fs::path& data_dir) {
    const std::string peer = url(port_of(s, "etcd-peer"));
    return {(s.bin_dir / "etcdutl").string(),
            "snapshot",
            "restore",
            snapshot.string(),
            "--data-dir=" + data_dir.string(),
            "--name=node0",
            "--initial-cluster=node0=" + peer,
            "--initial-advertise-peer-urls=" + peer};
}

void exec_etcdctl(const cluster_state& s, const std::vector<std::string>& args) {
    check_binaries(s.bin_dir, {"etcdctl"});
    auto argv_s = etcdctl_argv(s, args);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    throw ghostctl_error("cannot exec " + argv_s[0] + ": " + std::strerror(errno));
}

int run_snapshot(cluster_manager& m, const std::string& name, bool restore,
                 const snapshot_options& o, std::ostream& out, std::ostream& err) {
    auto s = m.load(name);
    const fs::path path = o.path;
    std::error_code ec;
    const char* verb = restore ? "snapshot restore" : "snapshot save";
    if (restore && !fs::exists(path, ec))
        throw snapshot_input_error(std::string(verb) + ": path \"" + o.path + "\" does not exist");
    if (!restore && fs::exists(path, ec))
        throw snapshot_input_error(std::string(verb) + ": file \"" + o.path + "\" already exists");
    if (o.format == "etcd") {
        if (!o.filters.empty())
            err << "warning: " << verb << ": --filter applies to --format k8s only; ignored\n";
        if (o.speed != 1)
            err << "warning: " << verb << ": --speed applies to --format k8s only; ignored\n";
        if (restore) restore_etcd(m, s, path, out);
        else save_etcd(s, path, out);
        return 0;
    }
    const fs::path kubeconfig = cluster_layout{s.dir}.kubeconfig();
    if (!restore) return save_k8s_snapshot(kubeconfig, o, out, err);
    // As kwokctl: the controllers are stopped while objects come back, then started again.
    const std::set<std::string> controllers{"kube-controller-manager", "kube-scheduler",
                                            "ghostlet"};
    bool stopped = false;
    int rc = 1;
    try {
        rc = restore_k8s_snapshot(kubeconfig, o, out, err, [&] {
            m.stop_components(s, &controllers);
            stopped = true;
        });
    } catch (...) {
        if (stopped) m.start_components(s, s.options.wait);
        throw;
    }
    if (stopped) m.start_components(s, s.options.wait);
    return rc;
}

}  // namespace ghost::ghostctl
