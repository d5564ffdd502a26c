#include "engine/http_server.hpp"

#include "engine/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace ghost::engine {
namespace {
namespace asio = boost::asio;
namespace http = boost::beast::http;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

// A session's stream (the socket or the TLS stream over it) lent to a stream route; `socket` is
// the lowest layer, closed by close().
template <class Stream>
class lent_stream final : public byte_stream {
public:
    lent_stream(Stream& stream, asio::ip::tcp::socket& socket) : stream_(stream), socket_(socket) {}
    asio::awaitable<std::size_t> read_some(asio::mutable_buffer into,
                                           boost::system::error_code& ec) override {
        auto [e, n] = co_await stream_.async_read_some(into, use_nothrow);
        ec = e;
        co_return n;
    }
    asio::awaitable<void> write(asio::const_buffer bytes, boost::system::error_code& ec) override {
        auto [e, n] = co_await asio::async_write(stream_, bytes, use_nothrow);
        ec = e;
    }
    void close() override {
        boost::system::error_code ignored;
        socket_.close(ignored);
    }
    asio::any_io_executor get_executor() override { return socket_.get_executor(); }

private:
    Stream& stream_;
    asio::ip::tcp::socket& socket_;
};

// The client certificate of a finished handshake: verified against the context's client CA
// (a certificate that fails verification already failed the handshake) and its CN.
template <class TlsStream>
void read_peer_certificate(TlsStream& stream, bool& verified, std::string& common_name) {
    SSL* ssl = stream.native_handle();
    X509* cert = SSL_get_peer_certificate(ssl);
    if (!cert) return;
    verified = SSL_get_verify_result(ssl) == X509_V_OK;
    char cn[256] = {};
    int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    if (n > 0) common_name.assign(cn, static_cast<std::size_t>(n));
    X509_free(cert);
}

// What a route may read of a request: method, target, headers and the connection's TLS state.
template <class Fields>
request_head head_of(const http::request_header<Fields>& h, bool verified,
                     const std::string& common_name, bool tls) {
    request_head head;
    head.method = h.method();
    head.target = std::string(h.target());
    for (const auto& field : h) {
        auto name = field.name_string();
        auto value = field.value();
        head.headers.emplace_back(std::string(name.data(), name.size()),
                                  std::string(value.data(), value.size()));
    }
    head.client_verified = verified;
    head.client_common_name = common_name;
    head.tls = tls;
    return head;
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

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

const http_server::stream_handler* http_server::stream_route(std::string_view target) const {
    auto path = path_of(target);
    for (auto it = stream_routes_.upper_bound(path); it != stream_routes_.begin();) {
        --it;
        if (path.starts_with(it->first)) return &it->second;
    }
    return nullptr;
}

std::optional<http_reply> http_server::dispatch(std::string_view target) const {
    request_head head;
    head.target = std::string(target);
    return dispatch(head);
}

std::optional<http_reply> http_server::dispatch(const request_head& head) const {
    std::string_view target = head.target;
    auto q = target.find('?');
    auto path = target.substr(0, q);
    auto query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    if (auto it = routes_.find(path); it != routes_.end()) return it->second();
    if (auto it = head_routes_.find(path); it != head_routes_.end()) return it->second(head);
    // Longest prefix first: the map is ordered, so walk back from the first key after `path`.
    for (auto it = prefix_routes_.upper_bound(path); it != prefix_routes_.begin();) {
        --it;
        if (path.starts_with(it->first)) return it->second(path, query);
    }
    return std::nullopt;
}

asio::awaitable<std::optional<http_reply>> http_server::async_dispatch(request_head head) const {
    auto path = path_of(head.target);
    const async_prefix_handler* async_route = nullptr;
    std::size_t async_length = 0;
    if (!routes_.contains(path) && !head_routes_.contains(path)) {
        for (auto it = async_prefix_routes_.upper_bound(path); it != async_prefix_routes_.begin();) {
            --it;
            if (path.starts_with(it->first)) {
                async_route = &it->second;
                async_length = it->first.size();
                break;
            }
        }
    }
    if (async_route) {
        // A longer plain prefix still wins (longest prefix across both kinds).
        bool longer_plain = false;
        for (auto it = prefix_routes_.upper_bound(path); it != prefix_routes_.begin();) {
            --it;
            if (path.starts_with(it->first)) {
                longer_plain = it->first.size() > async_length;
                break;
            }
        }
        if (!longer_plain) co_return co_await (*async_route)(head);
    }
    co_return dispatch(head);
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
        peer who;
        who.tls = true;
        read_peer_certificate(stream, who.verified, who.common_name);
        co_await serve_requests(stream, socket, std::move(who));
    } else {
        peer anonymous;  // named: GCC 12 bitwise-copies a braced temporary into the frame
        co_await serve_requests(socket, socket, std::move(anonymous));
    }
}

template <class Stream>
asio::awaitable<void> http_server::serve_requests(Stream& stream, asio::ip::tcp::socket& socket,
                                                  peer who) {
    boost::beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::empty_body> head_parser;
        auto [hec, hn] = co_await http::async_read_header(stream, buffer, head_parser, use_nothrow);
        if (hec) co_return;
        if (const auto* take_over = stream_route(head_parser.get().target())) {
            auto head = head_of(head_parser.get(), who.verified, who.common_name, who.tls);
            std::string already(static_cast<const char*>(buffer.data().data()), buffer.size());
            // Exec and port-forward send small interactive frames: no Nagle delay.
            boost::system::error_code nodelay_ec;
            socket.set_option(asio::ip::tcp::no_delay(true), nodelay_ec);
            auto lent = std::make_unique<lent_stream<Stream>>(stream, socket);
            co_await (*take_over)(std::move(head), std::move(lent), std::move(already));
            co_return;
        }
        http::request_parser<http::string_body> parser(std::move(head_parser));
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_nothrow);
        if (ec) co_return;
        auto req = parser.release();
        http::response<http::string_body> res;
        res.version(req.version());
        res.keep_alive(req.keep_alive());
        res.set(http::field::server, server_header_);
        if (req.method() != http::verb::get && req.method() != http::verb::head) {
            res.result(http::status::method_not_allowed);
            res.body() = "method not allowed\n";
        } else {
            auto head = head_of(req, who.verified, who.common_name, who.tls);
            auto reply = co_await async_dispatch(std::move(head));
            if (reply) {
                res.result(reply->status);
                res.set(http::field::content_type, reply->content_type);
                res.body() = std::move(reply->body);
            } else {
                res.result(http::status::not_found);
                res.body() = "not found\n";
            }
        }
        res.prepare_payload();
        auto [wec, wn] = co_await http::async_write(stream, res, use_nothrow);
        if (wec || !res.keep_alive()) co_return;
    }
}

}  // namespace ghost::engine
