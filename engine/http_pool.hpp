#pragma once
// HTTP/1.1 keep-alive connection pool over TCP or TLS (Beast + OpenSSL).
//
// Threading: a pool and every operation on it must run on one thread (a single-threaded
// io_context or a strand passed as `ex`). The pool must outlive every operation started on it.
//
// Cancellation: both async functions honour the awaiting coroutine's cancellation slot
// (co_spawn(..., bind_cancellation_slot(sig.slot(), token))); a cancelled operation fails with
// errc::cancelled and its connection is discarded.

#include "engine/error.hpp"
#include "engine/http_types.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

namespace ghost::engine {

struct pool_config {
    std::size_t max_connections = 8;                    // pooled (non-stream) connections
    std::chrono::milliseconds connect_timeout{5000};    // resolve + TCP connect + TLS handshake
    std::chrono::milliseconds request_timeout{30000};   // write request + read whole response
    std::chrono::milliseconds idle_timeout{90000};      // idle pooled connections older are dropped
    std::chrono::milliseconds stream_idle_timeout{0};   // 0 = a stream may stay silent forever
    std::string user_agent;                             // User-Agent when non-empty
    header_list default_headers;                        // added to every request (Authorization...)
    // Bytes a stream (watch) reads at a time, in a buffer it owns for its life: with tens of
    // thousands of watches (ghostlet --api-mode=kubelet) this is per-connection memory.
    std::size_t stream_read_size = 16 * 1024;
};

struct pool_stats {
    std::uint64_t connections_opened = 0;   // successful connects (pool + streams)
    std::uint64_t connect_failures = 0;
    std::uint64_t requests_sent = 0;        // async_request attempts written (retries included)
    std::uint64_t reuses = 0;               // requests served on an idle pooled connection
    std::uint64_t retries = 0;              // retries after a reused connection was found closed
    std::uint64_t timeouts = 0;
    std::uint64_t streams_opened = 0;
    std::size_t open_connections = 0;       // pooled connections currently open (idle + busy)
    std::size_t idle_connections = 0;
    std::size_t waiters = 0;                // requests waiting for a free connection
};

class http_pool {
public:
    using data_handler = std::function<void(std::string_view)>;
    // Called once per stream with status, content type and Retry-After (body empty),
    // before the first on_data call.
    using head_handler = std::function<void(const http_response&)>;

    // Throws boost::system::system_error (errc::tls_error) on unusable TLS material.
    http_pool(boost::asio::any_io_executor ex, endpoint ep, tls_options tls, pool_config cfg);
    ~http_pool();
    http_pool(const http_pool&) = delete;
    http_pool& operator=(const http_pool&) = delete;

    // One request on a pooled keep-alive connection; retried once on a fresh connection
    // when a reused idle connection turns out closed before any response byte arrived.
    // Any HTTP status is a success here; errors are transport errors, errc::timeout,
    // errc::cancelled, errc::pool_closed.
    boost::asio::awaitable<result<http_response>> async_request(http_request req);
    boost::asio::awaitable<result<http_response>> async_request(
        http_request req, std::chrono::milliseconds timeout);

    // Long-lived streaming response (watch) on its own dedicated connection. `on_data` gets body
    // bytes (chunk framing removed) as they arrive, for any status (a non-2xx body is usually
    // a Kubernetes Status object). Returns the status once the body ended cleanly, or the error
    // that ended the stream (errc::cancelled when stopped via the cancellation slot).
    boost::asio::awaitable<result<unsigned>> async_stream(http_request req, data_handler on_data,
                                                          head_handler on_head = {});

    // Closes idle connections and fails waiting requests with errc::pool_closed.
    void close();

    pool_stats stats() const;
    const endpoint& target() const noexcept;
    boost::asio::any_io_executor get_executor() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// Parses a Retry-After header value (delta-seconds form only; HTTP dates are ignored).
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value);

}  // namespace ghost::engine
