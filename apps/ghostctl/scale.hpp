#pragma once
// `ghostctl scale node|pod [name] --replicas N [--param '.key=value'] [-n ns]`, as kwokctl scale:
// objects named <name>-<000000>, labelled kwok.x-k8s.io/kwokctl-scale=<name>; scaling down
// deletes the highest indexes. The object shapes follow kwokctl's built-in node and pod
// resources (podCIDR per index, InternalIP per index, cpu 32 / memory 256Gi / pods 110).

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
};

inline constexpr const char* scale_label = "kwok.x-k8s.io/kwokctl-scale";

/// The parameters a template reads, after the --param assignments. Throws scale_error naming
/// the bad --param.
boost::json::object scale_parameters(const scale_request& req);

/// "<name>-000042".
std::string scaled_name(const std::string& prefix, int index, int serial_length);

/// The i-th subnet of the same size as `cidr` ("10.0.0.0/24", 3 -> "10.0.3.0/24").
std::string add_cidr(const std::string& cidr, std::uint64_t index);
/// `ip` + index ("192.0.2.1", 300 -> "192.0.3.45").
std::string add_ip(const std::string& ip, std::uint64_t index);

boost::json::object make_scaled_node(const std::string& prefix, int index,
                                     const boost::json::object& params, int serial_length);
boost::json::object make_scaled_pod(const std::string& prefix, int index,
                                    const boost::json::object& params, const std::string& ns,
                                    int serial_length);

/// Creates or deletes objects until exactly `replicas` exist; prints progress to `out`.
/// Returns the exit code.
int run_scale(const scale_request& req, const std::filesystem::path& kubeconfig,
              std::ostream& out);

}  // namespace ghost::ghostctl
