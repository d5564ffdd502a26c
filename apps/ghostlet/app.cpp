#include "apps/ghostlet/app.hpp"

#include "engine/http_server.hpp"
#include "engine/log.hpp"
#include "engine/memory.hpp"
#include "engine/metrics.hpp"
#include "engine/timer_service.hpp"
#include "engine/tls_context.hpp"
#include "kube/api_client.hpp"
#include "kube/list_watch.hpp"
#include "sim/simulation.hpp"
#include "sim/node_registry.hpp"
#include "sim/node_status.hpp"
#include "sim/kubelet_events.hpp"
#include "sim/kubelet_pod_status.hpp"
#include "kube/time.hpp"
#include "kube/write_requests.hpp"
#include "apps/ghostlet/kubelet_watches.hpp"
#include "apps/ghostlet/debug_routes.hpp"
#include "apps/ghostlet/metric_routes.hpp"
#include "apps/ghostlet/resource_stages.hpp"
#include "apps/ghostlet/shard_group.hpp"
#include "apps/ghostlet/sim_writer.hpp"
#include "apps/ghostlet/stage_crs.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <list>
#include <unordered_set>

namespace ghost::ghostlet {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

sim::simulation_config make_sim_config(const options& o) {
    sim::simulation_config c;
    using mode = sim::simulation_config::manage_mode;
    auto selector = [](const std::string& text) -> std::optional<kube::label_selector> {
        if (text.empty()) return std::nullopt;
        return kube::label_selector::parse(text, nullptr);  // validated in parse_options
    };
    if (o.manage_all_nodes) {
        c.mode = mode::all_nodes;
    } else if (!o.manage_single_node.empty()) {
        c.mode = mode::single_node;
        c.single_node = o.manage_single_node;
    } else {
        c.mode = mode::selectors;
        c.node_label_selector = selector(o.manage_nodes_with_label_selector);
        c.node_annotation_selector = selector(o.manage_nodes_with_annotation_selector);
    }
    c.disregard_label_selector = selector(o.disregard_status_with_label_selector);
    c.disregard_annotation_selector = selector(o.disregard_status_with_annotation_selector);
    c.cidr = o.cidr;
    c.node_ip = o.node_ip;
    c.node_name = o.node_name;
    c.node_port = o.node_port;
    c.lease_duration_seconds = static_cast<int>(o.node_lease_duration_seconds);
    c.identity = o.identity;
    c.version = "v" + std::string(version) + "-ghostlet";
    return c;
}

// Waits until the API server answers a one-item node list (kwok waits the same way), retrying
// with backoff for as long as it takes: ghostlet may start before its API server.
asio::awaitable<void> async_wait_for_api(kube::api_client& client) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    auto delay = 500ms;
    for (int attempt = 1;; ++attempt) {
        kube::list_options probe;
        probe.limit = 1;
        auto r = co_await client.async_get(kube::with_query("/api/v1/nodes", probe));
        if (r) co_return;
        auto cs = co_await asio::this_coro::cancellation_state;
        if (cs.cancelled() != asio::cancellation_type::none) co_return;   // shutdown
        GHOST_LOG_WARN("waiting for the API server (attempt ", attempt, "): ",
                       r.error().ec.message(),
                       r.error().http_status ? " HTTP " + std::to_string(r.error().http_status)
                                             : std::string());
        timer.expires_after(delay);
        auto [ec] = co_await timer.async_wait(use_nothrow);
        if (ec) co_return;
        delay = std::min(delay * 2, std::chrono::milliseconds(8000));
    }
}

// Latency histograms share one set of bounds: 10 us .. ~84 s, x1.5 per bucket.
std::vector<double> latency_bounds() { return engine::histogram::exponential_bounds(10e-6, 1.5, 40); }

struct runtime_metrics {
    engine::metrics_registry registry;
    engine::histogram& node_event = registry.add_histogram(
        "ghostlet_event_handling_seconds", "Watch event received to stage decided (and played "
        "when it has no delay)", latency_bounds(), R"(kind="node")");
    engine::histogram& pod_event = registry.add_histogram(
        "ghostlet_event_handling_seconds", "", latency_bounds(), R"(kind="pod")");
    engine::histogram& timer_lateness = registry.add_histogram(
        "ghostlet_timer_lateness_seconds", "How late the timer wheel ran due stage delays and "
        "lease renewals", latency_bounds());
    engine::counter& node_events = registry.add_counter(
        "ghostlet_watch_events_total", "Watch events handled", R"(kind="node")");
    engine::counter& pod_events =
        registry.add_counter("ghostlet_watch_events_total", "", R"(kind="pod")");
    engine::histogram& queue_wait = registry.add_histogram(
        "ghostlet_write_queue_wait_seconds", "Stage decided (write submitted) to request sent",
        latency_bounds());
    engine::histogram& added_latency = registry.add_histogram(
        "ghostlet_simulator_added_latency_seconds", "Stage due (event received plus the "
        "stage's own delay) to the API server's acknowledgement", latency_bounds());
    engine::histogram& own_latency = registry.add_histogram(
        "ghostlet_simulator_own_latency_seconds", "Stage due to the request leaving for the API "
        "server (the simulator's share of the added latency, without the round trip)",
        latency_bounds());
    engine::histogram& rtt_get = registry.add_histogram(
        "ghostlet_request_duration_seconds", "Round trip of API requests (final attempt)",
        latency_bounds(), R"(verb="GET")");
    engine::histogram& rtt_post = registry.add_histogram(
        "ghostlet_request_duration_seconds", "", latency_bounds(), R"(verb="POST")");
    engine::histogram& rtt_put = registry.add_histogram(
        "ghostlet_request_duration_seconds", "", latency_bounds(), R"(verb="PUT")");
    engine::histogram& rtt_patch = registry.add_histogram(
        "ghostlet_request_duration_seconds", "", latency_bounds(), R"(verb="PATCH")");
    engine::histogram& rtt_delete = registry.add_histogram(
        "ghostlet_request_duration_seconds", "", latency_bounds(), R"(verb="DELETE")");
    engine::counter& lists = registry.add_counter(
        "ghostlet_lists_total", "Full lists of nodes and pods (2 at start; more are relists after "
        "410 Gone or errors)");
    engine::counter& watches = registry.add_counter(
        "ghostlet_watch_starts_total", "Watch requests opened (2 at start; more are reconnects)");
};

// Every long-lived loop is co_spawned through here: its completion handler logs how it ended
// and the group counts what still runs. cancel_all() emits terminal cancellation on the loops
// still running. The group must outlive the io_context's run() (it does: see runtime).
class task_group {
public:
    explicit task_group(asio::any_io_executor ex) : ex_(std::move(ex)) {}

    void spawn(std::string name, asio::awaitable<void> loop) {
        auto& t = tasks_.emplace_back();
        t.name = std::move(name);
        ++running_;
        asio::co_spawn(ex_, std::move(loop),
                       asio::bind_cancellation_slot(t.cancel.slot(), [this, &t](std::exception_ptr e) {
                           t.done = true;
                           --running_;
                           if (e) {
                               try {
                                   std::rethrow_exception(e);
                               } catch (const std::exception& ex) {
                                   GHOST_LOG_ERROR(t.name, " stopped: ", ex.what());
                               }
                           } else {
                               GHOST_LOG_DEBUG(t.name, " ended");
                           }
                       }));
    }
    void cancel_all() {
        for (auto& t : tasks_)
            if (!t.done) t.cancel.emit(asio::cancellation_type::terminal);
    }
    std::size_t running() const noexcept { return running_; }
    std::string running_names() const {
        std::string out;
        for (const auto& t : tasks_)
            if (!t.done) out += (out.empty() ? "" : ", ") + t.name;
        return out;
    }

private:
    struct task {
        std::string name;
        asio::cancellation_signal cancel;
        bool done = false;
    };
    asio::any_io_executor ex_;
    std::list<task> tasks_;   // stable addresses: handlers and slots point into it
    std::size_t running_ = 0;
};

// Declaration order is destruction order reversed, and each member only touches those above
// it: the io_context outlives every socket and timer; the pool outlives the client, writer and
// watches; the timer service outlives the simulation; the server (whose routes read the
// simulation and writer) goes first. run() returns only after the io_context ran out of work,
// so no coroutine frame is left parked when these are destroyed.
struct runtime {
    asio::io_context ioc{1};
    runtime_metrics metrics;
    bool synced = false;
    bool stopping = false;
    bool writer_done = false;
    std::unique_ptr<engine::http_pool> pool;
    std::unique_ptr<kube::api_client> client;
    // 100 us ticks: with 1M pending timers lateness p99 is ~0.15 ms (1 ms ticks: ~1 ms, all
    // of it rounding; bench/engine_bench timer_lateness). Wake-ups stay bounded by distinct
    // due times, a few hundred a second at 10,000 nodes.
    std::unique_ptr<engine::timer_service> timers;
    std::unique_ptr<sim_writer> writer;
    std::unique_ptr<shard_group> shard;  ///< --shard-group; the simulation asks it what is ours
    std::unique_ptr<sim::simulation> sim;
    // --api-mode=kubelet: each node's status loop and its own list/watches.
    std::unique_ptr<sim::node_status_reporter> node_status;
    std::unique_ptr<kubelet_watches> kubelet;
    bool kubelet_mode = false;
    kubelet_watch_config kubelet_config;
    kube::list_watch_handler kubelet_node_handler;
    sim::pod_container_events container_events;        ///< kubelet mode: Pulled/Created/Started
    std::unordered_set<std::string> node_ready_reported;  ///< kubelet mode: NodeReady sent
    std::uint64_t kubelet_events_sent = 0;
    std::uint64_t first_pod_statuses_sent = 0;  ///< kubelet mode: ContainerCreating statuses
    std::uint64_t open_files_limit = 0;  ///< RLIMIT_NOFILE after raising it
    bool open_files_warned = false;
    std::unique_ptr<resource_stages> resources;  ///< stages on kinds other than Node and Pod
    std::unique_ptr<stage_crs> stage_resources;  ///< --enable-crds=Stage
    std::unique_ptr<metric_routes> usage;        ///< Metric paths; nodes/pods indexed if any
    std::unique_ptr<debug_routes> debug;         ///< containerLogs, exec, attach, portForward
    std::unique_ptr<engine::http_server> server;
    task_group watches{ioc.get_executor()};   // API wait, node and pod list/watch, progress
    task_group services{ioc.get_executor()};  // writer, server
    std::chrono::milliseconds writer_grace{500};
};

void log_progress(const runtime& rt) {
    const auto& s = rt.sim->stats();
    auto ps = rt.pool->stats();
    GHOST_LOG_INFO("nodes managed=", rt.sim->nodes().managed_count(), "/", rt.sim->nodes().size(),
                   " pods=", rt.sim->tracked_pods(), " stages played=", s.stages_played,
                   " pending=", rt.sim->pending_stages(), " writes=", s.writes,
                   " queued=", rt.writer->queued(), " leases=", s.leases_acquired,
                   " errors(play/write)=", s.play_errors, "/", s.write_errors,
                   " connections=", ps.open_connections,
                   rt.kubelet ? " kubelet watches=" + std::to_string(rt.kubelet->running()) +
                                    " status patches=" +
                                    std::to_string(rt.node_status->stats().patches)
                              : std::string());
}

// kubelet mode: every watch holds a socket. Near the open-files limit new watches fail (and
// retry with backoff): said once, with the figures.
void warn_near_open_files_limit(runtime& rt) {
    if (!rt.kubelet || rt.open_files_warned || rt.open_files_limit == 0) return;
    auto open = rt.kubelet->running() + rt.pool->stats().open_connections;
    if (open * 10 < rt.open_files_limit * 9) return;
    rt.open_files_warned = true;
    GHOST_LOG_WARN("kubelet mode: ", open, " connections for ", rt.kubelet->nodes(),
                   " nodes, open files limited to ", rt.open_files_limit,
                   " (ulimit -Hn; kube-apiserver has a limit too): watches beyond it fail and "
                   "retry; use fewer nodes per process, --kubelet-cluster-informers=shared, or a "
                   "higher limit");
}

// kubelet mode, start-up: one paginated list of the managed pods, their IPs marked used.
asio::awaitable<void> async_reserve_pod_ips(runtime& rt) {
    kube::list_options o;
    o.field_selector = rt.sim->pod_field_selector();
    o.limit = 500;
    auto r = co_await rt.client->async_list("/api/v1/pods", o);
    if (!r) {
        GHOST_LOG_WARN("kubelet mode: listing pods for their IPs failed (", r.error().ec.message(),
                       "); addresses of pods not seen yet may be handed out again");
        co_return;
    }
    rt.metrics.lists.inc();
    for (const auto& item : r->items)
        if (item.is_object()) rt.sim->reserve_pod_ips(item.get_object());
    GHOST_LOG_INFO("kubelet mode: ", r->items.size(), " pods' IPs reserved");
}

// kubelet mode: one Event as the kubelet of `node` records it.
void post_kubelet_event(runtime& rt, const kube::event_subject& about, const std::string& node,
                        const sim::kubelet_event& e) {
    auto subject = about;
    subject.field_path = e.field_path;
    auto now = kube::format_rfc3339_nano(std::chrono::system_clock::now());
    sim::write_op op;
    op.key = "kubelet-event/" + std::to_string(++rt.kubelet_events_sent);
    op.priority = engine::write_priority::event;
    op.request = kube::make_event_request(subject, {"Normal", e.reason, e.message, "kubelet", now, node});
    rt.writer->submit(std::move(op));
}

kube::event_subject subject_of(const char* kind, const boost::json::object& obj) {
    return {"v1", kind, sim::metadata_string(obj, "name"), sim::metadata_string(obj, "namespace"),
            sim::metadata_string(obj, "uid"), sim::metadata_string(obj, "resourceVersion"), {}};
}

// The same, its strings copied (the node object moves on to the simulation first).
struct owned_subject {
    owned_subject(const char* kind, const boost::json::object& obj)
        : kind(kind), name(sim::metadata_string(obj, "name")),
          uid(sim::metadata_string(obj, "uid")),
          resource_version(sim::metadata_string(obj, "resourceVersion")) {}
    kube::event_subject view() const { return {"v1", kind, name, {}, uid, resource_version, {}}; }
    const char* kind;
    std::string name, uid, resource_version;
};

// kubelet mode: node events (of the discovery watch and of each node's own watch) also start
// and stop the node's watches and its status loop.
template <class NodeHandler, class PodHandler>
void start_kubelet_mode(runtime& rt, NodeHandler on_node, PodHandler on_pod) {
    rt.kubelet_node_handler = [&rt, on_node](kube::event_kind kind, boost::json::object&& obj) {
        std::string name(sim::metadata_string(obj, "name"));
        auto digest = sim::digest_node_status(obj);
        bool ready = sim::node_is_ready(obj);
        owned_subject subject("Node", obj);
        on_node(kind, std::move(obj));
        bool managed = kind != kube::event_kind::deleted && rt.sim->nodes().is_managed(name);
        if (rt.stopping) return;
        rt.kubelet->sync(name, managed);
        if (managed) {
            if (!rt.node_status->running(name))
                for (const auto& e : sim::node_start_events(name))
                    post_kubelet_event(rt, subject.view(), name, e);
            if (ready && rt.node_ready_reported.insert(name).second)
                post_kubelet_event(rt, subject.view(), name, sim::node_ready_event(name));
            rt.node_status->start(name);
            rt.node_status->on_node(name, digest);
        } else {
            rt.node_status->stop(name);
            rt.node_ready_reported.erase(name);
        }
    };
    kubelet_watch_handlers h;
    h.on_pod = [&rt, on_pod](kube::event_kind kind, boost::json::object&& pod) {
        if (kind == kube::event_kind::deleted) {
            rt.container_events.forget(std::string(sim::metadata_string(pod, "uid")));
        } else if (!rt.stopping) {
            // A kubelet's first status. The stages see the pod with it, in the event our PATCH
            // brings back, so their status writes come after it and never twice (shown the pod
            // now, they would match it again on that event). Should the PATCH fail for good,
            // they get the pod as it was.
            if (auto first = sim::first_pod_status_write(pod, std::chrono::system_clock::now())) {
                ++rt.first_pod_statuses_sent;
                first->on_done = [&rt, on_pod, kind, pod = std::move(pod)](
                                     const engine::result<engine::http_response>& r) mutable {
                    bool written = r && r->status / 100 == 2;
                    bool gone = r && r->status == 404;  // its DELETED event follows
                    if (written || gone || rt.stopping) return;
                    on_pod(kind, std::move(pod));
                };
                rt.writer->submit(std::move(*first));
                return;
            }
            auto events = rt.container_events.on_pod(pod);
            if (!events.empty()) {
                auto subject = subject_of("Pod", pod);
                std::string node;
                if (const auto* spec = pod.if_contains("spec"); spec && spec->is_object())
                    if (const auto* n = spec->get_object().if_contains("nodeName"); n && n->is_string())
                        node = n->get_string();
                for (const auto& e : events) post_kubelet_event(rt, subject, node, e);
            }
        }
        on_pod(kind, std::move(pod));
    };
    h.on_node = [&rt](kube::event_kind kind, boost::json::object&& obj) {
        rt.kubelet_node_handler(kind, std::move(obj));
    };
    h.on_pods_listed = [&rt](const std::vector<boost::json::object>& items) {
        for (const auto& pod : items) rt.sim->reserve_pod_ips(pod);
    };
    rt.kubelet = std::make_unique<kubelet_watches>(rt.ioc.get_executor(), *rt.client, *rt.timers,
                                                   rt.kubelet_config, std::move(h));
    rt.kubelet->start_shared();
    GHOST_LOG_INFO("kubelet mode: ", rt.kubelet->watches_per_node(), " list/watches per node, ",
                   rt.kubelet_config.connections_per_second, " new connections/s");
}

asio::awaitable<void> async_main(runtime& rt, std::string node_label_selector) {
    co_await asio::this_coro::throw_if_cancelled(false);   // shutdown is checked, not thrown
    co_await async_wait_for_api(*rt.client);
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
        co_return;
    if (rt.shard) {
        // The first node events must already know which nodes are ours.
        rt.watches.spawn("shard membership", rt.shard->async_run());
        co_await rt.shard->async_wait_synced();
        if ((co_await asio::this_coro::cancellation_state).cancelled() !=
            asio::cancellation_type::none)
            co_return;
    }
    GHOST_LOG_INFO("API server ready; watching nodes and pods");
    rt.synced = true;

    kube::list_watch_params nodes;
    nodes.path = "/api/v1/nodes";
    nodes.options.label_selector = std::move(node_label_selector);
    nodes.options.field_selector = rt.sim->node_field_selector();
    kube::list_watch_params pods;
    pods.path = "/api/v1/pods";
    pods.options.field_selector = rt.sim->pod_field_selector();

    // One handler shape for both kinds: count, hand the object over, time it.
    auto handler = [&rt](engine::counter& events, engine::histogram& handling, auto upsert,
                         auto remove, auto after) {
        return [&rt, &events, &handling, upsert, remove, after](kube::event_kind kind,
                                                                 boost::json::object&& obj) {
            auto t0 = std::chrono::steady_clock::now();
            events.inc();
            // The Metric routes see the same objects (a copy only when a Metric may be served).
            std::optional<boost::json::object> copy;
            if (rt.usage->enabled()) copy = obj;
            if (kind == kube::event_kind::deleted) {
                (rt.sim.get()->*remove)(boost::json::value(std::move(obj)));
            } else {
                (rt.sim.get()->*upsert)(boost::json::value(std::move(obj)));
            }
            if (copy) after(rt, kind, *copy);
            handling.observe(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        };
    };
    using sim_t = sim::simulation;
    auto on_node = handler(rt.metrics.node_events, rt.metrics.node_event, &sim_t::on_node_upsert,
                           &sim_t::on_node_delete,
                           [](runtime& rt, kube::event_kind k, const boost::json::object& o) {
                               rt.usage->on_node(k, o, rt.sim->nodes().is_managed(
                                                           sim::metadata_string(o, "name")));
                           });
    auto on_pod = handler(rt.metrics.pod_events, rt.metrics.pod_event, &sim_t::on_pod_upsert,
                          &sim_t::on_pod_delete,
                          [](runtime& rt, kube::event_kind k, const boost::json::object& o) {
                              rt.usage->on_pod(k, o);
                          });
    pods.on_listed = [&rt](const std::vector<boost::json::object>& items) {
        rt.metrics.lists.inc();
        for (const auto& pod : items) rt.sim->reserve_pod_ips(pod);
    };
    nodes.on_listed = [&rt](const std::vector<boost::json::object>&) { rt.metrics.lists.inc(); };
    nodes.on_watch_started = [&rt] { rt.metrics.watches.inc(); };
    pods.on_watch_started = [&rt] { rt.metrics.watches.inc(); };

    // Node and pod streams and the progress log run side by side until shutdown cancels them.
    if (rt.kubelet_mode) {
        // Pod IPs of every node are marked used before any node's pods are staged: the
        // per-node lists come one by one, and a pod on a node listed early must not get an
        // address a pod on a node listed later already has.
        co_await async_reserve_pod_ips(rt);
        if ((co_await asio::this_coro::cancellation_state).cancelled() !=
            asio::cancellation_type::none)
            co_return;
        start_kubelet_mode(rt, on_node, on_pod);
        // The node watch of the process only finds the nodes (and their leaving); each
        // node's own watches and status loop do the rest.
        auto discover = [&rt, on_node = rt.kubelet_node_handler](kube::event_kind kind,
                                                                 boost::json::object&& obj) {
            on_node(kind, std::move(obj));
        };
        rt.watches.spawn("node list/watch",
                         kube::async_run_list_watch(*rt.client, std::move(nodes), discover));
    } else {
        rt.watches.spawn("node list/watch",
                         kube::async_run_list_watch(*rt.client, std::move(nodes), on_node));
        rt.watches.spawn("pod list/watch",
                         kube::async_run_list_watch(*rt.client, std::move(pods), on_pod));
    }
    // Every 5 s: the progress line, the open-files check, free pages back to the system.
    rt.watches.spawn("progress log", [](runtime& rt) -> asio::awaitable<void> {
        asio::steady_timer progress(co_await asio::this_coro::executor);
        auto cs = co_await asio::this_coro::cancellation_state;
        while (!cs.cancelled()) {
            progress.expires_after(5s);
            auto [ec] = co_await progress.async_wait(use_nothrow);
            if (ec) break;
            log_progress(rt);
            warn_near_open_files_limit(rt);
            engine::release_free_memory();  // pages freed since the last turn are past the delay
        }
    }(rt));
    rt.watches.spawn("stages on other kinds", rt.resources->async_run());
    if (rt.stage_resources)
        rt.watches.spawn("Stage resources", rt.stage_resources->async_run());
    for (auto& [name, watch] : rt.usage->watches()) rt.watches.spawn(name, std::move(watch));
    for (auto& [name, watch] : rt.debug->watches()) rt.watches.spawn(name, std::move(watch));
}

// The shutdown rule: the list/watches stop by terminal cancellation; the writer stops sending
// and gives its requests in flight `writer_grace` (a timer on the service), then cancels them
// (dropping what is queued); then no timer fires any more and the pool and the server close.
// Nothing is stopped by force: the io_context runs out of work by itself.
asio::awaitable<void> async_shutdown(runtime& rt) {
    rt.stopping = true;
    rt.watches.cancel_all();
    if (rt.kubelet) rt.kubelet->stop_all();
    if (rt.shard) rt.shard->leave();
    // The writer's grace deadline is a timer on the service: stop the service only after it.
    rt.writer->stop(rt.writer_grace);
    // The writer's loop (a tracked service) returns once nothing is in flight.
    asio::steady_timer poll(co_await asio::this_coro::executor);
    auto waiting_since = std::chrono::steady_clock::now();
    bool reported = false;
    // The membership release goes over the shard's own pool; it gets the writer's grace too.
    auto shard_busy = [&rt, &waiting_since] {
        return rt.shard && rt.shard->in_flight() > 0 &&
               std::chrono::steady_clock::now() - waiting_since < rt.writer_grace;
    };
    auto kubelet_running = [&rt] { return rt.kubelet ? rt.kubelet->running() : 0; };
    while (!rt.writer_done || rt.watches.running() > 0 || kubelet_running() > 0 || shard_busy()) {
        poll.expires_after(1ms);
        co_await poll.async_wait(use_nothrow);
        if (!reported && std::chrono::steady_clock::now() - waiting_since > 2 * rt.writer_grace) {
            reported = true;  // a loop that ignores cancellation would keep us here: name it
            GHOST_LOG_WARN("shutdown: still waiting for ", rt.writer_done ? "" : "the writer ",
                           rt.watches.running_names());
        }
    }
    rt.timers->stop();
    const auto& s = rt.writer->shutdown_summary();
    GHOST_LOG_INFO("shutdown: writes finished=", s.finished, " cancelled=", s.cancelled,
                   " dropped=", s.dropped, " (grace ", rt.writer_grace.count(), " ms)");
    rt.pool->close();
    if (rt.shard) rt.shard->close();
    if (rt.server) rt.server->close();
}

}  // namespace

namespace {

// The server's certificate: --tls-cert-file / --tls-private-key-file, else (as kwok) a fresh
// self-signed one for localhost, 127.0.0.1, --node-ip and the listen address.
std::shared_ptr<boost::asio::ssl::context> server_tls_context(const options& opts,
                                                              const std::string& host) {
    if (!opts.tls_cert_file.empty()) {
        try {
            return engine::load_server_tls_context(opts.tls_cert_file, opts.tls_private_key_file);
        } catch (const std::exception& e) {
            throw std::runtime_error(std::string("--tls-cert-file / --tls-private-key-file: ") +
                                     e.what());
        }
    }
    std::vector<std::string> sans{"DNS:localhost", "IP:127.0.0.1"};
    for (const auto& ip : {opts.node_ip, host}) {
        boost::system::error_code ec;
        auto a = boost::asio::ip::make_address(ip, ec);
        if (!ec && !a.is_unspecified() && ip != "127.0.0.1") sans.push_back("IP:" + ip);
    }
    if (!opts.node_name.empty() && opts.node_name != "localhost") sans.push_back("DNS:" + opts.node_name);
    return engine::make_server_tls_context(
        engine::issue_certificate({"ghostlet", {}, false, {"serverAuth"}, sans}));
}

}  // namespace

// kwok's rule: --server-address, else 0.0.0.0:<node-port> when --node-port is set, else none.
void start_server(runtime& rt, const options& opts) {
    std::string address = opts.server_address;
    if (address.empty() && opts.node_port != 0) address = "0.0.0.0:" + std::to_string(opts.node_port);
    if (address.empty()) return;
    auto colon = address.rfind(':');
    if (colon == std::string::npos) {
        throw std::runtime_error("--server-address: expected host:port, got \"" + address + "\"");
    }
    auto host = address.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    auto tls = server_tls_context(opts, host);
    if (!opts.client_ca_file.empty()) {
        try {
            engine::trust_client_certificates_file(*tls, opts.client_ca_file);
        } catch (const std::exception& e) {
            throw std::runtime_error(std::string("--client-ca-file: ") + e.what());
        }
    }
    try {
        rt.server = std::make_unique<engine::http_server>(rt.ioc.get_executor(), host,
                                                          address.substr(colon + 1), tls);
    } catch (const std::exception& e) {
        throw std::runtime_error("--server-address " + address + ": cannot listen: " + e.what());
    }
    rt.server->server_header("ghostlet/" + std::string(version));
    auto ok = [] { return engine::http_reply{200, "text/plain; charset=utf-8", "ok"}; };
    rt.server->route("/healthz", ok);
    rt.server->route("/livez", ok);
    rt.server->route("/readyz", [&rt] {
        return rt.synced ? engine::http_reply{200, "text/plain; charset=utf-8", "ok"}
                         : engine::http_reply{503, "text/plain; charset=utf-8", "waiting for the API server"};
    });
    rt.server->route("/metrics", [&rt] {
        return engine::http_reply{200, "text/plain; version=0.0.4; charset=utf-8",
                                  rt.metrics.registry.render()};
    });
    auto& reg = rt.metrics.registry;
    reg.add_gauge("ghostlet_write_concurrency_limit",
                  "Writes allowed in flight now (adaptive: follows the API server's latency)",
                  [&rt] { return static_cast<double>(rt.writer->limit()); });
    reg.add_gauge("ghostlet_writer_queue_depth", "Writes waiting or in flight",
                  [&rt] { return static_cast<double>(rt.writer->queued()); });
    reg.add_gauge("ghostlet_managed_nodes", "Nodes this ghostlet manages",
                  [&rt] { return static_cast<double>(rt.sim->nodes().managed_count()); });
    reg.add_gauge("ghostlet_tracked_pods", "Pods on managed nodes",
                  [&rt] { return static_cast<double>(rt.sim->tracked_pods()); });
    reg.add_gauge("ghostlet_pending_stages", "Stages waiting for their delay",
                  [&rt] { return static_cast<double>(rt.sim->pending_stages()); });
    reg.add_gauge("ghostlet_stages_played_total", "Stages played",
                  [&rt] { return static_cast<double>(rt.sim->stats().stages_played); });
    reg.add_gauge("ghostlet_stage_errors_total", "Stages that failed to render (object skipped)",
                  [&rt] { return static_cast<double>(rt.sim->stats().play_errors); });
    reg.add_gauge("ghostlet_write_errors_total", "Writes the API server refused for good",
                  [&rt] { return static_cast<double>(rt.sim->stats().write_errors); });
    reg.add_gauge("ghostlet_writes_skipped_total",
                  "Stage patches not sent because they would change nothing",
                  [&rt] { return static_cast<double>(rt.sim->stats().writes_skipped); });
    reg.add_gauge("ghostlet_node_addresses_fixed_total",
                  "Node patches whose repeated address types were left out or sent as a replace",
                  [&rt] { return static_cast<double>(rt.sim->stats().node_addresses_fixed); });
    if (rt.kubelet_mode) {
        reg.add_gauge("ghostlet_kubelet_watches", "Per-node list/watches running (kubelet mode)",
                      [&rt] { return rt.kubelet ? static_cast<double>(rt.kubelet->running()) : 0.0; });
        reg.add_gauge("ghostlet_kubelet_watch_starts_total",
                      "Per-node watch requests opened, reconnects included (kubelet mode)", [&rt] {
                          return rt.kubelet ? static_cast<double>(rt.kubelet->stats().watch_starts)
                                            : 0.0;
                      });
        reg.add_gauge("ghostlet_kubelet_mounted_object_watches",
                      "Open ConfigMap/Secret watches, one per node and mutable object its pods reference", [&rt] {
                          return rt.kubelet ? static_cast<double>(rt.kubelet->mounted_object_watches())
                                            : 0.0;
                      });
        reg.add_gauge("ghostlet_kubelet_mounted_object_events_total",
                      "Events of those ConfigMap/Secret watches (initial lists included)", [&rt] {
                          return rt.kubelet
                                     ? static_cast<double>(rt.kubelet->stats().mounted_object_events)
                                     : 0.0;
                      });
        reg.add_gauge("ghostlet_kubelet_immutable_watches_stopped_total",
                      "ConfigMap/Secret watches stopped because the object is immutable", [&rt] {
                          return rt.kubelet ? static_cast<double>(
                                                  rt.kubelet->stats().immutable_watches_stopped)
                                            : 0.0;
                      });
        reg.add_gauge("ghostlet_kubelet_paced_connections_total",
                      "Lists and watches that waited for --kubelet-connections-per-second", [&rt] {
                          return rt.kubelet ? static_cast<double>(rt.kubelet->pacer().delayed())
                                            : 0.0;
                      });
        reg.add_gauge("ghostlet_kubelet_first_pod_statuses_total",
                      "Pods given a kubelet's first status (containers creating) before the stages",
                      [&rt] { return static_cast<double>(rt.first_pod_statuses_sent); });
        reg.add_gauge("ghostlet_kubelet_events_total",
                      "Events recorded as a kubelet (node start, NodeReady, Pulled/Created/Started)",
                      [&rt] { return static_cast<double>(rt.kubelet_events_sent); });
        reg.add_gauge("ghostlet_node_status_patches_total",
                      "Node status PATCHes of the kubelet-mode status loop",
                      [&rt] { return static_cast<double>(rt.node_status->stats().patches); });
        reg.add_gauge("ghostlet_node_status_gets_total",
                      "Node GETs of the status loop (retries after a failed patch)",
                      [&rt] { return static_cast<double>(rt.node_status->stats().gets); });
    }
    if (rt.shard) {
        reg.add_gauge("ghostlet_shard_live_members", "Live members of this replica's shard group",
                      [&rt] { return static_cast<double>(rt.shard->membership().live_members().size()); });
    }
    rt.usage->install(*rt.server, address.substr(0, colon + 1) + std::to_string(rt.server->port()));
    rt.debug->install(*rt.server, "ghostlet/" + std::string(version));
    GHOST_LOG_INFO("serving /healthz /readyz /metrics", opts.enable_debugging_handlers ?
                   " and the debugging endpoints" : "", " on ", address, " (port ",
                   rt.server->port(), ")", opts.client_ca_file.empty() ? "" :
                   "; debugging endpoints need a client certificate from --client-ca-file");
    rt.services.spawn("metrics server", rt.server->async_run());
}

namespace {

// Every watch holds a socket (kubelet mode: several per node): the soft limit on open files
// (often 1024) goes up to the hard one.
std::uint64_t raise_open_files_limit() {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
        GHOST_LOG_WARN("getrlimit(RLIMIT_NOFILE): ", std::strerror(errno));
        return 0;
    }
    auto before = lim.rlim_cur;
    if (lim.rlim_cur != lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) {
            GHOST_LOG_WARN("setrlimit(RLIMIT_NOFILE, ", lim.rlim_max, "): ", std::strerror(errno),
                           "; open files stay limited to ", before);
            return before;
        }
    }
    GHOST_LOG_INFO("open files limit ", lim.rlim_cur, " (was ", before, ")");
    return lim.rlim_cur;
}

}  // namespace

int run(const options& opts, std::vector<stages::stage> stage_list,
        const kube::cluster_access& access) {
    auto open_files_limit = raise_open_files_limit();
    runtime rt;
    rt.open_files_limit = open_files_limit;
    auto ex = rt.ioc.get_executor();
    engine::pool_config pool_cfg;
    pool_cfg.max_connections = static_cast<std::size_t>(opts.max_connections);
    if (opts.kubelet_mode()) {
        // Thousands of quiet watches: each reads 4 KiB at a time instead of 16 (a pod event
        // larger than that arrives in several reads).
        pool_cfg.stream_read_size = 4 * 1024;
        rt.kubelet_mode = true;
        rt.kubelet_config.connections_per_second =
            static_cast<double>(opts.kubelet_connections_per_second);
        rt.kubelet_config.cluster_informers = opts.kubelet_cluster_informers;
    }
    rt.pool = kube::make_http_pool(ex, access, pool_cfg);
    kube::client_options client_opts;
    client_opts.base_path = access.base_path;
    rt.client = std::make_unique<kube::api_client>(*rt.pool, client_opts);
    rt.timers = std::make_unique<engine::timer_service>(ex, std::chrono::microseconds(100));
    rt.timers->set_lateness_hook([&m = rt.metrics](std::chrono::nanoseconds late) {
        m.timer_lateness.observe(std::chrono::duration<double>(late).count());
    });
    auto& m = rt.metrics;
    writer_metrics wm{&m.queue_wait, &m.added_latency, &m.own_latency,
                      [&m](boost::beast::http::verb v) -> engine::histogram* {
                          using boost::beast::http::verb;
                          switch (v) {
                          case verb::get: return &m.rtt_get;
                          case verb::post: return &m.rtt_post;
                          case verb::put: return &m.rtt_put;
                          case verb::patch: return &m.rtt_patch;
                          case verb::delete_: return &m.rtt_delete;
                          default: return nullptr;
                          }
                      }};
    engine::write_driver_config writes{.max_in_flight = static_cast<std::size_t>(opts.max_in_flight)};
    if (opts.write_concurrency == "adaptive") writes.adaptive = engine::concurrency_limit_config{};
    rt.writer = std::make_unique<sim_writer>(*rt.pool, *rt.timers, access.base_path, writes,
                                             std::move(wm));
    auto split = [](std::vector<stages::stage> all) {
        std::pair<std::vector<stages::stage>, std::vector<stages::stage>> out;
        for (auto& s : all) {
            bool core = s.api_group == "v1" && (s.kind == "Node" || s.kind == "Pod");
            (core ? out.first : out.second).push_back(std::move(s));
        }
        return out;
    };
    bool stage_crds = std::find(opts.enable_crds.begin(), opts.enable_crds.end(), "Stage") !=
                      opts.enable_crds.end();
    if (stage_crds) {
        // Stage resources are played together with the --config (or built-in) stages.
        rt.stage_resources = std::make_unique<stage_crs>(
            *rt.client, [&rt](sim::write_op op) { rt.writer->submit(std::move(op)); },
            [&rt, split, base = stage_list](std::vector<stages::stage> crs) {
                auto all = base;
                for (auto& s : crs) all.push_back(std::move(s));
                auto [node_pod, others] = split(std::move(all));
                rt.sim->replace_stages(std::move(node_pod));
                rt.resources->replace_stages(std::move(others));
            });
    }
    auto [node_pod, others] = split(std::move(stage_list));
    auto sim_config = make_sim_config(opts);
    auto has_apply_step = [](const std::vector<stages::stage>& list) {
        for (const auto& s : list)
            for (const auto& step : s.steps)
                if (step.apply) return true;
        return false;
    };
    sim::resource_simulation_config resource_config;
    resource_config.version = sim_config.version;
    resource_config.event_component = sim_config.event_component;
    rt.resources = std::make_unique<resource_stages>(
        *rt.client, std::move(others), std::move(resource_config), *rt.timers,
        [&rt](sim::write_op op) { rt.writer->submit(std::move(op)); });
    // Stage resources may bring apply steps to Node and Pod stages at any time.
    if (stage_crds || has_apply_step(node_pod)) rt.resources->want_discovery();
    sim_config.resolve_apply_target = [&rt](std::string_view gv, std::string_view kind) {
        return rt.resources->resolve(gv, kind);
    };
    if (!opts.shard_group.empty()) {
        rt.shard = std::make_unique<shard_group>(ex, access, *rt.client, opts, *rt.timers, [&rt] {
            if (rt.sim) rt.sim->reevaluate_ownership();
        });
        auto& members = rt.shard->membership();
        sim_config.owns_node = [&members](std::string_view node) { return members.owns(node); };
        sim_config.holder_alive = [&members](std::string_view h) { return !members.departed(h); };
    }
    rt.sim = std::make_unique<sim::simulation>(
        std::move(sim_config), std::move(node_pod), *rt.timers,
        [&rt](sim::write_op op) { rt.writer->submit(std::move(op)); });

    if (rt.kubelet_mode) {
        rt.node_status = std::make_unique<sim::node_status_reporter>(
            sim::node_status_timing{}, *rt.timers,
            [&rt](sim::write_op op) { rt.writer->submit(std::move(op)); },
            sim::node_status_reporter::wall_clock{});
    }

    rt.usage = std::make_unique<metric_routes>(
        opts, *rt.client, [&rt](sim::write_op op) { rt.writer->submit(std::move(op)); });
    rt.debug = std::make_unique<debug_routes>(
        opts, *rt.client, [&rt](sim::write_op op) { rt.writer->submit(std::move(op)); });
    start_server(rt, opts);
    GHOST_LOG_INFO("ghostlet ", version, " starting: server ", access.server, ", identity ",
                   opts.identity, ", node leases ",
                   opts.node_lease_duration_seconds > 0
                       ? std::to_string(opts.node_lease_duration_seconds) + "s"
                       : std::string("off"),
                   opts.shard_group.empty() ? "" : ", shard group " + opts.shard_group);

    asio::signal_set signals(rt.ioc, SIGINT, SIGTERM);
    signals.async_wait([&rt](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        GHOST_LOG_INFO("signal ", sig, ": stopping");
        rt.services.spawn("shutdown", async_shutdown(rt));
    });

    rt.services.spawn("writer", [](runtime& rt) -> asio::awaitable<void> {
        co_await rt.writer->async_run();
        rt.writer_done = true;
    }(rt));
    rt.watches.spawn("start-up", async_main(rt, opts.manage_nodes_with_label_selector));
    rt.ioc.run();
    log_progress(rt);
    GHOST_LOG_INFO("stopped");
    return 0;
}

}  // namespace ghost::ghostlet
