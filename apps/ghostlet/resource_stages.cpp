#include "apps/ghostlet/resource_stages.hpp"

#include "engine/log.hpp"
#include "kube/list_watch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <list>

namespace ghost::ghostlet {

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace {
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
}

resource_stages::resource_stages(kube::api_client& client, std::vector<stages::stage> stages,
                                 sim::resource_simulation_config config,
                                 engine::scheduler& timers, sim::simulation::write_sink sink)
    : client_(client), config_(std::move(config)), timers_(timers), sink_(std::move(sink)) {
    for (auto& s : stages) by_kind_[{s.api_group, s.kind}].push_back(std::move(s));
}

resource_stages::~resource_stages() = default;

std::uint64_t resource_stages::stages_played() const {
    std::uint64_t n = 0;
    for (const auto& s : sims_) n += s->stats().stages_played;
    return n;
}

std::size_t resource_stages::pending_stages() const {
    std::size_t n = 0;
    for (const auto& s : sims_) n += s->pending_stages();
    return n;
}

const kube::api_resource* resource_stages::resolve(std::string_view gv, std::string_view kind) {
    auto it = discovered_.find(gv);
    if (it == discovered_.end()) return nullptr;
    return kube::find_kind(it->second, kind);
}

asio::awaitable<void> resource_stages::async_refresh(const std::string& gv) {
    auto r = co_await client_.async_get(kube::discovery_path(gv));
    if (!r) {
        if (r.error().http_status != 404)
            GHOST_LOG_DEBUG("discovery ", gv, ": ", r.error().ec.message());
        co_return;
    }
    std::string error;
    auto list = kube::parse_api_resource_list(r->body, gv, &error);
    if (!list) {
        GHOST_LOG_WARN(error);
        co_return;
    }
    discovered_[gv] = std::move(*list);
}

// Every served group/version once, so apply steps can target any kind (a PersistentVolume
// from a PVC stage) without a discovery round trip while playing.
asio::awaitable<void> resource_stages::async_prefetch() {
    co_await async_refresh("v1");
    auto groups = co_await client_.async_get("/apis");
    if (!groups) co_return;
    boost::system::error_code ec;
    auto doc = boost::json::parse(groups->body, ec);
    if (ec || !doc.is_object()) co_return;
    auto* list = doc.as_object().if_contains("groups");
    if (!list || !list->is_array()) co_return;
    for (const auto& g : list->as_array()) {
        auto* versions = g.is_object() ? g.as_object().if_contains("versions") : nullptr;
        if (!versions || !versions->is_array()) continue;
        for (const auto& v : versions->as_array()) {
            auto* gv = v.is_object() ? v.as_object().if_contains("groupVersion") : nullptr;
            if (gv && gv->is_string()) co_await async_refresh(std::string(gv->get_string()));
            auto cs = co_await asio::this_coro::cancellation_state;
            if (cs.cancelled() != asio::cancellation_type::none) co_return;
        }
    }
}

asio::awaitable<void> resource_stages::async_run_kind(std::string gv, std::string kind,
                                                      std::vector<stages::stage> stages) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    if (!prefetched_) {
        prefetched_ = true;  // one child fetches discovery for all (apply targets)
        co_await async_prefetch();
    }
    // A cancellation that arrives during a request is not seen by the next wait: check it.
    auto cs = co_await asio::this_coro::cancellation_state;
    auto cancelled = [&cs] { return cs.cancelled() != asio::cancellation_type::none; };
    const kube::api_resource* res = resolve(gv, kind);
    for (bool logged = false; !res;) {
        if (cancelled()) co_return;
        co_await async_refresh(gv);
        res = resolve(gv, kind);
        if (res) break;
        if (!logged) {
            GHOST_LOG_WARN("stages on ", kind, " of ", gv, ": the kind",
                           " is not served yet; waiting for it (a CRD installed later is picked up)");
            logged = true;
        }
        if (cancelled()) co_return;
        timer.expires_after(2s);
        auto [ec] = co_await timer.async_wait(use_nothrow);
        if (ec) co_return;
    }
    if (cancelled()) co_return;
    stages = by_kind_[{gv, kind}];  // the newest set, if Stage resources changed meanwhile
    GHOST_LOG_INFO("playing ", stages.size(), " stage(s) on ", kind, " (",
                   kube::collection_path(res->ref), ")");
    sims_.push_back(std::make_unique<sim::resource_simulation>(
        *res, std::move(stages), config_, timers_, sink_,
        [this](std::string_view g, std::string_view k) { return resolve(g, k); }));
    auto* sim = sims_.back().get();
    sim_of_[{gv, kind}] = sim;
    kube::list_watch_params params;
    params.path = kube::collection_path(res->ref);
    co_await kube::async_run_list_watch(
        client_, std::move(params), [this, sim](kube::event_kind k, boost::json::object&& obj) {
            if (k == kube::event_kind::deleted) {
                sim->on_delete(boost::json::value(std::move(obj)));
            } else {
                sim->on_upsert(boost::json::value(std::move(obj)));
            }
        });
}

void resource_stages::child_done() {
    if (--running_ == 0 && children_done_) children_done_->cancel();
}

void resource_stages::spawn_kind(const std::pair<std::string, std::string>& key) {
    signals_.emplace_back();
    ++running_;
    asio::co_spawn(*ex_, async_run_kind(key.first, key.second, by_kind_[key]),
                   asio::bind_cancellation_slot(
                       signals_.back().slot(), [this, kind = key.second](std::exception_ptr e) {
                           if (e) {
                               try {
                                   std::rethrow_exception(e);
                               } catch (const std::exception& ex) {
                                   GHOST_LOG_ERROR("stages on ", kind, " stopped: ", ex.what());
                               }
                           }
                           child_done();
                       }));
}

void resource_stages::replace_stages(std::vector<stages::stage> stages) {
    std::map<std::pair<std::string, std::string>, std::vector<stages::stage>> next;
    for (auto& s : stages) next[{s.api_group, s.kind}].push_back(std::move(s));
    for (auto& [key, list] : by_kind_) {
        if (!next.count(key)) list.clear();
    }
    for (auto& [key, list] : next) {
        bool known = by_kind_.count(key) > 0;
        by_kind_[key] = list;
        if (auto it = sim_of_.find(key); it != sim_of_.end()) {
            it->second->replace_stages(std::move(list));
        } else if (!known && ex_ && !stopping_) {
            spawn_kind(key);  // a kind no stage named before
        }
        // known but still resolving: async_run_kind takes by_kind_[key] when it is served
    }
    for (auto& [key, list] : by_kind_) {
        if (list.empty())
            if (auto it = sim_of_.find(key); it != sim_of_.end()) it->second->replace_stages({});
    }
}

asio::awaitable<void> resource_stages::async_run() {
    ex_ = co_await asio::this_coro::executor;
    children_done_ = std::make_unique<asio::steady_timer>(*ex_, asio::steady_timer::time_point::max());
    // One child per kind; on our cancellation every child gets terminal cancellation and we
    // wait for all of them, so nothing outlives this object's members.
    for (auto& [key, list] : by_kind_) spawn_kind(key);
    if (discovery_wanted_ && !prefetched_) {
        prefetched_ = true;
        co_await async_prefetch();
    }
    asio::steady_timer forever(*ex_, asio::steady_timer::time_point::max());
    auto cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() == asio::cancellation_type::none)
        co_await forever.async_wait(use_nothrow);  // returns on our cancellation
    stopping_ = true;
    for (auto& s : signals_) s.emit(asio::cancellation_type::terminal);
    while (running_ > 0) {
        co_await asio::this_coro::reset_cancellation_state();
        co_await children_done_->async_wait(use_nothrow);
    }
}

}  // namespace ghost::ghostlet
