#include "ghost_testing/loopback_http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cstdio>
#include <list>

namespace ghost::testing {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
}

struct loopback_http_server::impl : std::enable_shared_from_this<impl> {
    net::any_io_executor ex;
    request_handler handler;
    std::shared_ptr<net::ssl::context> tls;
    tcp::acceptor acceptor;
    std::list<tcp::socket*> sockets;   // live connections, closed by close_connections()
    std::size_t accepted = 0;
    std::size_t served = 0;
    std::size_t in_progress = 0;
    std::size_t max_in_progress = 0;
    bool stopped = false;

    impl(net::any_io_executor e, request_handler h, std::shared_ptr<net::ssl::context> t)
        : ex(e), handler(std::move(h)), tls(std::move(t)),
          acceptor(e, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {}

    net::awaitable<void> accept_loop() {
        auto self = shared_from_this();
        for (;;) {
            auto [ec, sock] = co_await acceptor.async_accept(use_tuple);
            if (ec || stopped)
                co_return;
            std::size_t id = ++accepted;
            net::co_spawn(ex, session(std::move(sock), id), net::detached);
        }
    }

    net::awaitable<void> session(tcp::socket sock, std::size_t id) {
        auto self = shared_from_this();
        if (tls) {
            net::ssl::stream<tcp::socket> s(std::move(sock), *tls);
            sockets.push_back(&s.next_layer());
            auto it = std::prev(sockets.end());
            auto [ec] = co_await s.async_handshake(net::ssl::stream_base::server, use_tuple);
            if (!ec)
                co_await serve(s, id);
            sockets.erase(it);
        } else {
            sockets.push_back(&sock);
            auto it = std::prev(sockets.end());
            co_await serve(sock, id);
            sockets.erase(it);
        }
    }

    template <class Stream>
    net::awaitable<void> serve(Stream& s, std::size_t id) {
        boost::beast::flat_buffer buf;
        for (;;) {
            http_message req;
            auto [ec, n] = co_await bhttp::async_read(s, buf, req, use_tuple);
            if (ec)
                co_return;
            ++in_progress;
            max_in_progress = std::max(max_in_progress, in_progress);
            reply r = handler(req, id);
            if (r.delay.count() > 0) {
                net::steady_timer t(ex, r.delay);
                co_await t.async_wait(use_tuple);
            }
            --in_progress;
            ++served;
            if (r.drop)
                co_return;
            if (r.stream) {
                co_await write_stream(s, r);
                co_return;
            }
            bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), 11};
            res.set(bhttp::field::content_type, r.content_type);
            for (auto& [k, v] : r.headers)
                res.set(k, v);
            res.body() = std::move(r.body);
            res.keep_alive(!r.close_after && req.keep_alive());
            res.prepare_payload();
            auto [wec, wn] = co_await bhttp::async_write(s, res, use_tuple);
            if (wec || r.close_after || !req.keep_alive())
                co_return;
        }
    }

    template <class Stream>
    net::awaitable<void> write_stream(Stream& s, reply& r) {
        std::string head = "HTTP/1.1 " + std::to_string(r.status) +
                           " X\r\nContent-Type: " + r.content_type +
                           "\r\nTransfer-Encoding: chunked\r\n";
        for (auto& [k, v] : r.headers)
            head += k + ": " + v + "\r\n";
        head += "\r\n";
        auto [ec, n] = co_await net::async_write(s, net::buffer(head), use_tuple);
        if (ec)
            co_return;
        for (auto& chunk : r.chunks) {
            if (r.chunk_interval.count() > 0) {
                net::steady_timer t(ex, r.chunk_interval);
                co_await t.async_wait(use_tuple);
            }
            char size[32];
            std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
            std::string frame = size + chunk + "\r\n";
            auto [wec, wn] = co_await net::async_write(s, net::buffer(frame), use_tuple);
            if (wec)
                co_return;
        }
        if (r.hold_open) {
            char sink[256];
            for (;;) {   // until the client hangs up (or close_connections())
                auto [rec, rn] = co_await s.async_read_some(net::buffer(sink), use_tuple);
                if (rec)
                    co_return;
            }
        }
        static const std::string last = "0\r\n\r\n";
        co_await net::async_write(s, net::buffer(last), use_tuple);
    }

    void close_connections() {
        for (auto* s : sockets) {
            boost::system::error_code ec;
            s->shutdown(tcp::socket::shutdown_both, ec);
            s->close(ec);
        }
    }
};

loopback_http_server::loopback_http_server(net::any_io_executor ex, request_handler handler,
                                           std::shared_ptr<net::ssl::context> tls)
    : impl_(std::make_shared<impl>(ex, std::move(handler), std::move(tls))) {
    net::co_spawn(ex, impl_->accept_loop(), net::detached);
}

loopback_http_server::~loopback_http_server() { stop(); }

std::string loopback_http_server::port() const {
    return std::to_string(impl_->acceptor.local_endpoint().port());
}
std::size_t loopback_http_server::connections_accepted() const { return impl_->accepted; }
std::size_t loopback_http_server::requests_served() const { return impl_->served; }
std::size_t loopback_http_server::open_connections() const { return impl_->sockets.size(); }
std::size_t loopback_http_server::max_concurrent_requests() const {
    return impl_->max_in_progress;
}
void loopback_http_server::close_connections() { impl_->close_connections(); }

void loopback_http_server::stop() {
    if (impl_->stopped)
        return;
    impl_->stopped = true;
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    impl_->close_connections();
}

}  // namespace ghost::testing
