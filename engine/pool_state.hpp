#pragma once
// The policy of http_pool as a plain object (no Asio, no sockets, time passed in): which idle
// connection to reuse (LIFO: the warmest first), when an idle connection is too old, when a
// request must wait, who gets a released connection or slot (waiters first, FIFO), and when a
// failed request may be retried. http_pool is a thin coroutine driver over it: it owns the
// connections (keyed by conn_id) and the parked waiters (keyed by waiter_id) and performs what
// the returned actions say.
//
// Invariant: idle connections and waiters never coexist (a release serves a waiter first).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <variant>
#include <vector>

namespace ghost::engine {

class pool_state {
public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;
    using conn_id = std::uint64_t;     // a pooled connection (or the slot reserved for one)
    using waiter_id = std::uint64_t;   // a request parked until a connection or slot frees up

    struct config {
        std::size_t max_connections = 8;   // 0 is treated as 1
        std::chrono::milliseconds idle_timeout{90000};
    };

    // acquire(): what the caller does next.
    struct use_idle { conn_id conn; };    // send on this idle connection (a reuse)
    struct open_new { conn_id conn; };    // a slot is reserved: connect, then send
    struct wait { waiter_id waiter; };    // park until release() serves this waiter
    struct closed {};                     // fail with errc::pool_closed
    using acquire_action = std::variant<use_idle, open_new, wait, closed>;

    // release(): what becomes of the connection handed back.
    struct keep_idle {};                                    // keep it, now idle
    struct close_conn {};                                   // close it; its slot is free
    struct hand_over { waiter_id waiter; conn_id conn; };   // give it to this waiter as is
    // Close it; this waiter gets its slot and opens `conn` itself.
    struct grant_slot { waiter_id waiter; conn_id conn; };
    using release_action = std::variant<keep_idle, close_conn, hand_over, grant_slot>;

    struct close_result {
        std::vector<conn_id> idle;         // idle connections to close
        std::vector<waiter_id> waiters;    // parked requests to fail with errc::pool_closed
    };

    explicit pool_state(config cfg);

    /// Drops idle connections older than idle_timeout first (returned in `expired`, to close),
    /// then decides. A `wait` must end with either a release() serving it or cancel_wait().
    acquire_action acquire(time_point now, std::vector<conn_id>& expired);

    /// Gives back a connection (or a slot whose connect failed: reusable = false).
    /// `reusable`: keep-alive and the response was read completely.
    release_action release(conn_id conn, bool reusable, time_point now);

    /// A waiter gave up (timeout, cancellation, destroyed). True when it was still parked;
    /// false when a release already served it (the driver then holds what it was given).
    bool cancel_wait(waiter_id waiter);

    /// Idle connections older than idle_timeout at `now`, removed (to close).
    std::vector<conn_id> expire_idle(time_point now);

    /// Every idle connection, removed (a reused one just proved stale: so may its siblings).
    std::vector<conn_id> drop_idle();

    /// Closes the pool: later acquires fail, released connections are closed.
    close_result close();

    /// The retry-once rule: a request on a *reused* idle connection that failed because the
    /// server had closed it (`closed_error`) before any response byte arrived is retried once,
    /// on a fresh connection.
    static bool should_retry(bool reused, bool already_retried, bool got_response_bytes,
                             bool closed_error) noexcept {
        return reused && !already_retried && !got_response_bytes && closed_error;
    }

    bool is_closed() const noexcept { return closed_; }
    std::size_t open() const noexcept { return open_; }   // slots in use (idle + busy + connecting)
    std::size_t idle() const noexcept { return idle_.size(); }
    std::size_t waiters() const noexcept { return waiters_.size(); }
    std::size_t max_connections() const noexcept { return cfg_.max_connections; }

private:
    struct idle_entry {
        conn_id conn;
        time_point since;
    };

    config cfg_;
    std::vector<idle_entry> idle_;   // back = most recently released
    std::deque<waiter_id> waiters_;
    std::size_t open_ = 0;
    conn_id next_conn_ = 0;
    waiter_id next_waiter_ = 0;
    bool closed_ = false;
};

}  // namespace ghost::engine
