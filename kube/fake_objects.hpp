#pragma once
// The fake Nodes and Pods `kwokctl scale` creates (its built-in node and pod resources): objects
// named <prefix>-<000042>, labelled kwok.x-k8s.io/kwokctl-scale=<prefix>, a podCIDR and an
// InternalIP per index, cpu 32 / memory 256Gi / pods 110, kwok's taint and toleration. Used by
// `ghostctl scale` and the scenario runner.

#include <boost/json/object.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace ghost::kube {

inline constexpr std::string_view scale_label = "kwok.x-k8s.io/kwokctl-scale";

/// The parameters the shapes read, with kwokctl's defaults: podCIDR "10.0.0.0/24", podCIDRv6
/// "fd00::/64", internalIP "192.0.2.1", internalIPv6 "2001:db8::1", allocatable, labels,
/// annotations.
boost::json::object default_fake_node_parameters();
/// nodeName "" (scheduled onto fake nodes by affinity), hostNetwork, image "busybox",
/// resources, labels, annotations.
boost::json::object default_fake_pod_parameters();

/// "<prefix>-000042" (serial_length digits).
std::string scaled_name(std::string_view prefix, std::size_t index, int serial_length = 6);

/// Node `index`: the index-th podCIDR subnets and InternalIP + index. Throws
/// std::invalid_argument naming a malformed CIDR or IP parameter.
boost::json::object make_fake_node(std::string_view prefix, std::size_t index,
                                   const boost::json::object& params, int serial_length = 6);
/// Pod `index` in namespace `ns`, on params.nodeName when set.
boost::json::object make_fake_pod(std::string_view prefix, std::size_t index,
                                  const boost::json::object& params, std::string_view ns,
                                  int serial_length = 6);

}  // namespace ghost::kube
