#pragma once
// In-process HTTP/1.1 server on 127.0.0.1 for pool and driver tests. It runs on the caller's
// executor (single-threaded tests), optionally over TLS, and answers with whatever the test's
// handler returns: plain replies, delays, dropped connections, or chunked streams.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ghost::testing {

struct reply {
    unsigned status = 200;
    std::string body;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::milliseconds delay{0};     // wait before answering
    bool close_after = false;               // "Connection: close" and close the socket
    bool drop = false;                      // close the socket without answering
    // Chunked streaming: each chunk is written after chunk_interval; the stream then ends
    // unless hold_open, in which case the server waits until the client goes away.
    bool stream = false;
    std::vector<std::string> chunks;
    std::chrono::milliseconds chunk_interval{0};
    bool hold_open = false;
};

using http_message = boost::beast::http::request<boost::beast::http::string_body>;
// conn_id numbers accepted connections from 1.
using request_handler = std::function<reply(const http_message&, std::size_t conn_id)>;

class loopback_http_server {
public:
    // Plain TCP when tls is null.
    loopback_http_server(boost::asio::any_io_executor ex, request_handler handler,
                         std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
    ~loopback_http_server();

    std::string port() const;
    std::size_t connections_accepted() const;
    std::size_t requests_served() const;
    std::size_t open_connections() const;
    std::size_t max_concurrent_requests() const;   // highest number of requests in progress
    // Closes every accepted connection (idle keep-alive ones included) from the server side.
    void close_connections();
    void stop();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

struct pem_pair {
    std::string cert_pem;
    std::string key_pem;
};
// Self-signed certificate (EC P-256) for CN=common_name with SANs DNS:localhost, IP:127.0.0.1.
pem_pair make_self_signed_cert(const std::string& common_name = "localhost");

std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(const pem_pair& pem);

}  // namespace ghost::testing
