#include "apps/ghostlet/kubelet_watches.hpp"

#include "engine/log.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include <chrono>

namespace ghost::ghostlet {

namespace asio = boost::asio;
using namespace std::chrono;

namespace {

// The cluster-wide objects a kubelet v1.36 keeps informers on (services for the pods'
// environment, RuntimeClasses for sandboxes, CSIDrivers for the CSI volume plugin).
constexpr const char* cluster_informer_paths[] = {
    "/api/v1/services",
    "/apis/node.k8s.io/v1/runtimeclasses",
    "/apis/storage.k8s.io/v1/csidrivers",
};

// The kubelet's watch-based manager stops an object's reflector once it sees the object
// immutable (ConfigMap or Secret `immutable: true`): it can no longer change.
bool is_immutable(const boost::json::object& obj) {
    const auto* v = obj.if_contains("immutable");
    return v && v->is_bool() && v->get_bool();
}

}  // namespace

kubelet_watches::kubelet_watches(asio::any_io_executor ex, kube::api_client& client,
                                 engine::scheduler& clock, kubelet_watch_config config,
                                 kubelet_watch_handlers handlers)
    : ex_(std::move(ex)), client_(client), clock_(clock), config_(config),
      handlers_(std::move(handlers)),
      // A burst of one second's worth: a few nodes start at once, thousands are spread.
      pacer_(config.connections_per_second,
             static_cast<std::size_t>(std::max(1.0, config.connections_per_second)), clock.now()) {}

kubelet_watches::~kubelet_watches() = default;

std::size_t kubelet_watches::watches_per_node() const noexcept {
    return config_.cluster_informers == cluster_informers::per_node ? 5 : 2;
}

kube::list_watch_params kubelet_watches::params(std::string path, std::string field_selector) {
    kube::list_watch_params p;
    p.path = std::move(path);
    p.options.field_selector = std::move(field_selector);
    // client-go's reflector: each watch asks for a timeout in [5 min, 10 min) so that watches
    // started together do not all end (and reconnect) together.
    p.watch_timeout_seconds = 300 + static_cast<int>(rng_() % 300);
    p.pace = [this] {
        return ceil<milliseconds>(pacer_.reserve_delay(clock_.now()));
    };
    p.on_watch_started = [this] { ++stats_.watch_starts; };
    return p;
}

void kubelet_watches::spawn(task_list::iterator tasks, kube::list_watch_params p,
                            kube::list_watch_handler handler) {
    auto& signal = tasks->signals.emplace_back();
    ++tasks->running;
    ++running_;
    std::string what = p.path + (p.options.field_selector.empty()
                                     ? std::string()
                                     : "?fieldSelector=" + p.options.field_selector);
    asio::co_spawn(
        ex_, kube::async_run_list_watch(client_, std::move(p), std::move(handler)),
        asio::bind_cancellation_slot(signal.slot(), [this, tasks, what](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    GHOST_LOG_ERROR("list/watch ", what, " stopped: ", ex.what());
                }
            }
            --running_;
            if (--tasks->running == 0 && tasks->stopped) {
                // Not from inside the loop's own completion (its slot is in the list).
                asio::post(ex_, [this, tasks] { tasks_.erase(tasks); });
            }
        }));
}

void kubelet_watches::spawn_informers(task_list::iterator tasks) {
    for (const char* path : cluster_informer_paths) {
        auto p = params(path, "");
        p.on_listed = [this](const std::vector<boost::json::object>&) { ++stats_.lists; };
        spawn(tasks, std::move(p),
              [this](kube::event_kind, boost::json::object&&) { ++stats_.informer_events; });
    }
}

void kubelet_watches::start_shared() {
    if (config_.cluster_informers != cluster_informers::shared) return;
    auto it = tasks_.insert(tasks_.end(), node_tasks{});
    it->node = "(shared informers)";
    spawn_informers(it);
}

void kubelet_watches::sync(const std::string& node, bool managed) {
    auto found = active_.find(node);
    if (!managed) {
        if (found == active_.end()) return;
        stop(found->second);
        active_.erase(found);
        stop_object_watches(node);
        return;
    }
    if (found != active_.end()) return;
    auto it = tasks_.insert(tasks_.end(), node_tasks{});
    it->node = node;
    active_.emplace(node, it);

    auto pods = params("/api/v1/pods", "spec.nodeName=" + node);
    pods.on_listed = [this](const std::vector<boost::json::object>& items) {
        ++stats_.lists;
        if (handlers_.on_pods_listed) handlers_.on_pods_listed(items);
    };
    spawn(it, std::move(pods), [this, node](kube::event_kind kind, boost::json::object&& pod) {
        on_pod_references(node, kind, pod);
        handlers_.on_pod(kind, std::move(pod));
    });

    auto self = params("/api/v1/nodes", "metadata.name=" + node);
    self.on_listed = [this](const std::vector<boost::json::object>&) { ++stats_.lists; };
    spawn(it, std::move(self), handlers_.on_node);

    if (config_.cluster_informers == cluster_informers::per_node)
        spawn_informers(it);
}

void kubelet_watches::stop(task_list::iterator tasks) {
    if (tasks->stopped) return;
    tasks->stopped = true;
    for (auto& s : tasks->signals) s.emit(asio::cancellation_type::terminal);
    if (tasks->running == 0) tasks_.erase(tasks);
}

void kubelet_watches::on_pod_references(const std::string& node, kube::event_kind kind,
                                        const boost::json::object& pod) {
    // A late event of a node that left (its watch was being cancelled) starts nothing.
    if (!active_.contains(node)) return;
    const auto* meta = pod.if_contains("metadata");
    const auto* m = meta && meta->is_object() ? &meta->get_object() : nullptr;
    auto field = [m](const char* k) {
        const auto* v = m ? m->if_contains(k) : nullptr;
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    auto key = field("namespace") + "/" + field("name");
    auto& refs = references_[node];
    auto change = kind == kube::event_kind::deleted ? refs.remove_pod(key)
                                                    : refs.set_pod(key, sim::mounted_objects(pod));
    for (const auto& r : change.start) start_object_watch(node, r);
    for (const auto& r : change.stop) stop_object_watch(node, r);
}

void kubelet_watches::start_object_watch(const std::string& node, const sim::object_ref& ref) {
    auto key = std::make_pair(node, ref);
    if (object_watches_.contains(key)) return;
    auto it = tasks_.insert(tasks_.end(), node_tasks{});
    it->node = node;
    object_watches_.emplace(key, it);
    // The kubelet's watch-based manager: a reflector per object, by name in its namespace.
    auto p = params("/api/v1/namespaces/" + ref.ns + "/" + sim::resource_of(ref.type),
                    "metadata.name=" + ref.name);
    p.on_listed = [this, key](const std::vector<boost::json::object>& items) {
        ++stats_.lists;
        for (const auto& obj : items)
            if (is_immutable(obj)) stop_immutable_watch(key);
    };
    spawn(it, std::move(p),
          [this, key](kube::event_kind kind, boost::json::object&& obj) {
              ++stats_.mounted_object_events;
              if (kind != kube::event_kind::deleted && is_immutable(obj))
                  stop_immutable_watch(key);
          });
}

void kubelet_watches::stop_immutable_watch(const object_key& key) {
    // Not from inside the loop's own handler: its cancellation slot is the one being emitted.
    asio::post(ex_, [this, key] {
        auto found = object_watches_.find(key);
        if (found == object_watches_.end() || found->second == tasks_.end()) return;
        stop(found->second);
        // Still referenced (no new watch while pods use it), no longer watched.
        found->second = tasks_.end();
        ++unwatched_immutable_;
        ++stats_.immutable_watches_stopped;
    });
}

void kubelet_watches::stop_object_watch(const std::string& node, const sim::object_ref& ref) {
    auto found = object_watches_.find(std::make_pair(node, ref));
    if (found == object_watches_.end()) return;
    if (found->second != tasks_.end()) stop(found->second);
    else --unwatched_immutable_;
    object_watches_.erase(found);
}

void kubelet_watches::stop_object_watches(const std::string& node) {
    auto refs = references_.find(node);
    if (refs == references_.end()) return;
    for (const auto& r : refs->second.all()) stop_object_watch(node, r);
    references_.erase(refs);
}

void kubelet_watches::stop_all() {
    active_.clear();
    references_.clear();
    object_watches_.clear();
    unwatched_immutable_ = 0;
    for (auto it = tasks_.begin(); it != tasks_.end();) {
        auto next = std::next(it);
        stop(it);
        it = next;
    }
}

}  // namespace ghost::ghostlet
