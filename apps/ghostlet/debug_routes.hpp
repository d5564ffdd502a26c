#pragma once
// kwok's debugging endpoints on ghostlet's server (spec §6.3): the Logs / Exec / Attach /
// PortForward resources (and Cluster*) of the --config files and, with --enable-crds, live
// custom resources (an invalid one: a log line and a Warning Event naming the field), and the
// routes: /containerLogs (whole or followed, from the configured file), /exec, /attach and
// /portForward (authenticated and resolved here, then served over SPDY/3.1 by pod_streams), and
// kwok's 405 "Debug endpoints are disabled." paths. With --client-ca-file only clients whose
// certificate that CA verified are served (kube-apiserver's --kubelet-client-certificate).

#include "apps/ghostlet/kwok_resource_watch.hpp"
#include "apps/ghostlet/options.hpp"
#include "debugging/catalog.hpp"
#include "debugging/container_logs.hpp"
#include "engine/byte_stream.hpp"
#include "engine/http_server.hpp"
#include "kube/api_client.hpp"
#include "sim/simulation.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ghost::ghostlet {

class debug_routes {
public:
    /// Loads the debugging documents of `opts` (a bad one is logged as one line, left out).
    debug_routes(const options& opts, kube::api_client& client, sim::simulation::write_sink sink);

    /// The stream routes and the disabled paths; `server_header` is the Server header.
    void install(engine::http_server& server, std::string server_header);
    /// The live custom-resource watches, to run once the API server is up.
    std::vector<std::pair<std::string, boost::asio::awaitable<void>>> watches();

    const debugging::catalog& catalog() const noexcept { return catalog_; }
    /// The watch of one enabled kind (nullptr when not enabled), for tests.
    kwok_resource_watch* watch_of(std::string_view kind);
    /// How often a followed log file is checked for new lines.
    void set_follow_poll_interval(std::chrono::milliseconds d) { poll_ = d; }

    boost::asio::awaitable<void> serve_logs(engine::request_head head,
                                            std::unique_ptr<engine::byte_stream> stream,
                                            std::string already_read);
    boost::asio::awaitable<void> serve_streaming(engine::request_head head,
                                                 std::unique_ptr<engine::byte_stream> stream,
                                                 std::string already_read);

private:
    /// False (and the 401 written) when client certificates are required and this one is not.
    boost::asio::awaitable<bool> authenticate(const engine::request_head& head,
                                              engine::byte_stream& stream);
    boost::asio::awaitable<void> reply(engine::byte_stream& stream, unsigned status,
                                       std::string body);
    boost::asio::awaitable<void> follow(engine::byte_stream& stream, std::string path,
                                        std::uint64_t offset, debugging::log_filter filter);

    debugging::catalog catalog_;
    std::vector<std::pair<std::string, std::unique_ptr<kwok_resource_watch>>> crs_;
    bool enabled_ = true;          ///< kwok's enableDebuggingHandlers
    bool require_client_cert_ = false;
    std::string server_header_ = "ghostlet";
    std::chrono::milliseconds poll_{250};
};

}  // namespace ghost::ghostlet
