#pragma once
// List/watch (a reflector): list, then watch from the list's resourceVersion with bookmarks;
// resume from the last seen resourceVersion after a disconnect; relist on 410 Gone; on relist,
// report objects that disappeared as deleted (client-go replace semantics).
//
// list_watch_fsm is the sans-io core; async_run_list_watch is the coroutine driver.

#include "kube/resource.hpp"
#include "kube/watch_decoder.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace ghost::kube {

class api_client;

enum class event_kind { sync, added, modified, deleted };

std::string_view to_string(event_kind k) noexcept;

struct backoff_policy {
    std::chrono::milliseconds initial{800};
    std::chrono::milliseconds max{30000};
    double factor = 2.0;
};

class list_watch_fsm {
public:
    enum class state { need_list, listing, watching, backoff };
    enum class action_kind { list, watch, wait };
    struct action {
        action_kind kind = action_kind::list;
        std::string resource_version;              // list: "0" (watch cache) or "" (consistent)
        std::chrono::milliseconds delay{0};        // wait
    };

    explicit list_watch_fsm(backoff_policy p = {});

    // The next operation; the driver performs it and reports through the on_* calls below,
    // then asks again. A `wait` action needs no report.
    action next();

    // List finished: its resourceVersion and the keys of its items. Returns the keys that
    // were known before but are not in the list (to be reported as deleted).
    std::vector<std::string> on_list_done(std::string resource_version,
                                          const std::vector<std::string>& keys);
    // List failed; gone = 410 (e.g. an expired continue token): relist with a consistent read.
    void on_list_failed(bool gone);

    // A watch event (not ERROR). Tracks the resourceVersion (bookmarks included) and the keys.
    void on_event(watch_event_type type, std::string_view resource_version, std::string_view key);
    // 410 Gone from a watch (HTTP status or ERROR event): relist.
    void on_gone();
    // The watch ended. clean = the server ended the body normally; `lasted` is how long it ran.
    // A clean end after a while resumes at once from the last resourceVersion; errors (and
    // clean ends that come back immediately without events) back off first.
    void on_watch_ended(bool clean, std::chrono::milliseconds lasted);

    state current_state() const noexcept { return state_; }
    const std::string& last_resource_version() const noexcept { return last_rv_; }
    std::size_t known_objects() const noexcept { return known_.size(); }
    int consecutive_failures() const noexcept { return failures_; }

private:
    void fail_then(state resume);

    backoff_policy policy_;
    state state_ = state::need_list;
    state resume_ = state::need_list;     // where backoff goes next
    std::string last_rv_;
    std::string relist_rv_ = "0";
    int failures_ = 0;
    int gones_ = 0;                       // consecutive 410s without progress
    std::size_t events_this_watch_ = 0;
    std::unordered_set<std::string> known_;
};

struct list_watch_params {
    list_watch_params() {}   // non-aggregate: see list_options (GCC 12 coroutine bug)

    std::string path;                  // collection path, e.g. "/api/v1/pods"
    list_options options;              // label/field selectors (other fields are set per call)
    int page_size = 500;               // list limit (consistent relists paginate)
    int watch_timeout_seconds = 300;   // server-side watch timeout
    backoff_policy backoff;
    // Called with every (re)list's objects before their sync events: a consumer can take stock
    // of the whole set first (ghostlet reserves every listed pod's IP before allocating any).
    std::function<void(const std::vector<boost::json::object>&)> on_listed;
    // Called each time a watch request is (re)opened; for reconnect counters.
    std::function<void()> on_watch_started;
    // Called before every list and watch request; the request waits for the returned delay
    // first (ghostlet's kubelet mode paces new connections through one engine::pacer).
    std::function<std::chrono::milliseconds()> pace;
    // Set when the caller has listed already (e.g. page by page, as a snapshot): the first
    // action is a watch from that list's resourceVersion, and its keys are the known objects
    // (for relists). No sync events for them.
    struct listed_state {
        std::string resource_version;
        std::vector<std::string> keys;
    };
    std::optional<listed_state> listed;
};

using list_watch_handler = std::function<void(event_kind, boost::json::object&&)>;

// Runs until the awaiting coroutine is cancelled (co_spawn with a bound cancellation slot);
// never throws on server or transport errors (they are logged and retried with backoff).
// Objects that vanished across a relist are delivered as deleted with only metadata
// (name, namespace) set.
boost::asio::awaitable<void> async_run_list_watch(api_client& client, list_watch_params params,
                                                  list_watch_handler handler);

}  // namespace ghost::kube
