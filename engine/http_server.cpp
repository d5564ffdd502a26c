#include "engine/http_server.hpp"

#include "engine/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace ghost::engine {
namespace {
namespace asio = boost::asio;
namespace http = boost::beast::http;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
}  // namespace

http_server::http_server(asio::any_io_executor ex, const std::string& address,
                         const std::string& port, std::shared_ptr<asio::ssl::context> tls)
    : acceptor_(ex), tls_(std::move(tls)) {
    asio::ip::tcp::endpoint ep(asio::ip::make_address(address.empty() ? "0.0.0.0" : address),
                               static_cast<unsigned short>(std::stoi(port)));
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
}

unsigned short http_server::port() const { return acceptor_.local_endpoint().port(); }

void http_server::close() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    for (auto* s : *sessions_) s->close(ec);
}

asio::awaitable<void> http_server::async_run() {
    for (;;) {
        auto [ec, socket] = co_await acceptor_.async_accept(use_nothrow);
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
            continue;
        }
        if (!acceptor_.is_open()) co_return;
        asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), [](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                GHOST_LOG_WARN("metrics server session: ", x.what());
            }
        });
    }
}

std::optional<http_reply> http_server::dispatch(std::string_view target) const {
    auto q = target.find('?');
    auto path = target.substr(0, q);
    auto query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    if (auto it = routes_.find(path); it != routes_.end()) return it->second();
    // Longest prefix first: the map is ordered, so walk back from the first key after `path`.
    for (auto it = prefix_routes_.upper_bound(path); it != prefix_routes_.begin();) {
        --it;
        if (path.starts_with(it->first)) return it->second(path, query);
    }
    return std::nullopt;
}

asio::awaitable<void> http_server::serve(asio::ip::tcp::socket socket) {
    auto sessions = sessions_;
    sessions->insert(&socket);
    struct unregister {
        std::set<asio::ip::tcp::socket*>& set;
        asio::ip::tcp::socket* s;
        ~unregister() { set.erase(s); }
    } guard{*sessions, &socket};
    if (!acceptor_.is_open()) co_return;   // close() ran before this session started
    unsigned char first = 0;
    auto [pec, pn] = co_await socket.async_receive(asio::buffer(&first, 1),
                                                   asio::socket_base::message_peek, use_nothrow);
    if (pec || pn == 0) co_return;
    constexpr unsigned char tls_handshake_record = 0x16;
    if (tls_ && first == tls_handshake_record) {
        asio::ssl::stream<asio::ip::tcp::socket&> stream(socket, *tls_);
        auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_nothrow);
        if (hec) co_return;  // the client's problem (untrusted certificate, ...); nothing to log
        co_await serve_requests(stream);
    } else {
        co_await serve_requests(socket);
    }
}

template <class Stream>
asio::awaitable<void> http_server::serve_requests(Stream& stream) {
    boost::beast::flat_buffer buffer;
    for (;;) {
        http::request<http::string_body> req;
        auto [ec, n] = co_await http::async_read(stream, buffer, req, use_nothrow);
        if (ec) co_return;
        http::response<http::string_body> res;
        res.version(req.version());
        res.keep_alive(req.keep_alive());
        res.set(http::field::server, server_header_);
        if (req.method() != http::verb::get && req.method() != http::verb::head) {
            res.result(http::status::method_not_allowed);
            res.body() = "method not allowed\n";
        } else if (auto reply = dispatch(req.target())) {
            res.result(reply->status);
            res.set(http::field::content_type, reply->content_type);
            res.body() = std::move(reply->body);
        } else {
            res.result(http::status::not_found);
            res.body() = "not found\n";
        }
        res.prepare_payload();
        auto [wec, wn] = co_await http::async_write(stream, res, use_nothrow);
        if (wec || !res.keep_alive()) co_return;
    }
}

}  // namespace ghost::engine
