#pragma once
// `ghostctl scale <node|pod|RESOURCE> [name] [--replicas N (default 1)] [--param '.key=value'] [-n ns]`, as
// kwokctl scale: objects named <name>-<000000>, labelled kwok.x-k8s.io/kwokctl-scale=<name>;
// new objects take the lowest free serials, scaling down keeps the oldest. One path for every
// resource: a scale_source makes object i (the built-in node and pod shapes of
// kube/fake_objects.hpp, or a KwokctlResource's template), written through kube/bulk_writer.hpp.

#include "apps/ghostctl/kwokctl_config.hpp"
#include "kube/resource.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <vector>

namespace ghost::ghostctl {

struct scale_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct scale_request {
    std::string resource;            ///< node, pod or a KwokctlResource's name
    std::string name;                ///< object name prefix; default: the resource
    int replicas = -1;               ///< required
    int serial_length = 6;
    std::string ns;                  ///< -n; "": the template's, else "default"
    std::vector<std::string> params; ///< jq assignments applied to the parameters
    /// The KwokctlResource to render; null: the built-in node or pod.
    const kwokctl_resource* custom = nullptr;
    int parallelism = 16;
    bool dry_run = false;            ///< list what exists, print kubectl lines, write nothing
    std::filesystem::path kubectl;   ///< for the printed lines
};

/// The parameters after the --param assignments, in order. Throws scale_error naming the
/// bad --param.
boost::json::value apply_params(boost::json::value parameters,
                                const std::vector<std::string>& params);

/// An object the kwokctl-scale label selected.
struct scaled_object {
    std::string name;
    std::string creation_timestamp;  ///< RFC 3339 as the API server writes it
    bool deleting = false;           ///< has a deletionTimestamp
};

/// kwokctl's rule: with more than `replicas`, the oldest (creationTimestamp, then name) stay
/// and the others go; with fewer, the lowest serials whose names are free are created.
/// Unlike kwokctl, objects being deleted do not count (their names stay taken), so a scale
/// during graceful deletions ends with `replicas` objects that stay.
struct scale_diff {
    std::vector<std::size_t> create;  ///< serials
    std::vector<std::string> remove;  ///< names
};
scale_diff diff_scale(std::vector<scaled_object> existing, const std::string& prefix,
                      int replicas, int serial_length);

/// What scale writes: the resource, the namespace (namespaced resources) and object i, named
/// kube::scaled_name(prefix, i) with the scale label. `make` throws scale_error.
struct scale_source {
    kube::resource_ref resource;
    std::string ns;
    std::function<boost::json::object(std::size_t index)> make;
};

/// The built-in node or pod (kube/fake_objects.hpp). Throws scale_error for another
/// resource or a bad --param.
scale_source builtin_source(const scale_request& req);

/// A KwokctlResource's object i, rendered and then named, labelled and put in `ns` as
/// kwokctl does (ns "" for cluster-scoped resources).
boost::json::object render_scaled(const kwokctl_resource& r, const boost::json::value& params,
                                  const std::string& prefix, std::size_t index,
                                  int serial_length, const std::string& ns);

/// --dry-run: `kubectl create --validate=false -f -` of a List of the objects to create and
/// `kubectl delete <resource> <names>`.
std::string scale_plan(const scale_request& req, const std::filesystem::path& kubeconfig,
                       const scale_source& src, const scale_diff& diff);

/// The KwokctlResource `scale <resource>` renders: the last one of that name in `given` (-c
/// and ghost.yaml), else in `saved` (the cluster's create documents); null for the built-in
/// node and pod. Throws scale_error naming the resources there are.
const kwokctl_resource* choose_resource(const std::string& resource,
                                        const std::vector<kwokctl_resource>& given,
                                        const std::vector<kwokctl_resource>& saved);

/// Creates or deletes objects until exactly `replicas` exist; prints progress to `out`.
/// Returns the exit code.
int run_scale(const scale_request& req, const std::filesystem::path& kubeconfig,
              std::ostream& out);

}  // namespace ghost::ghostctl
