#pragma once
// `ghostctl scale node|pod [name] --replicas N [--param '.key=value'] [-n ns]`, as kwokctl scale:
// objects named <name>-<000000>, labelled kwok.x-k8s.io/kwokctl-scale=<name>; scaling down
// deletes the highest indexes. The object shapes are kube/fake_objects.hpp (kwokctl's built-in
// node and pod resources), written through kube/bulk_writer.hpp.

#include <boost/json/object.hpp>

#include <filesystem>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <vector>

namespace ghost::ghostctl {

struct scale_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct scale_request {
    std::string resource;            ///< "node" or "pod"
    std::string name;                ///< object name prefix; default: the resource
    int replicas = -1;               ///< required
    int serial_length = 6;
    std::string ns = "default";      ///< pods only
    std::vector<std::string> params; ///< jq assignments applied to the parameters
    int parallelism = 16;
    bool dry_run = false;            ///< list what exists, print kubectl lines, write nothing
    std::filesystem::path kubectl;   ///< for the printed lines
};

/// --dry-run: the kubectl lines creating the indexes in `create` and deleting those in
/// `remove` (a List of the objects ghostctl would create; names as it would delete them).
std::string scale_plan(const scale_request& req, const std::filesystem::path& kubeconfig,
                       const std::vector<int>& create, const std::vector<int>& remove);

/// The parameters a template reads, after the --param assignments. Throws scale_error naming
/// the bad --param.
boost::json::object scale_parameters(const scale_request& req);

/// Creates or deletes objects until exactly `replicas` exist; prints progress to `out`.
/// Returns the exit code.
int run_scale(const scale_request& req, const std::filesystem::path& kubeconfig,
              std::ostream& out);

}  // namespace ghost::ghostctl
