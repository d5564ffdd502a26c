#pragma once
// The runner's view of one cluster: watches on nodes, pods (and leases) that record when each
// object was created, became Ready/Running and vanished, plus a load generator that creates
// and deletes objects with a fixed parallelism (kwokctl's shapes and `kwokctl scale`'s bounded
// writer: kube/fake_objects.hpp, kube/bulk_writer.hpp). Everything runs on one
// io_context thread; the public calls are made from the orchestrating thread and block.

#include "engine/http_pool.hpp"
#include "kube/api_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace ghost::bench {

using steady = std::chrono::steady_clock;

struct object_counts {
    std::size_t nodes_seen = 0, nodes_ready = 0;
    std::size_t pods_seen = 0, pods_running = 0, pods_deleted = 0;
    std::size_t lease_updates = 0, node_updates = 0;
    // Nodes still carrying kube-controller-manager's node.kubernetes.io/not-ready (or
    // unreachable) taint: it removes them some time after the node turned Ready.
    std::size_t nodes_tainted_not_ready = 0;
    // Current states (the counters above count first times): nodes with Ready=True now; pods
    // the watch has and has not seen deleted, of those Running now and with a
    // deletionTimestamp; pods the watch has ever seen (not the runner's creates).
    std::size_t nodes_ready_now = 0;
    std::size_t pods_live = 0, pods_running_now = 0, pods_terminating = 0, pods_observed = 0;
};

struct load_stats {
    std::map<std::string, double> requests;   // "POST nodes" -> n (the runner's own writes)
    std::size_t errors = 0;
    std::string last_error;
    std::chrono::steady_clock::time_point finished;  // the runner's last request answered
};

enum class object_kind { node, pod };
enum class milestone { done, schedulable, deleted };

class cluster_session {
public:
    explicit cluster_session(const std::filesystem::path& kubeconfig);
    ~cluster_session();
    cluster_session(const cluster_session&) = delete;
    cluster_session& operator=(const cluster_session&) = delete;

    // Node and pod watches (label kwok.x-k8s.io/kwokctl-scale), lease watch when `leases`.
    void start_watches(bool leases);
    object_counts counts();

    // Creates <prefix>-000000.. in parallel; a phase number tags the objects for latencies.
    std::future<load_stats> create_nodes(std::string prefix, std::size_t count, int phase,
                                         int parallelism);
    // Pod i is bound to node_of(i) (spec.nodeName; no scheduler needed).
    std::future<load_stats> create_pods(std::string prefix, std::size_t count, int phase,
                                        std::function<std::string(std::size_t)> node_of,
                                        int parallelism);
    // Deletes <prefix>-000000.. with default grace, as `kwokctl scale --replicas 0`.
    std::future<load_stats> delete_pods(std::string prefix, std::size_t count, int phase,
                                        int parallelism);
    // Makes running loaders stop after their current request.
    void stop_load();

    // Seconds from the create request being sent to Ready/Running (done) or, for nodes, to
    // Ready and without the not-ready taint (schedulable); from the delete request to the
    // DELETED event (deleted); for the objects of `phase`.
    std::vector<double> latencies(object_kind kind, int phase, milestone m);
    // When the last object of `phase` reached `m`.
    std::optional<steady::time_point> last_reached(object_kind kind, int phase, milestone m);

    // Node leases (the lease watch) modified at or after `since`.
    std::size_t leases_renewed_since(steady::time_point since);

    // GET on the API server (e.g. "/metrics"); nullopt on any failure.
    std::optional<std::string> api_get(const std::string& path);
    // GET on 127.0.0.1:port (the simulator's server; with `tls`, e.g. metrics-server: HTTPS
    // with the kubeconfig's client certificate, the server's certificate not verified);
    // nullopt on failure.
    std::optional<std::string> local_get(std::uint16_t port, const std::string& path,
                                         bool tls = false);

private:
    struct tracked {
        std::optional<steady::time_point> sent, done, delete_sent, deleted;
        std::optional<steady::time_point> schedulable;  // nodes: last became Ready + untainted
        int phase = -1, delete_phase = -1;
        bool tainted_not_ready = false;  // nodes only
        bool ready = false;              // nodes: Ready=True in the latest event
        bool live = false, running = false, terminating = false;  // pods, latest event
        const std::optional<steady::time_point>& at(milestone m) const {
            return m == milestone::done ? done : m == milestone::deleted ? deleted : schedulable;
        }
    };
    enum class load_kind { nodes, pods, delete_pods };
    struct load_job;

    template <class F>
    auto on_io(F&& f) -> decltype(f());
    std::future<load_stats> start_load(load_kind what, std::string prefix, std::size_t count,
                                       int phase,
                                       std::function<std::string(std::size_t)> node_of,
                                       int parallelism);
    boost::asio::awaitable<void> run_load(std::shared_ptr<load_job> job, int parallelism);
    void spawn_watch(std::string path, std::string label_selector,
                     std::function<void(int kind, boost::json::object&&)> handler);

    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
    std::unique_ptr<engine::http_pool> pool_;        // writes and scrapes
    std::unique_ptr<engine::http_pool> watch_pool_;  // watches (own connections)
    std::map<std::pair<std::uint16_t, bool>, std::unique_ptr<engine::http_pool>> local_pools_;
    engine::tls_options client_tls_;   // the kubeconfig's client certificate
    std::unique_ptr<kube::api_client> client_, watch_client_;
    std::vector<std::unique_ptr<boost::asio::cancellation_signal>> watch_signals_;
    std::atomic<bool> stop_load_{false};
    std::atomic<int> active_{0};   // coroutines still running on io_
    std::unordered_map<std::string, tracked> nodes_, pods_;
    std::unordered_map<std::string, steady::time_point> lease_modified_;
    object_counts counts_;
    std::thread thread_;
};

}  // namespace ghost::bench
