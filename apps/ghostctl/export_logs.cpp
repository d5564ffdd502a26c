#include "apps/ghostctl/export_logs.hpp"

#include "apps/ghostctl/cluster.hpp"
#include "apps/ghostctl/dry_run.hpp"
#include "apps/ghostctl/pki.hpp"

#include <ostream>

namespace ghost::ghostctl {
namespace fs = std::filesystem;

std::string go_platform() {
#if defined(__x86_64__)
    const char* arch = "amd64";
#elif defined(__aarch64__)
    const char* arch = "arm64";
#elif defined(__i386__)
    const char* arch = "386";
#elif defined(__arm__)
    const char* arch = "arm";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
    const char* arch = "ppc64le";
#elif defined(__s390x__)
    const char* arch = "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
    const char* arch = "riscv64";
#else
    const char* arch = "unknown";
#endif
#if defined(__linux__)
    const char* os = "linux";
#elif defined(__APPLE__)
    const char* os = "darwin";
#else
    const char* os = "unknown";
#endif
    return std::string(os) + "/" + arch;
}

fs::path export_dir(const fs::path& cluster_dir, const std::string& cluster_name,
                    const std::string& arg) {
    if (arg.empty()) return cluster_dir / "export" / "logs";
    return fs::path(arg) / cluster_name;
}

export_plan plan_export(const cluster_state& s, const fs::path& dir) {
    cluster_layout L{s.dir};
    export_plan p;
    p.dir = dir;
    p.config_from = L.ghostlet_config();
    p.info = go_platform();
    const auto components = dir / "components";
    for (const auto& c : s.components)
        p.logs.emplace_back(L.log_of(c.name), components / (c.name + ".log"));
    // The audit log is where kube-apiserver writes it (--kube-audit-policy, or --extra-args).
    for (const auto& c : s.components) {
        if (c.name != "kube-apiserver") continue;
        const std::string flag = "--audit-log-path=";
        for (const auto& a : c.args)
            if (a.rfind(flag, 0) == 0 && a.size() > flag.size() && a.substr(flag.size()) != "-")
                p.logs.emplace_back(a.substr(flag.size()), components / "audit.log");
    }
    return p;
}

std::string export_shell(const export_plan& p) {
    auto q = [](const fs::path& x) { return shell_quote(x.string()); };
    std::string out = "mkdir -p " + q(p.dir) + " " + q(p.dir / "components") + "\n";
    out += "cp " + q(p.config_from) + " " + q(p.dir / "kwok.yaml") + "\n";
    out += "printf '%s' " + shell_quote(p.info) + " >" + q(p.dir / "binary-info.txt") + "\n";
    for (const auto& [from, to] : p.logs) out += "cp " + q(from) + " " + q(to) + "\n";
    return out;
}

void run_export(const export_plan& p, std::ostream& out, std::ostream& err) {
    std::error_code ec;
    const auto config_to = p.dir / "kwok.yaml";
    if (fs::exists(config_to, ec))
        throw ghostctl_error("export logs: " + config_to.string() +
                             " already exists (an earlier export); pick another directory");
    fs::create_directories(p.dir / "components", ec);
    if (ec)
        throw ghostctl_error("export logs: cannot create " + p.dir.string() + ": " +
                             ec.message());
    fs::copy_file(p.config_from, config_to, ec);
    if (ec)
        throw ghostctl_error("export logs: cannot copy " + p.config_from.string() + ": " +
                             ec.message());
    write_file(p.dir / "binary-info.txt", p.info);
    std::size_t copied = 0;
    for (const auto& [from, to] : p.logs) {
        fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
        if (ec) {
            err << "warning: export logs: " << from.string() << ": " << ec.message() << "\n";
            continue;
        }
        ++copied;
    }
    out << "exported " << copied << " logs to " << p.dir.string() << "\n";
}

}  // namespace ghost::ghostctl
