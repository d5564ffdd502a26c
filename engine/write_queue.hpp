#pragma once
// Sans-io batching write queue (no sockets, no clock: every call takes `now`).
//
// Entries are keyed by a string (e.g. "pods/ns/name/status"). A write for a key that is still
// waiting replaces the older one in place (coalescing: only the newest state matters). While a
// key has a write in flight, a newer write waits and is handed out after the in-flight one is
// committed, so writes for one key never overlap or reorder. prepare_batch() hands out entries
// by priority class, FIFO within a class: leases first, but when several classes wait, slots
// rotate lease, status, lease, other, lease, status, lease, event, so leases get half, Events (only
// informational, as a kubelet's own recorder treats them) an eighth, and nothing starves. A transient failure
// is requeued with exponential backoff (or the server's Retry-After) unless a newer write for
// the key has arrived meanwhile, in which case the failed one is dropped.

#include "engine/http_types.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

namespace ghost::engine {

enum class write_priority : std::uint8_t { lease = 0, status = 1, other = 2, event = 3 };

struct write_outcome {
    enum class kind : std::uint8_t { success, transient, permanent };
    kind k = kind::success;
    std::optional<std::chrono::milliseconds> retry_after;   // transient only

    static write_outcome success() { return {kind::success, std::nullopt}; }
    static write_outcome transient(std::optional<std::chrono::milliseconds> after = {}) {
        return {kind::transient, after};
    }
    static write_outcome permanent() { return {kind::permanent, std::nullopt}; }
};

// What prepare_batch hands out; give it back (moved) to commit().
struct write_ticket {
    std::uint64_t id = 0;        // the caller's id given to push()
    std::string key;
    write_priority priority = write_priority::other;
    http_request request;
    std::uint32_t attempt = 0;   // 0 for the first try
};

class write_queue {
public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;

    struct config {
        std::chrono::milliseconds initial_backoff{200};
        std::chrono::milliseconds max_backoff{30000};
        std::uint32_t max_attempts = 0;   // 0 = retry transient failures forever
    };
    struct counters {
        std::uint64_t queued = 0;       // push() calls
        std::uint64_t coalesced = 0;    // pushes that replaced a waiting write
        std::uint64_t sent = 0;         // tickets handed out
        std::uint64_t succeeded = 0;
        std::uint64_t retried = 0;      // transient failures requeued
        std::uint64_t superseded = 0;   // transient failures dropped for a newer write
        std::uint64_t failed = 0;       // permanent failures (and attempts exhausted)
    };
    enum class commit_result : std::uint8_t {
        done,         // finished (success or final failure): report it
        requeued,     // will be retried after a backoff
        superseded,   // failed, but a newer write for the key is queued instead
    };

    write_queue();
    explicit write_queue(config cfg);

    // Queues a write under a caller-chosen id. When it replaces a waiting write for the same
    // key, returns that write's id (that write will never be handed out).
    std::optional<std::uint64_t> push(std::string key, write_priority priority,
                                      http_request request, std::uint64_t id = 0);
    // Up to `max` ready entries (not in flight, backoff elapsed) in priority then FIFO order.
    std::vector<write_ticket> prepare_batch(std::size_t max, time_point now);
    commit_result commit(write_ticket&& ticket, const write_outcome& outcome, time_point now);

    // Earliest time a backed-off entry becomes ready (none when nothing is backing off).
    std::optional<time_point> next_retry_due() const;
    // Backoff before attempt number `attempt` (1 = first retry).
    std::chrono::milliseconds backoff(std::uint32_t attempt) const;

    std::size_t waiting() const noexcept { return waiting_; }
    std::size_t in_flight() const noexcept { return in_flight_; }
    bool empty() const noexcept { return waiting_ == 0 && in_flight_ == 0; }
    bool is_in_flight(const std::string& key) const;
    const counters& stats() const noexcept { return stats_; }

private:
    enum class where : std::uint8_t { parked, ready, delayed };
    struct entry {
        std::uint64_t id;
        write_priority priority;
        http_request request;
        std::uint64_t seq;          // position in the ready queue of its class
        std::uint32_t attempt = 0;
        time_point not_before{};
        where at = where::parked;
    };
    struct key_state {
        bool in_flight = false;
        std::optional<entry> waiting;
    };
    struct queued_ref {
        std::string key;
        std::uint64_t seq;
    };
    struct delayed_ref {
        time_point due;
        std::string key;
        std::uint64_t seq;
        bool operator>(const delayed_ref& o) const { return due > o.due; }
    };

    void make_ready(const std::string& key, entry& e);
    bool take_one(std::size_t cls, std::vector<write_ticket>& out);
    void promote_due(time_point now);

    config cfg_;
    std::unordered_map<std::string, key_state> keys_;
    std::deque<queued_ref> ready_[4];
    std::priority_queue<delayed_ref, std::vector<delayed_ref>, std::greater<>> delayed_;
    std::uint64_t seq_ = 0;
    std::uint64_t turn_ = 0;   // position in the class rotation of prepare_batch
    std::size_t waiting_ = 0;
    std::size_t in_flight_ = 0;
    counters stats_;
};

}  // namespace ghost::engine
