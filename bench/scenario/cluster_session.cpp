#include "bench/scenario/cluster_session.hpp"

#include "kube/bulk_writer.hpp"
#include "kube/fake_objects.hpp"
#include "kube/kubeconfig.hpp"
#include "kube/list_watch.hpp"
#include "kube/resource.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/serialize.hpp>


namespace ghost::bench {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

const json::value* find(const json::object& o, std::initializer_list<const char*> path) {
    const json::value* v = nullptr;
    const json::object* cur = &o;
    for (const char* key : path) {
        if (!cur) return nullptr;
        v = cur->if_contains(key);
        if (!v) return nullptr;
        cur = v->if_object();
    }
    return v;
}

bool node_ready(const json::object& node) {
    const auto* conds = find(node, {"status", "conditions"});
    if (!conds || !conds->is_array()) return false;
    for (const auto& c : conds->get_array()) {
        const auto* o = c.if_object();
        if (!o) continue;
        const auto* type = o->if_contains("type");
        const auto* status = o->if_contains("status");
        if (type && status && type->is_string() && type->get_string() == "Ready")
            return status->is_string() && status->get_string() == "True";
    }
    return false;
}

bool tainted_not_ready(const json::object& node) {
    const auto* taints = find(node, {"spec", "taints"});
    if (!taints || !taints->is_array()) return false;
    for (const auto& t : taints->get_array()) {
        const auto* key = t.is_object() ? t.get_object().if_contains("key") : nullptr;
        if (key && key->is_string() && (key->get_string() == "node.kubernetes.io/not-ready" ||
                                        key->get_string() == "node.kubernetes.io/unreachable"))
            return true;
    }
    return false;
}

bool pod_terminating(const json::object& pod) {
    const auto* ts = find(pod, {"metadata", "deletionTimestamp"});
    return ts && ts->is_string();
}

// Keeps a current-state counter in step with one object's flag.
void track(bool& flag, bool now, std::size_t& counter) {
    if (flag == now) return;
    flag = now;
    if (now) ++counter;
    else --counter;
}

bool pod_running(const json::object& pod) {
    const auto* phase = find(pod, {"status", "phase"});
    return phase && phase->is_string() && phase->get_string() == "Running";
}

std::string name_of(const json::object& o) {
    const auto* n = find(o, {"metadata", "name"});
    return n && n->is_string() ? std::string(n->get_string()) : std::string();
}

}  // namespace

struct cluster_session::load_job {
    load_kind what = load_kind::nodes;
    std::string prefix;
    std::size_t count = 0;
    int phase = 0;
    std::function<std::string(std::size_t)> node_of;
    load_stats stats;
    std::promise<load_stats> done;
};

cluster_session::cluster_session(const std::filesystem::path& kubeconfig)
    : guard_(io_.get_executor()) {
    auto access = kube::load_kubeconfig(kubeconfig);
    client_tls_ = access.tls;
    client_tls_.insecure_skip_verify = true;
    engine::pool_config cfg;
    cfg.user_agent = "ghost-scenario/0.1";
    cfg.max_connections = 32;
    cfg.request_timeout = std::chrono::seconds(60);
    pool_ = kube::make_http_pool(io_.get_executor(), access, cfg);
    watch_pool_ = kube::make_http_pool(io_.get_executor(), access, cfg);
    kube::client_options opts;
    opts.base_path = access.base_path;
    client_ = std::make_unique<kube::api_client>(*pool_, opts);
    watch_client_ = std::make_unique<kube::api_client>(*watch_pool_, opts);
    thread_ = std::thread([this] { io_.run(); });
}

cluster_session::~cluster_session() {
    stop_load_ = true;
    on_io([this] {
        for (auto& s : watch_signals_) s->emit(asio::cancellation_type::terminal);
        return 0;
    });
    // Let every coroutine finish so no frame outlives the pools.
    for (int i = 0; i < 200 && active_ > 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (active_ > 0) {
        // A coroutine is stuck; leak the pools rather than destroy them under it.
        io_.stop();
        thread_.join();
        (void)pool_.release();
        (void)watch_pool_.release();
        for (auto& [p, pool] : local_pools_) (void)pool.release();
        return;
    }
    on_io([this] {
        pool_->close();
        watch_pool_->close();
        for (auto& [p, pool] : local_pools_) pool->close();
        return 0;
    });
    guard_.reset();
    io_.stop();
    thread_.join();
}

template <class F>
auto cluster_session::on_io(F&& f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::forward<F>(f));
    auto fut = task.get_future();
    asio::post(io_, [&task] { task(); });
    return fut.get();
}

void cluster_session::spawn_watch(std::string path, std::string label_selector,
                                  std::function<void(int, json::object&&)> handler) {
    on_io([&] {
        kube::list_watch_params params;
        params.path = std::move(path);
        params.options.label_selector = std::move(label_selector);
        params.page_size = 1000;
        auto& sig = *watch_signals_.emplace_back(std::make_unique<asio::cancellation_signal>());
        ++active_;
        asio::co_spawn(
            io_,
            kube::async_run_list_watch(
                *watch_client_, std::move(params),
                [h = std::move(handler)](kube::event_kind k, json::object&& o) {
                    h(static_cast<int>(k), std::move(o));
                }),
            asio::bind_cancellation_slot(sig.slot(), [this](std::exception_ptr) { --active_; }));
        return 0;
    });
}

void cluster_session::start_watches(bool leases) {
    std::string selector(kube::scale_label);
    spawn_watch(kube::collection_path(kube::resources::nodes()), selector,
                [this](int kind, json::object&& o) {
                    auto [it, fresh] = nodes_.try_emplace(name_of(o));
                    bool tainted = kind != static_cast<int>(kube::event_kind::deleted) &&
                                   tainted_not_ready(o);
                    if (tainted != it->second.tainted_not_ready) {
                        it->second.tainted_not_ready = tainted;
                        if (tainted) ++counts_.nodes_tainted_not_ready;
                        else --counts_.nodes_tainted_not_ready;
                    }
                    if (kind == static_cast<int>(kube::event_kind::deleted)) {
                        track(it->second.ready, false, counts_.nodes_ready_now);
                        return;
                    }
                    if (fresh || !it->second.sent) ++counts_.nodes_seen;
                    if (!fresh) ++counts_.node_updates;
                    if (!it->second.sent) it->second.sent = steady::now();
                    bool ready = node_ready(o);
                    track(it->second.ready, ready, counts_.nodes_ready_now);
                    if (!it->second.done && ready) {
                        it->second.done = steady::now();
                        ++counts_.nodes_ready;
                    }
                    // The admission plugin taints a new node not-ready; the controller
                    // manager lifts it some time after Ready. A node tainted again is not.
                    if (tainted || !ready) it->second.schedulable.reset();
                    else if (!it->second.schedulable) it->second.schedulable = steady::now();
                });
    spawn_watch(kube::collection_path(kube::resources::pods(), "default"), selector,
                [this](int kind, json::object&& o) {
                    auto [it, fresh] = pods_.try_emplace(name_of(o));
                    auto& t = it->second;
                    if (fresh) ++counts_.pods_seen;
                    bool gone = kind == static_cast<int>(kube::event_kind::deleted);
                    if (!gone && !t.live && !t.deleted) ++counts_.pods_observed;
                    track(t.live, !gone, counts_.pods_live);
                    track(t.running, !gone && pod_running(o), counts_.pods_running_now);
                    track(t.terminating, !gone && pod_terminating(o), counts_.pods_terminating);
                    if (gone) {
                        if (!t.deleted) {
                            t.deleted = steady::now();
                            ++counts_.pods_deleted;
                        }
                        return;
                    }
                    if (!t.done && pod_running(o)) {
                        t.done = steady::now();
                        ++counts_.pods_running;
                    }
                });
    if (leases) {
        spawn_watch(kube::collection_path(kube::resources::leases(), "kube-node-lease"), "",
                    [this](int kind, json::object&& o) {
                        if (kind == static_cast<int>(kube::event_kind::modified)) {
                            ++counts_.lease_updates;
                            lease_modified_[name_of(o)] = steady::now();
                        }
                    });
    }
}

object_counts cluster_session::counts() {
    return on_io([this] { return counts_; });
}

std::future<load_stats> cluster_session::start_load(
    load_kind what, std::string prefix, std::size_t count, int phase,
    std::function<std::string(std::size_t)> node_of, int parallelism) {
    auto job = std::make_shared<load_job>();
    job->what = what;
    job->prefix = std::move(prefix);
    job->count = count;
    job->phase = phase;
    job->node_of = std::move(node_of);
    stop_load_ = false;
    auto fut = job->done.get_future();
    on_io([&] {
        ++active_;
        asio::co_spawn(io_, run_load(job, parallelism), [this](std::exception_ptr) { --active_; });
        return 0;
    });
    return fut;
}

asio::awaitable<void> cluster_session::run_load(std::shared_ptr<load_job> job, int parallelism) {
    const auto node_params = kube::default_fake_node_parameters();
    const auto pod_params = kube::default_fake_pod_parameters();
    const char* key = job->what == load_kind::nodes  ? "POST nodes"
                      : job->what == load_kind::pods ? "POST pods"
                                                    : "DELETE pods";
    auto make = [&](std::size_t i) {
        kube::bulk_op op;
        auto name = kube::scaled_name(job->prefix, i);
        if (job->what == load_kind::nodes) {
            auto& t = nodes_[name];
            if (!t.sent) ++counts_.nodes_seen;
            t.sent = steady::now();
            t.phase = job->phase;
            op.path = kube::collection_path(kube::resources::nodes());
            op.body = json::serialize(kube::make_fake_node(job->prefix, i, node_params));
        } else if (job->what == load_kind::pods) {
            auto [it, fresh] = pods_.try_emplace(name);
            if (fresh) ++counts_.pods_seen;
            it->second.sent = steady::now();
            it->second.phase = job->phase;
            auto params = pod_params;
            params["nodeName"] = job->node_of(i);  // bound: no scheduler needed
            op.path = kube::collection_path(kube::resources::pods(), "default");
            op.body = json::serialize(kube::make_fake_pod(job->prefix, i, params, "default"));
        } else {
            auto& t = pods_[name];
            t.delete_sent = steady::now();
            t.delete_phase = job->phase;
            op.k = kube::bulk_op::kind::remove;
            op.path = kube::object_path(kube::resources::pods(), "default", name, "");
        }
        return op;
    };
    auto on_result = [&](std::size_t, const kube::bulk_op&,
                         const kube::api_result<kube::api_response>& r) {
        job->stats.requests[key] += 1;
        if (r) return;
        const auto& e = r.error();
        if (e.ec == kube::errc::already_exists || e.ec == kube::errc::not_found) return;
        ++job->stats.errors;
        job->stats.last_error = e.ec.message() + " " + e.status.message;
    };
    kube::bulk_options options;
    options.parallelism = static_cast<std::size_t>(std::max(1, parallelism));
    options.max_attempts = 10;
    options.stop = [this] { return stop_load_.load(); };
    try {
        co_await kube::async_bulk_write(*client_, job->count, make, on_result, options);
    } catch (...) {
        job->done.set_exception(std::current_exception());
        co_return;
    }
    job->stats.finished = steady::now();
    job->done.set_value(job->stats);
}

std::future<load_stats> cluster_session::create_nodes(std::string prefix, std::size_t count,
                                                      int phase, int parallelism) {
    return start_load(load_kind::nodes, std::move(prefix), count, phase, {}, parallelism);
}

std::future<load_stats> cluster_session::create_pods(
    std::string prefix, std::size_t count, int phase,
    std::function<std::string(std::size_t)> node_of, int parallelism) {
    return start_load(load_kind::pods, std::move(prefix), count, phase, std::move(node_of),
                      parallelism);
}

std::future<load_stats> cluster_session::delete_pods(std::string prefix, std::size_t count,
                                                     int phase, int parallelism) {
    return start_load(load_kind::delete_pods, std::move(prefix), count, phase, {}, parallelism);
}

void cluster_session::stop_load() { stop_load_ = true; }

std::vector<double> cluster_session::latencies(object_kind kind, int phase, milestone m) {
    return on_io([&] {
        std::vector<double> out;
        const auto& objects = kind == object_kind::node ? nodes_ : pods_;
        bool deletion = m == milestone::deleted;
        for (const auto& [name, t] : objects) {
            const auto& from = deletion ? t.delete_sent : t.sent;
            const auto& to = t.at(m);
            if ((deletion ? t.delete_phase : t.phase) == phase && from && to)
                out.push_back(std::chrono::duration<double>(*to - *from).count());
        }
        return out;
    });
}

std::optional<steady::time_point> cluster_session::last_reached(object_kind kind, int phase,
                                                               milestone m) {
    return on_io([&] {
        std::optional<steady::time_point> out;
        const auto& objects = kind == object_kind::node ? nodes_ : pods_;
        for (const auto& [name, t] : objects) {
            const auto& when = t.at(m);
            int of = m == milestone::deleted ? t.delete_phase : t.phase;
            if (of == phase && when && (!out || *when > *out)) out = when;
        }
        return out;
    });
}

std::size_t cluster_session::leases_renewed_since(steady::time_point since) {
    return on_io([&] {
        std::size_t n = 0;
        for (const auto& [name, at] : lease_modified_) n += at >= since;
        return n;
    });
}

std::optional<std::string> cluster_session::api_get(const std::string& path) {
    auto fut = on_io([&] {
        return asio::co_spawn(
            io_,
            [this, p = path]() -> asio::awaitable<std::optional<std::string>> {
                auto r = co_await client_->async_get(p);
                if (!r) co_return std::nullopt;
                co_return std::move(r->body);
            },
            asio::use_future);
    });
    return fut.get();
}

std::optional<std::string> cluster_session::local_get(std::uint16_t port, const std::string& path,
                                                      bool tls) {
    auto fut = on_io([&] {
        auto& pool = local_pools_[{port, tls}];
        if (!pool) {
            engine::pool_config cfg;
            cfg.user_agent = "ghost-scenario/0.1";
            cfg.max_connections = 2;
            cfg.connect_timeout = std::chrono::seconds(2);
            cfg.request_timeout = std::chrono::seconds(10);
            pool = std::make_unique<engine::http_pool>(
                io_.get_executor(), engine::endpoint{"127.0.0.1", std::to_string(port), tls},
                tls ? client_tls_ : engine::tls_options{}, cfg);
        }
        return asio::co_spawn(
            io_,
            [p = pool.get(), target = path]() -> asio::awaitable<std::optional<std::string>> {
                engine::http_request req;
                req.method = boost::beast::http::verb::get;
                req.target = target;
                auto r = co_await p->async_request(std::move(req));
                if (!r || r->status != 200) co_return std::nullopt;
                co_return std::move(r->body);
            },
            asio::use_future);
    });
    return fut.get();
}

}  // namespace ghost::bench
