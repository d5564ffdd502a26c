#include "apps/ghostlet/metric_routes.hpp"

#include "engine/log.hpp"
#include "sim/node_registry.hpp"
#include "stages/stage.hpp"
#include "usage/render.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace ghost::ghostlet {

namespace {

bool enabled_crd(const options& o, std::string_view kind) {
    return std::find(o.enable_crds.begin(), o.enable_crds.end(), kind) != o.enable_crds.end();
}

}  // namespace

metric_routes::metric_routes(const options& opts, kube::api_client& client,
                             sim::simulation::write_sink sink) {
    for (const auto& doc : opts.usage_documents) {
        auto json = stages::yaml_node_to_json(doc.node);
        std::string where = doc.file + " (document " + std::to_string(doc.index + 1) + ")";
        if (!json.is_object()) continue;
        if (auto err = catalog_.add_config(json.get_object(), where))
            GHOST_LOG_ERROR("invalid ", *err, " (left out; the others keep working)");
    }
    state_.set_started_containers(
        [this](std::string_view node) { return index_.started_containers(node); });
    enabled_ = !catalog_.empty() || enabled_crd(opts, "Metric");
    for (std::string_view kind : {"Metric", "ResourceUsage", "ClusterResourceUsage"}) {
        if (!enabled_crd(opts, kind)) continue;
        std::string k(kind);
        crs_.push_back(std::make_unique<kwok_resource_watch>(
            client, sink, *stages::find_kwok_kind(kind), "Invalid" + k,
            kwok_resource_watch::handlers{
                [this, k](const boost::json::object& o) {
                    auto err = catalog_.upsert_resource(k, o);
                    if (!err)
                        GHOST_LOG_INFO(k, " ", kube::object_key(o), " in use (",
                                       catalog_.metrics().size(), " Metric(s) served)");
                    return err;
                },
                [this, k](const boost::json::object& o) { catalog_.erase_resource(k, o); }}));
    }
    if (enabled_)
        GHOST_LOG_INFO("serving ", catalog_.metrics().size(), " Metric(s) from --config",
                       crs_.empty() ? "" : " plus custom resources");
}

void metric_routes::on_node(kube::event_kind kind, const boost::json::object& node,
                            bool managed) {
    if (!enabled_) return;
    if (kind == kube::event_kind::deleted) {
        auto name = sim::metadata_string(node, "name");
        index_.erase_node(name);
        state_.forget_node(name);
        return;
    }
    index_.upsert_node(node, managed);
}

void metric_routes::on_pod(kube::event_kind kind, const boost::json::object& pod) {
    if (!enabled_) return;
    if (kind == kube::event_kind::deleted) {
        index_.erase_pod(pod);
        state_.forget_pod(sim::metadata_string(pod, "namespace"), sim::metadata_string(pod, "name"));
        return;
    }
    index_.upsert_pod(pod);
}

engine::http_reply metric_routes::serve(std::string_view path) {
    const auto& metrics = catalog_.metrics();
    // The last Metric with this path wins, as kwok's route table replaces earlier ones.
    for (auto it = metrics.rbegin(); it != metrics.rend(); ++it) {
        auto node_name = it->match(path);
        if (!node_name) continue;
        // A path without {nodeName} reads the node named like the Metric, as kwok does.
        const auto* node = index_.node(it->per_node() ? *node_name : it->name);
        if (!node && it->per_node())
            return {404, "text/plain; charset=utf-8", "node " + *node_name + " is not managed here\n"};
        usage::scrape_input in{node, node ? index_.pods_of(it->per_node() ? *node_name : it->name)
                                          : std::vector<const boost::json::value*>{}};
        engine::http_reply reply{200, "text/plain; version=0.0.4; charset=utf-8", {}};
        std::vector<std::string> errors;
        usage::render_metric(*it, in, state_, reply.body, &errors);
        report(it->name, path, errors);
        return reply;
    }
    return {404, "text/plain; charset=utf-8", "404 page not found\n"};
}

void metric_routes::report(const std::string& metric, std::string_view path,
                           const std::vector<std::string>& errors) {
    for (const auto& e : errors) {
        if (reported_.size() < 1000 && reported_.insert(metric + e).second)
            GHOST_LOG_WARN("Metric \"", metric, "\" at ", path, ": ", e);
    }
}

void metric_routes::next_turn() {
    if (waiting_.empty()) {
        scraping_ = false;
        return;
    }
    auto next = std::move(waiting_.front());  // scraping_ stays set: the turn passes to it
    waiting_.pop_front();
    next->cancel();
}

boost::asio::awaitable<engine::http_reply> metric_routes::async_serve(std::string path) {
    namespace asio = boost::asio;
    auto ex = co_await asio::this_coro::executor;
    if (scraping_) {
        auto turn = std::make_shared<asio::steady_timer>(ex, asio::steady_timer::time_point::max());
        waiting_.push_back(turn);
        co_await turn->async_wait(asio::as_tuple(asio::use_awaitable));
    }
    scraping_ = true;
    struct pass_turn {
        metric_routes& routes;
        ~pass_turn() { routes.next_turn(); }
    } guard{*this};

    const auto& metrics = catalog_.metrics();
    auto it = std::find_if(metrics.rbegin(), metrics.rend(),
                           [&](const usage::metric& m) { return m.match(path).has_value(); });
    if (it == metrics.rend())
        co_return engine::http_reply{404, "text/plain; charset=utf-8", "404 page not found\n"};
    // Copies and handles: a custom resource or a watch event may change the catalog or the
    // index between the steps.
    usage::metric metric = *it;
    std::string node_name = metric.per_node() ? *metric.match(path) : metric.name;
    auto node = index_.node_handle(node_name);
    if (!node && metric.per_node()) {
        engine::http_reply missing{404, "text/plain; charset=utf-8",
                                   "node " + node_name + " is not managed here\n"};
        co_return missing;
    }
    auto pods = node ? index_.pod_handles(node_name) : std::vector<usage::object_index::handle>{};
    usage::scrape_input in;
    in.node = node.get();
    in.pods.reserve(pods.size());
    for (const auto& p : pods) in.pods.push_back(p.get());
    engine::http_reply reply{200, "text/plain; version=0.0.4; charset=utf-8", {}};
    std::vector<std::string> errors;
    {
        usage::metric_render render(metric, std::move(in), state_, &errors);
        for (;;) {
            ++steps_;
            if (render.step(scrape_step, reply.body)) break;
            co_await asio::post(ex, asio::use_awaitable);
        }
    }
    report(metric.name, path, errors);
    co_return reply;
}

std::string metric_routes::discovery(std::string_view host, std::string_view scheme) const {
    return usage::prometheus_discovery(catalog_.metrics(), index_.node_names(),
                                       host.empty() ? std::string_view(address_) : host, scheme);
}

engine::http_reply metric_routes::discovery_reply(const engine::request_head& head) const {
    return {200, "application/json", discovery(head.header("Host"), head.tls ? "https" : "http")};
}

void metric_routes::install(engine::http_server& server, std::string address) {
    // Discovery answers with the request's Host, as kwok; for a request without one (HTTP/1.0)
    // a wildcard listen address is advertised as the loopback address.
    auto colon = address.rfind(':');
    std::string host = colon == std::string::npos ? address : address.substr(0, colon);
    if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::")
        address = "127.0.0.1" + (colon == std::string::npos ? "" : address.substr(colon));
    address_ = std::move(address);
    server.route_prefix_async("/metrics/", [this](const engine::request_head& head) {
        std::string_view target = head.target;
        return async_serve(std::string(target.substr(0, target.find('?'))));
    });
    server.route_with_head("/discovery/prometheus", [this](const engine::request_head& head) {
        return discovery_reply(head);
    });
}

std::vector<std::pair<std::string, boost::asio::awaitable<void>>> metric_routes::watches() {
    std::vector<std::pair<std::string, boost::asio::awaitable<void>>> out;
    for (auto& w : crs_) out.emplace_back("usage custom resources", w->async_run());
    return out;
}

}  // namespace ghost::ghostlet
