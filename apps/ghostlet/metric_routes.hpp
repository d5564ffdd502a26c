#pragma once
// ghostlet's side of kwok's Metric, ResourceUsage and ClusterResourceUsage: the documents of the
// --config files, the live custom resources (--enable-crds), the index of managed nodes and
// their pods (kept only when some Metric is configured or Metric is an enabled CRD, as kwok),
// fed from the simulation's own node/pod events, and the routes: every Metric path and
// /discovery/prometheus.

#include "apps/ghostlet/kwok_resource_watch.hpp"
#include "apps/ghostlet/options.hpp"
#include "engine/http_server.hpp"
#include "kube/api_client.hpp"
#include "kube/list_watch.hpp"
#include "sim/simulation.hpp"
#include "usage/catalog.hpp"
#include "usage/object_index.hpp"
#include "usage/usage_state.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <deque>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace ghost::ghostlet {

class metric_routes {
public:
    /// Loads the Metric / ResourceUsage / ClusterResourceUsage documents of `opts` (a bad one is
    /// logged as one line and left out).
    metric_routes(const options& opts, kube::api_client& client, sim::simulation::write_sink sink);

    /// Whether nodes and pods are indexed (a Metric can be served).
    bool enabled() const noexcept { return enabled_; }
    void on_node(kube::event_kind kind, const boost::json::object& node, bool managed);
    void on_pod(kube::event_kind kind, const boost::json::object& pod);

    /// The Metric paths (under /metrics/) and /discovery/prometheus; `address` is the server's
    /// host:port, the discovery target for a request without a Host header.
    void install(engine::http_server& server, std::string address);
    /// The live custom-resource watches, to run once the API server is up.
    std::vector<std::pair<std::string, boost::asio::awaitable<void>>> watches();

    /// A GET of `path` in one go (tests, benchmarks); not while an async_serve is under way.
    engine::http_reply serve(std::string_view path);
    /// The route's GET of `path`: rendered `scrape_step` series at a time, giving the executor
    /// back between steps so that a big node's scrape never holds the reactor for long. One
    /// scrape at a time (the usage state's scrape spans the steps); later ones wait their turn.
    boost::asio::awaitable<engine::http_reply> async_serve(std::string path);
    static constexpr std::size_t scrape_step = 256;
    /// Steps the async scrapes took so far (tests).
    std::uint64_t scrape_steps() const noexcept { return steps_; }
    /// kwok's HTTP service discovery: every target is `host` (the Host the scraper reached, as
    /// kwok's req.Host; the server's address without one), `scheme` https on a TLS connection.
    std::string discovery(std::string_view host, std::string_view scheme) const;
    engine::http_reply discovery_reply(const engine::request_head& head) const;
    const usage::catalog& config() const noexcept { return catalog_; }

private:
    usage::usage_state state_{[] { return std::chrono::steady_clock::now(); }};
    usage::catalog catalog_{state_};
    usage::object_index index_;
    bool enabled_ = false;
    std::string address_;
    std::set<std::string> reported_;  ///< scrape errors already logged
    void report(const std::string& metric, std::string_view path,
                const std::vector<std::string>& errors);
    void next_turn();
    bool scraping_ = false;  ///< an async scrape holds the usage state
    std::deque<std::shared_ptr<boost::asio::steady_timer>> waiting_;  ///< scrapes after it
    std::uint64_t steps_ = 0;
    std::vector<std::unique_ptr<kwok_resource_watch>> crs_;
};

}  // namespace ghost::ghostlet
