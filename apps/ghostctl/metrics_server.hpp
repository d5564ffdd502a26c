#pragma once
// What `create cluster --enable metrics-server` adds besides the process: ghostlet's default
// usage and resource Metric (its --config), and the objects through which kube-apiserver's
// aggregation layer reaches the local metrics-server (as kwokctl's binary runtime does: an
// ExternalName Service for 127.0.0.1 and the APIService v1beta1.metrics.k8s.io on its port).

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ghost::ghostctl {

/// ghostctl's default ClusterResourceUsage (pod annotations, else 1m / 1Mi) and Metric
/// metrics-resource, as (file name, YAML) pairs (apps/ghostctl/defaults).
const std::vector<std::pair<std::string_view, std::string_view>>& metrics_default_documents();
/// Those documents as one multi-document YAML file for ghostlet's --config.
std::string ghostlet_metrics_config();

/// kube-system/metrics-server, type ExternalName 127.0.0.1.
boost::json::object metrics_server_service();
/// APIService v1beta1.metrics.k8s.io served by that Service on `port`. TLS to metrics-server
/// is not verified (kwokctl's manifest does the same): its serving certificate is the
/// apiserver's, which does not name metrics-server.kube-system.svc.
boost::json::object metrics_apiservice(std::uint16_t port);

}  // namespace ghost::ghostctl
