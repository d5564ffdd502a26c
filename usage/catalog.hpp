#pragma once
// The Metric, ResourceUsage and ClusterResourceUsage objects in force, each parsed and compiled
// once: Metrics of the --config files (in file order), then custom ones; usages the other way
// round — custom resources (by kind, namespace, name) before the --config defaults, since the
// first matching ClusterResourceUsage decides (kwok refuses to have both). A bad object is reported (one line) and left out; the others stay.

#include "usage/metric.hpp"
#include "usage/resource_usage.hpp"
#include "usage/usage_state.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::usage {

/// Metric, ResourceUsage or ClusterResourceUsage.
bool is_usage_kind(std::string_view kind);

class catalog {
public:
    explicit catalog(usage_state& state) : state_(state) {}

    /// A document of a --config file; the error (one line) when it is invalid.
    std::optional<std::string> add_config(const boost::json::object& doc, std::string_view source);
    /// A custom resource added or changed (`kind` as the watch knows it, the object may lack
    /// it); an invalid one replaces nothing and removes its earlier version.
    std::optional<std::string> upsert_resource(std::string_view kind, boost::json::object object);
    void erase_resource(std::string_view kind, const boost::json::object& object);

    /// Config-file Metrics, then custom ones (by name).
    const std::vector<metric>& metrics() const noexcept { return metrics_; }
    bool empty() const noexcept { return metrics_.empty(); }

private:
    void publish();
    static std::string key(std::string_view kind, const boost::json::object& object);

    usage_state& state_;
    std::vector<metric> config_metrics_;
    std::vector<resource_usage> config_usages_;
    std::map<std::string, metric> custom_metrics_;
    std::map<std::string, resource_usage> custom_usages_;
    std::vector<metric> metrics_;
};

/// Prometheus HTTP service discovery (kwok's /discovery/prometheus): one target group per Metric
/// path, per node for {nodeName} paths, labels metrics_name, __scheme__, __metrics_path__.
std::string prometheus_discovery(const std::vector<metric>& metrics,
                                 const std::vector<std::string>& nodes, std::string_view host,
                                 std::string_view scheme);

}  // namespace ghost::usage
