#include "apps/ghostctl/port_forward.hpp"

#include "apps/ghostctl/cluster.hpp"
#include "apps/ghostctl/dry_run.hpp"
#include "apps/ghostctl/ports.hpp"
#include "apps/ghostctl/tcp_relay.hpp"
#include "engine/flags.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <csignal>
#include <optional>
#include <ostream>

namespace ghost::ghostctl {
namespace asio = boost::asio;

std::pair<std::uint16_t, std::string> parse_port_mapping(const std::string& text) {
    auto colon = text.find(':');
    if (colon == std::string::npos || text.find(':', colon + 1) != std::string::npos) {
        throw usage_error("port-forward: invalid port mapping \"" + text +
                          "\": expected LOCAL-PORT:PORT-NAME-OR-NUMBER, e.g. 8443:https");
    }
    std::string local = text.substr(0, colon), target = text.substr(colon + 1);
    std::uint16_t port = 0;
    try {
        port = static_cast<std::uint16_t>(engine::parse_int(local, 0, 65535));
    } catch (const engine::invalid_value&) {
        throw usage_error("port-forward: invalid local port \"" + local + "\" in \"" + text +
                          "\": expected a number from 0 (any free port) to 65535");
    }
    if (target.empty()) {
        throw usage_error("port-forward: no port after ':' in \"" + text +
                          "\": expected a port name (e.g. https) or number");
    }
    return {port, target};
}

std::vector<std::string> port_names_of(const component& c) {
    std::vector<std::string> names;
    if (c.name == "etcd") names = {"http", "peer-http"};  // client, peer (component::ports order)
    else if (c.name == "ghostlet") names = {"http"};
    else names = {"https"};
    names.resize(c.ports.size());
    return names;
}

std::uint16_t resolve_component_port(const component& c, const std::string& target) {
    if (!target.empty() && std::all_of(target.begin(), target.end(),
                                       [](char ch) { return ch >= '0' && ch <= '9'; })) {
        try {
            return static_cast<std::uint16_t>(engine::parse_int(target, 1, 65535));
        } catch (const engine::invalid_value& e) {
            throw ghostctl_error("port-forward: port \"" + target + "\": " + e.what());
        }
    }
    auto names = port_names_of(c);
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == target) return c.ports[i];
    std::string known;
    for (std::size_t i = 0; i < names.size(); ++i)
        known += (known.empty() ? "" : ", ") + names[i] + " (" + std::to_string(c.ports[i]) + ")";
    throw ghostctl_error("port-forward: " + c.name + " has no port named \"" + target +
                         "\" (ports: " + (known.empty() ? "none" : known) + ")");
}

int run_port_forward(const cluster_state& s, const port_forward_options& o, bool dry_run,
                     std::ostream& out, std::ostream& err) {
    const auto wanted = canonical_component(o.component);
    auto it = std::find_if(s.components.begin(), s.components.end(),
                           [&](const component& c) { return c.name == wanted; });
    if (it == s.components.end()) {
        std::string known;
        for (const auto& c : s.components) known += (known.empty() ? "" : ", ") + c.name;
        throw ghostctl_error("port-forward: no component \"" + o.component + "\" in cluster \"" +
                             s.name + "\" (components: " + known + ")");
    }
    const std::uint16_t port = resolve_component_port(*it, o.target);
    boost::system::error_code ec;
    auto address = asio::ip::make_address(o.address, ec);
    if (ec) {
        throw ghostctl_error("port-forward: --address: expected an IP address, got \"" +
                             o.address + "\"");
    }
    if (dry_run) {
        out << "# Forward " << o.address << ":" << o.local_port << " to " << it->name << " ("
            << o.target << ") at 127.0.0.1:" << port << "\n"
            << shell_command({"socat",
                              "TCP-LISTEN:" + std::to_string(o.local_port) + ",bind=" +
                                  o.address + ",fork,reuseaddr",
                              "TCP:127.0.0.1:" + std::to_string(port)})
            << "\n";
        return 0;
    }
    if (!port_is_listening(port))
        err << "warning: nothing listens on " << it->name << "'s port " << port
            << " (is the cluster started?); connections fail until it does\n";

    asio::io_context ioc{1};
    std::optional<tcp_relay> relay;
    try {
        relay.emplace(ioc.get_executor(), asio::ip::tcp::endpoint(address, o.local_port),
                      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                      [&err](const std::string& line) {
                          err << "warning: port-forward: " << line << "\n";
                      });
    } catch (const boost::system::system_error& e) {
        throw ghostctl_error("port-forward: cannot listen on " + o.address + ":" +
                             std::to_string(o.local_port) + ": " + e.code().message());
    }
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& sec, int) {
        if (!sec) relay->stop();
    });
    out << "Forwarding from " << relay->local_endpoint() << " -> " << port << std::endl;
    asio::co_spawn(ioc, relay->run(), [&](std::exception_ptr) {
        boost::system::error_code ignored;
        signals.cancel(ignored);
    });
    ioc.run();
    return 0;
}

}  // namespace ghost::ghostctl
