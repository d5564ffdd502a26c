#include "engine/http_server.hpp"

#include "engine/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
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
                         const std::string& port)
    : acceptor_(ex) {
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

asio::awaitable<void> http_server::serve(asio::ip::tcp::socket socket) {
    auto sessions = sessions_;
    sessions->insert(&socket);
    struct unregister {
        std::set<asio::ip::tcp::socket*>& set;
        asio::ip::tcp::socket* s;
        ~unregister() { set.erase(s); }
    } guard{*sessions, &socket};
    if (!acceptor_.is_open()) co_return;   // close() ran before this session started
    boost::beast::flat_buffer buffer;
    for (;;) {
        http::request<http::string_body> req;
        auto [ec, n] = co_await http::async_read(socket, buffer, req, use_nothrow);
        if (ec) co_return;
        http::response<http::string_body> res;
        res.version(req.version());
        res.keep_alive(req.keep_alive());
        res.set(http::field::server, "ghostlet");
        auto path = std::string_view(req.target());
        path = path.substr(0, path.find('?'));
        auto it = routes_.find(path);
        if (req.method() != http::verb::get && req.method() != http::verb::head) {
            res.result(http::status::method_not_allowed);
            res.body() = "method not allowed\n";
        } else if (it == routes_.end()) {
            res.result(http::status::not_found);
            res.body() = "not found\n";
        } else {
            auto reply = it->second();
            res.result(reply.status);
            res.set(http::field::content_type, reply.content_type);
            res.body() = std::move(reply.body);
        }
        res.prepare_payload();
        auto [wec, wn] = co_await http::async_write(socket, res, use_nothrow);
        if (wec || !res.keep_alive()) co_return;
    }
}

}  // namespace ghost::engine
