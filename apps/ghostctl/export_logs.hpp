#pragma once
// `ghostctl export logs [dir]`, kwokctl v0.8.0's layout for the binary runtime:
//   <dir>/kwok.yaml                the cluster's configuration (ghostctl: its ghostlet.yaml)
//   <dir>/binary-info.txt          "<os>/<arch>" in Go's names, no newline
//   <dir>/components/<c>.log       every component's log (ghostctl's names: ghostlet, ...)
//   <dir>/components/audit.log     when kube-apiserver writes one (--audit-log-path)
// The directory is <cluster dir>/export/logs without an argument, else <arg>/<cluster name>.
// An existing <dir>/kwok.yaml is an error (an earlier export is never overwritten).

#include <filesystem>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace ghost::ghostctl {

struct cluster_state;

struct export_plan {
    std::filesystem::path dir;
    std::filesystem::path config_from;  ///< copied to dir/kwok.yaml
    std::string info;                   ///< binary-info.txt's text
    std::vector<std::pair<std::filesystem::path, std::filesystem::path>> logs;  ///< from, to
};

/// kwokctl's target directory for `export logs [arg]`.
std::filesystem::path export_dir(const std::filesystem::path& cluster_dir,
                                 const std::string& cluster_name, const std::string& arg);

/// What the export copies (pure; nothing is checked on disk).
export_plan plan_export(const cluster_state& s, const std::filesystem::path& dir);

/// The shell lines doing the same (--dry-run).
std::string export_shell(const export_plan& p);

/// Copies; a missing component log is one warning line on `err` each (as kwokctl goes on).
/// Throws ghostctl_error when dir/kwok.yaml exists or the configuration cannot be copied.
void run_export(const export_plan& p, std::ostream& out, std::ostream& err);

/// Go's runtime.GOOS + "/" + runtime.GOARCH for this build ("linux/amd64").
std::string go_platform();

}  // namespace ghost::ghostctl
