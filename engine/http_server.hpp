#pragma once
// A small HTTP/1.1 server for health and metrics endpoints (/healthz, /readyz, /metrics, the
// Metric paths): GET routes by exact path or by prefix (longest wins), keep-alive, one coroutine
// per connection. Stream routes (any method, by prefix, checked first) take the connection over
// once the request head is read: kubelet's debugging endpoints (logs -f, exec, attach,
// port-forward) answer on it themselves. With a TLS context one port serves both HTTPS and plain HTTP, told apart by the
// connection's first byte (0x16 opens a TLS handshake), as kwok's server does. Handlers run on
// the server's executor and must not block.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "engine/byte_stream.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace ghost::engine {

struct http_reply {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

class http_server {
public:
    using handler = std::function<http_reply()>;
    /// For prefix routes: the request's path (percent-encoding kept) and its query, without '?'.
    using prefix_handler = std::function<http_reply(std::string_view path, std::string_view query)>;
    /// For routes that read the request: its head (Host and other headers, whether the
    /// connection is TLS, the client certificate fields).
    using head_handler = std::function<http_reply(const request_head& head)>;
    /// For prefix routes whose reply takes a while (a big scrape rendered in steps, giving the
    /// executor back between them): the request head (target = path and query).
    using async_prefix_handler =
        std::function<boost::asio::awaitable<http_reply>(const request_head& head)>;
    /// Takes the connection over: the request head (client certificate fields filled for TLS
    /// sessions), the stream and the bytes already read past the head (the start of a body or
    /// of an upgraded protocol). The stream is valid until the coroutine returns; the
    /// connection ends then (no keep-alive after a take-over).
    using stream_handler = std::function<boost::asio::awaitable<void>(
        request_head head, std::unique_ptr<byte_stream> stream, std::string already_read)>;

    /// Binds `address:port` ("0" picks a free port); with `tls`, also answers TLS on that port.
    /// Throws boost::system::system_error when the address cannot be bound (start-up error).
    http_server(boost::asio::any_io_executor ex, const std::string& address, const std::string& port,
                std::shared_ptr<boost::asio::ssl::context> tls = nullptr);

    /// The `Server` header of every reply (default "ghostlet").
    void server_header(std::string value) { server_header_ = std::move(value); }

    void route(std::string path, handler h) { routes_[std::move(path)] = std::move(h); }
    /// An exact path whose handler sees the request head (e.g. the Host a client reached).
    void route_with_head(std::string path, head_handler h) {
        head_routes_[std::move(path)] = std::move(h);
    }
    /// Every path starting with `prefix` that no exact route takes; the longest prefix wins.
    void route_prefix(std::string prefix, prefix_handler h) {
        prefix_routes_[std::move(prefix)] = std::move(h);
    }
    /// As route_prefix, for a handler that may suspend; with the same prefix as a plain prefix
    /// route, this one wins.
    void route_prefix_async(std::string prefix, async_prefix_handler h) {
        async_prefix_routes_[std::move(prefix)] = std::move(h);
    }
    /// Every request (any method) whose path starts with `prefix`; checked before the GET
    /// routes, the longest prefix wins.
    void route_stream(std::string prefix, stream_handler h) {
        stream_routes_[std::move(prefix)] = std::move(h);
    }
    unsigned short port() const;

    /// Accepts until the acceptor is closed (close()) or the coroutine is cancelled. Each
    /// connection is served by its own coroutine, tracked by the server.
    boost::asio::awaitable<void> async_run();
    /// Stops accepting and closes every open connection (keep-alive ones included), so that
    /// no work of the server is left on the executor. The server must outlive its sessions'
    /// end (they finish shortly after close()).
    void close();
    std::size_t open_sessions() const noexcept { return sessions_->size(); }
    ~http_server() { close(); }
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    /// The reply for a GET of `target` (path and query), or nullopt when no route takes it.
    std::optional<http_reply> dispatch(std::string_view target) const;
    /// The same for a whole request head (its target, headers, tls flag). Both leave the
    /// async prefix routes out.
    std::optional<http_reply> dispatch(const request_head& head) const;
    /// What a session answers: dispatch() with the async prefix routes too. The server must
    /// outlive the coroutine.
    boost::asio::awaitable<std::optional<http_reply>> async_dispatch(request_head head) const;

private:
    boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
    struct peer {
        bool verified = false;
        std::string common_name;
        bool tls = false;
    };
    template <class Stream>
    boost::asio::awaitable<void> serve_requests(Stream& stream, boost::asio::ip::tcp::socket& socket,
                                                peer who);
    const stream_handler* stream_route(std::string_view target) const;

    boost::asio::ip::tcp::acceptor acceptor_;
    std::shared_ptr<boost::asio::ssl::context> tls_;
    std::string server_header_ = "ghostlet";
    std::map<std::string, handler, std::less<>> routes_;
    std::map<std::string, head_handler, std::less<>> head_routes_;
    std::map<std::string, prefix_handler, std::less<>> prefix_routes_;
    std::map<std::string, async_prefix_handler, std::less<>> async_prefix_routes_;
    std::map<std::string, stream_handler, std::less<>> stream_routes_;
    // Shared with the sessions, so that a session frame destroyed late (with its io_context)
    // never touches a destroyed server.
    std::shared_ptr<std::set<boost::asio::ip::tcp::socket*>> sessions_ =
        std::make_shared<std::set<boost::asio::ip::tcp::socket*>>();
};

}  // namespace ghost::engine
