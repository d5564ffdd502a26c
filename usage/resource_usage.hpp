#pragma once
// kwok's ResourceUsage (namespaced, one pod by name) and ClusterResourceUsage (pods chosen by a
// selector), spec §6.2: per container a usage per resource, a quantity or a CEL expression
// compiled once at load against the Metric environment.

#include "kube/quantity.hpp"
#include "lang/cel.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::usage {

/// A bad Metric / ResourceUsage / ClusterResourceUsage document: one line naming the source,
/// the object, the field and what was expected.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// `value` (a fixed quantity) or `expression` (CEL on node, pod, container).
struct usage_value {
    std::optional<kube::quantity> quantity;
    std::optional<lang::cel::program> expression;
};

/// spec.usages[i]: `containers` empty = the default entry.
struct usage_entry {
    std::vector<std::string> containers;
    std::map<std::string, usage_value, std::less<>> usage;
};

struct usage_selector {
    std::vector<std::string> match_namespaces;  ///< empty = every namespace
    std::vector<std::string> match_names;       ///< empty = every name
    bool matches(std::string_view pod_namespace, std::string_view pod_name) const;
};

struct resource_usage {
    std::string name;
    std::string namespace_;  ///< ResourceUsage only
    bool cluster = false;    ///< ClusterResourceUsage
    std::optional<usage_selector> selector;  ///< ClusterResourceUsage; nullopt = every pod
    std::vector<usage_entry> usages;

    /// The entry naming `container`, else the first default entry, else null.
    const usage_entry* find(std::string_view container) const;
};

/// Parses one ResourceUsage or ClusterResourceUsage object (kind decides); `source` names the
/// file or "custom resource" in messages. Throws usage_error:
/// `src: ClusterResourceUsage "x": spec.usages[0].usage.cpu.expression: CEL column 3: ...`.
resource_usage parse_resource_usage(const boost::json::object& object, std::string_view source,
                                    const lang::cel::environment& env);

/// `file: Kind "name": ` — the prefix of every message about one object.
std::string object_prefix(const boost::json::object& object, std::string_view source);

}  // namespace ghost::usage
