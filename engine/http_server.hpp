#pragma once
// A small HTTP/1.1 server for health and metrics endpoints (/healthz, /readyz, /metrics):
// GET routes by exact path, keep-alive, one coroutine per connection. Not for heavy traffic.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <map>
#include <string>

namespace ghost::engine {

struct http_reply {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

class http_server {
public:
    using handler = std::function<http_reply()>;

    /// Binds `address:port` ("0" picks a free port). Throws boost::system::system_error when the
    /// address cannot be bound (start-up error).
    http_server(boost::asio::any_io_executor ex, const std::string& address, const std::string& port);

    void route(std::string path, handler h) { routes_[std::move(path)] = std::move(h); }
    unsigned short port() const;

    /// Accepts until the acceptor is closed (close()) or the coroutine is cancelled.
    boost::asio::awaitable<void> async_run();
    void close();

private:
    boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);

    boost::asio::ip::tcp::acceptor acceptor_;
    std::map<std::string, handler, std::less<>> routes_;
};

}  // namespace ghost::engine
