#pragma once
// `ghostctl port-forward <component> <local-port>:<port-name-or-number>`, as kwokctl's binary
// runtime: a port name is looked up among the component's ports (kwokctl's names: etcd "http"
// and "peer-http", kube-apiserver, kube-controller-manager, kube-scheduler and metrics-server
// "https", ghostlet (kwok-controller) "http"); a number is used as it is. The relay
// (tcp_relay.hpp) runs until SIGINT or SIGTERM.

#include "apps/ghostctl/components.hpp"

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ghost::ghostctl {

/// "8443:https" -> {8443, "https"}. Throws usage_error naming the argument.
std::pair<std::uint16_t, std::string> parse_port_mapping(const std::string& text);

/// kwokctl's names of a component's ports, in the order of component::ports.
std::vector<std::string> port_names_of(const component& c);

/// The port `target` (a name of port_names_of, or a number) stands for. Throws ghostctl_error
/// naming the component's ports when the name is not one of them.
std::uint16_t resolve_component_port(const component& c, const std::string& target);

struct cluster_state;

/// Forwards until SIGINT/SIGTERM; prints "Forwarding from ADDR:PORT -> PORT" once listening.
/// With dry_run prints what it would forward instead. Returns the exit code.
int run_port_forward(const cluster_state& s, const port_forward_options& o, bool dry_run,
                     std::ostream& out, std::ostream& err);

}  // namespace ghost::ghostctl
