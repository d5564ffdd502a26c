#include "kube/list_watch.hpp"

#include "engine/log.hpp"
#include "engine/memory.hpp"
#include "kube/api_client.hpp"
#include "kube/resource.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <cmath>

namespace ghost::kube {

namespace asio = boost::asio;
namespace json = boost::json;

// A list this large is followed by giving the allocator's free pages back.
constexpr std::size_t big_list = 1000;
using namespace std::chrono;

std::string_view to_string(event_kind k) noexcept {
    switch (k) {
    case event_kind::sync: return "sync";
    case event_kind::added: return "added";
    case event_kind::modified: return "modified";
    case event_kind::deleted: return "deleted";
    }
    return "?";
}

// ---- list_watch_fsm --------------------------------------------------------------------------

list_watch_fsm::list_watch_fsm(backoff_policy p) : policy_(p) {}

list_watch_fsm::action list_watch_fsm::next() {
    action a;
    switch (state_) {
    case state::need_list:
    case state::listing:   // asked again without a report: list again
        state_ = state::listing;
        a.kind = action_kind::list;
        a.resource_version = relist_rv_;
        return a;
    case state::watching:
        events_this_watch_ = 0;
        a.kind = action_kind::watch;
        a.resource_version = last_rv_;
        return a;
    case state::backoff: {
        double d = double(policy_.initial.count()) *
                   std::pow(policy_.factor, std::max(0, failures_ - 1));
        a.kind = action_kind::wait;
        a.delay = milliseconds(
            static_cast<long long>(std::min(d, double(policy_.max.count()))));
        state_ = resume_;
        return a;
    }
    }
    return a;
}

void list_watch_fsm::fail_then(state resume) {
    ++failures_;
    resume_ = resume;
    state_ = state::backoff;
}

std::vector<std::string> list_watch_fsm::on_list_done(std::string resource_version,
                                                      const std::vector<std::string>& keys) {
    std::unordered_set<std::string> now(keys.begin(), keys.end());
    std::vector<std::string> gone;
    for (const auto& k : known_)
        if (!now.count(k)) gone.push_back(k);
    std::sort(gone.begin(), gone.end());
    known_ = std::move(now);
    last_rv_ = std::move(resource_version);
    relist_rv_ = last_rv_;   // a later relist (after a failure) reads no older than this
    failures_ = 0;
    state_ = state::watching;
    return gone;
}

void list_watch_fsm::on_list_failed(bool gone) {
    if (gone) relist_rv_.clear();
    fail_then(state::need_list);
}

void list_watch_fsm::on_event(watch_event_type type, std::string_view resource_version,
                              std::string_view key) {
    if (type == watch_event_type::error) return;
    ++events_this_watch_;
    failures_ = 0;
    gones_ = 0;
    if (!resource_version.empty()) last_rv_.assign(resource_version);
    if (key.empty()) return;
    if (type == watch_event_type::deleted) {
        known_.erase(std::string(key));
    } else if (type != watch_event_type::bookmark) {
        known_.emplace(key);
    }
}

void list_watch_fsm::on_gone() {
    // The watch cache no longer has our resourceVersion: read consistently from etcd.
    relist_rv_.clear();
    if (++gones_ > 1) {
        fail_then(state::need_list);
    } else {
        state_ = state::need_list;
    }
}

void list_watch_fsm::on_watch_ended(bool clean, milliseconds lasted) {
    if (state_ != state::watching) return;   // on_gone already decided
    if (clean && (events_this_watch_ > 0 || lasted >= seconds(1))) {
        failures_ = 0;
        return;   // resume at once from last_rv_
    }
    fail_then(state::watching);
}

// ---- driver ----------------------------------------------------------------------------------

namespace {

json::object stub_object(const std::string& key) {
    json::object meta;
    auto slash = key.find('/');
    if (slash == std::string::npos) {
        meta["name"] = key;
    } else {
        meta["namespace"] = key.substr(0, slash);
        meta["name"] = key.substr(slash + 1);
    }
    json::object obj;
    obj["metadata"] = std::move(meta);
    return obj;
}

asio::awaitable<bool> cancelled() {
    auto cs = co_await asio::this_coro::cancellation_state;
    co_return cs.cancelled() != asio::cancellation_type::none;
}

void describe(const std::string& path, std::string_view what, const api_error& e) {
    GHOST_LOG_WARN("list/watch ", path, ": ", what, " failed: ", e.ec.message(),
                   e.status.message.empty() ? "" : " (", e.status.message,
                   e.status.message.empty() ? "" : ")");
}

}  // namespace

asio::awaitable<void> async_run_list_watch(api_client& client, list_watch_params params,
                                           list_watch_handler handler) {
    // Report cancellation as error codes (checked below) instead of exceptions.
    co_await asio::this_coro::throw_if_cancelled(false);
    list_watch_fsm fsm(params.backoff);
    if (params.listed) fsm.on_list_done(params.listed->resource_version, params.listed->keys);
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!co_await cancelled()) {
        auto a = fsm.next();
        if (a.kind == list_watch_fsm::action_kind::wait) {
            GHOST_LOG_DEBUG("list/watch ", params.path, ": backing off ", a.delay.count(), "ms");
            timer.expires_after(a.delay);
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        if (params.pace) {
            auto d = params.pace();
            if (d.count() > 0) {
                timer.expires_after(d);
                co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
                if (co_await cancelled()) break;
            }
        }
        if (a.kind == list_watch_fsm::action_kind::list) {
            list_options o = params.options;
            if (a.resource_version.empty()) {
                o.resource_version.reset();
                o.limit = params.page_size;
            } else {
                o.resource_version = a.resource_version;
            }
            auto r = co_await client.async_list(params.path, o);
            if (!r) {
                if (co_await cancelled()) break;
                describe(params.path, "list", r.error());
                fsm.on_list_failed(r.error().ec == errc::gone);
                continue;
            }
            std::vector<std::string> keys;
            keys.reserve(r->items.size());
            std::vector<json::object> objects;
            objects.reserve(r->items.size());
            for (auto& item : r->items) {
                if (!item.is_object()) continue;
                keys.push_back(object_key(item.get_object()));
                objects.push_back(std::move(item.get_object()));
            }
            auto vanished = fsm.on_list_done(std::move(r->resource_version), keys);
            GHOST_LOG_DEBUG("list/watch ", params.path, ": listed ", objects.size(),
                            " objects at rv ", fsm.last_resource_version());
            if (params.on_listed) params.on_listed(objects);
            for (auto& obj : objects) handler(event_kind::sync, std::move(obj));
            for (auto& k : vanished) handler(event_kind::deleted, stub_object(k));
            // The list's body and DOM were the largest allocation of the run: give the pages
            // back, or the process stays at this peak after every relist.
            if (objects.size() >= big_list) {
                r->items = {};
                objects = {};
                keys = {};
                engine::release_free_memory();
            }
            continue;
        }
        // watch
        list_options o = params.options;
        o.resource_version = a.resource_version;
        o.allow_watch_bookmarks = true;
        o.timeout_seconds = params.watch_timeout_seconds;
        bool gone = false;
        bool error_event = false;
        auto started = steady_clock::now();
        if (params.on_watch_started) params.on_watch_started();
        auto r = co_await client.async_watch(params.path, o, [&](const watch_event& ev) {
            if (gone || error_event) return;
            if (ev.type == watch_event_type::error) {
                if (ev.code == 410) {
                    gone = true;
                } else {
                    error_event = true;
                    GHOST_LOG_WARN("list/watch ", params.path, ": watch error event: ",
                                   ev.message);
                }
                return;
            }
            fsm.on_event(ev.type, ev.resource_version, object_key(ev.namespace_, ev.name));
            if (ev.type == watch_event_type::bookmark) return;
            boost::system::error_code ec;
            // One arena per object (~200 small allocations less for a node): it lives as long
            // as whoever keeps the object, and goes with it.
            json::value v = json::parse(
                ev.object, ec,
                json::make_shared_resource<json::monotonic_resource>(2 * ev.object.size() + 512));
            if (ec || !v.is_object()) {
                GHOST_LOG_WARN("list/watch ", params.path, ": undecodable object: ",
                               ec ? ec.message() : "not an object");
                return;
            }
            event_kind k = ev.type == watch_event_type::added      ? event_kind::added
                           : ev.type == watch_event_type::modified ? event_kind::modified
                                                                   : event_kind::deleted;
            handler(k, std::move(v.get_object()));
        });
        auto lasted = duration_cast<milliseconds>(steady_clock::now() - started);
        if (co_await cancelled()) break;
        if (gone || (!r && r.error().ec == errc::gone)) {
            GHOST_LOG_INFO("list/watch ", params.path, ": resourceVersion expired, relisting");
            fsm.on_gone();
            continue;
        }
        if (!r) describe(params.path, "watch", r.error());
        fsm.on_watch_ended(r && !error_event, lasted);
    }
}

}  // namespace ghost::kube
