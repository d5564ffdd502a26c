#pragma once
// kubelet's debugging paths as data: /containerLogs/{ns}/{pod}/{container},
// /exec|attach/{ns}/{pod}[/{uid}]/{container}, /portForward/{ns}/{pod}[/{uid}] (segments
// percent-decoded), and the repeated query parameters exec takes (`command`).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ghost::debugging {

struct pod_target {
    std::string namespace_;
    std::string pod;
    std::string uid;        ///< "" when the path has none
    std::string container;  ///< "" for portForward
};

enum class endpoint { container_logs, exec, attach, port_forward };

/// The endpoint's prefix with its slashes ("/containerLogs/", "/exec/", ...).
std::string_view endpoint_prefix(endpoint e);

/// The pod a path (no query) names, or nullopt when it has the wrong number of segments or an
/// empty or undecodable one.
std::optional<pod_target> parse_endpoint_path(endpoint e, std::string_view path);

/// A query (without '?') as Go's url.ParseQuery reads it: names and values percent-decoded,
/// "+" a space (a literal plus comes as %2B), a name without "=" has the value "". nullopt when
/// the query is malformed.
std::optional<std::vector<std::pair<std::string, std::string>>> decode_query(std::string_view query);

/// Every value of `name` in a query (without '?'), decoded, in order.
std::vector<std::string> query_values(std::string_view query, std::string_view name);

}  // namespace ghost::debugging
