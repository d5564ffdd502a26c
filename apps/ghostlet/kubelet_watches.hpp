#pragma once
// --api-mode=kubelet: the per-node list/watches a kubelet keeps, many instances of
// kube::async_run_list_watch. Per managed node: its pods (fieldSelector=spec.nodeName=<node>)
// and its Node (fieldSelector=metadata.name=<node>), and with --kubelet-cluster-informers=
// per-node the cluster-wide Services, RuntimeClasses and CSIDrivers (once per node, as each
// kubelet; `shared`: once for the process; `none`: not at all). Every watch is a stream of
// the pool, so it holds a keep-alive HTTP/1.1 connection of its own. Every list and watch
// request (start-up and reconnects alike) takes a token of one engine::pacer first:
// --kubelet-connections-per-second, no thundering herd when thousands of nodes start or the
// API server comes back.
//
// Each node also watches, one by one, the ConfigMaps and Secrets its pods reference (the
// kubelet's Watch change-detection strategy; sim::mounted_object_refs does the counting).
//
// The app calls sync(node, managed) after each node event; events of the per-node watches go
// to the handlers it gave (the same simulation the kwok-mode watches feed).

#include "apps/ghostlet/cluster_informers.hpp"
#include "engine/pacer.hpp"
#include "engine/scheduler.hpp"
#include "kube/api_client.hpp"
#include "kube/list_watch.hpp"
#include "sim/mounted_objects.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace ghost::ghostlet {

struct kubelet_watch_config {
    double connections_per_second = 200;
    ghostlet::cluster_informers cluster_informers = ghostlet::cluster_informers::per_node;
};

struct kubelet_watch_handlers {
    kube::list_watch_handler on_pod;
    kube::list_watch_handler on_node;
    std::function<void(const std::vector<boost::json::object>&)> on_pods_listed;
};

struct kubelet_watch_stats {
    std::uint64_t lists = 0;            ///< per-node and informer lists (relists included)
    std::uint64_t watch_starts = 0;     ///< watch requests opened (reconnects included)
    std::uint64_t informer_events = 0;  ///< Service/RuntimeClass/CSIDriver events (dropped)
    std::uint64_t mounted_object_events = 0;  ///< ConfigMap/Secret events of pods' references
    std::uint64_t immutable_watches_stopped = 0;  ///< ... whose object turned out immutable
};

class kubelet_watches {
public:
    kubelet_watches(boost::asio::any_io_executor ex, kube::api_client& client,
                    engine::scheduler& clock, kubelet_watch_config config,
                    kubelet_watch_handlers handlers);
    ~kubelet_watches();
    kubelet_watches(const kubelet_watches&) = delete;
    kubelet_watches& operator=(const kubelet_watches&) = delete;

    /// Starts the shared informers (--kubelet-cluster-informers=shared); else nothing.
    void start_shared();
    /// A node's watches run while it is managed here: starts or stops them.
    void sync(const std::string& node, bool managed);
    /// Shutdown: terminal cancellation of every watch; running() drops to 0 as they end.
    void stop_all();

    std::size_t nodes() const noexcept { return active_.size(); }
    /// List/watch loops still running (stopped ones included until they returned).
    std::size_t running() const noexcept { return running_; }
    /// Per managed node: pods + Node, plus 3 with per-node informers.
    std::size_t watches_per_node() const noexcept;
    /// Open ConfigMap/Secret watches (one per node and referenced object, unless immutable).
    std::size_t mounted_object_watches() const noexcept {
        return object_watches_.size() - unwatched_immutable_;
    }
    const kubelet_watch_stats& stats() const noexcept { return stats_; }
    const engine::pacer& pacer() const noexcept { return pacer_; }

private:
    struct node_tasks {
        std::string node;
        std::list<boost::asio::cancellation_signal> signals;  ///< stable: bound to the loops
        std::size_t running = 0;
        bool stopped = false;
    };
    using task_list = std::list<node_tasks>;
    using object_key = std::pair<std::string, sim::object_ref>;  ///< (node, object)

    void spawn(task_list::iterator tasks, kube::list_watch_params params,
               kube::list_watch_handler handler);
    void spawn_informers(task_list::iterator tasks);
    kube::list_watch_params params(std::string path, std::string field_selector);
    void stop(task_list::iterator tasks);
    void on_pod_references(const std::string& node, kube::event_kind kind,
                           const boost::json::object& pod);
    void start_object_watch(const std::string& node, const sim::object_ref& ref);
    void stop_object_watch(const std::string& node, const sim::object_ref& ref);
    void stop_object_watches(const std::string& node);
    void stop_immutable_watch(const object_key& key);

    boost::asio::any_io_executor ex_;
    kube::api_client& client_;
    engine::scheduler& clock_;
    kubelet_watch_config config_;
    kubelet_watch_handlers handlers_;
    engine::pacer pacer_;
    std::mt19937 rng_{std::random_device{}()};
    task_list tasks_;  ///< every node's (and the shared informers') loops, stopped ones too
    std::unordered_map<std::string, task_list::iterator> active_;
    std::unordered_map<std::string, sim::mounted_object_refs> references_;  ///< per node
    /// tasks_.end() once the object was seen immutable: referenced, no longer watched.
    std::map<object_key, task_list::iterator> object_watches_;
    std::size_t unwatched_immutable_ = 0;  ///< entries of object_watches_ at tasks_.end()
    std::size_t running_ = 0;
    kubelet_watch_stats stats_;
};

}  // namespace ghost::ghostlet
