#pragma once
// kwok's Metric (spec §6.1): a path under /metrics (may hold {nodeName}) and the series served
// there, each with a kind, a dimension (node, pod or container) and CEL labels, value and
// buckets, all compiled at load.

#include "lang/cel.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::usage {

enum class metric_kind { counter, gauge, histogram };
enum class metric_dimension { node, pod, container };

struct metric_label {
    std::string name;
    lang::cel::program value;
};

struct metric_bucket {
    double le = 0;
    lang::cel::program value;  ///< the count at `le` (not cumulative)
    bool hidden = false;       ///< counted into the next visible bucket
};

struct metric_config {
    std::string name;
    std::string help;
    metric_kind kind = metric_kind::gauge;
    metric_dimension dimension = metric_dimension::node;
    std::vector<metric_label> labels;
    std::optional<lang::cel::program> value;  ///< counter and gauge
    std::vector<metric_bucket> buckets;       ///< histogram, sorted by le
};

struct metric {
    std::string name;  ///< metadata.name
    std::string path;  ///< spec.path
    std::vector<metric_config> metrics;

    bool per_node() const { return path.find("{nodeName}") != std::string::npos; }
    /// The node name when `request_path` is this Metric's path ("" for a path without
    /// {nodeName}); nullopt when it is not.
    std::optional<std::string> match(std::string_view request_path) const;
    /// The path with {nodeName} replaced.
    std::string path_for(std::string_view node_name) const;
};

/// Throws usage_error: `src: Metric "x": spec.metrics[2].value: CEL column 5: ...`.
metric parse_metric(const boost::json::object& object, std::string_view source,
                    const lang::cel::environment& env);

}  // namespace ghost::usage
