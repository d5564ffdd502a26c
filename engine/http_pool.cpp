#include "engine/http_pool.hpp"

#include "engine/log.hpp"
#include "engine/pool_state.hpp"
#include "engine/tls_context.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/assert.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include "engine/lean_tls_stream.hpp"
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <tuple>
#include <charconv>
#include <unordered_map>
#include <vector>
#include <variant>
#include <limits>
#include <optional>

namespace ghost::engine {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

struct connection {
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
    std::optional<lean_tls_stream> lean;  ///< streams (watches): TLS without idle buffers
    beast::flat_buffer buffer;
    pool_state::conn_id id = 0;

    beast::tcp_stream& lowest() {
        if (lean) return lean->next_layer();
        return tls ? beast::get_lowest_layer(*tls) : *plain;
    }
    SSL* ssl() { return lean ? lean->native_handle() : tls ? tls->native_handle() : nullptr; }
};

bool is_closed_error(const error_code& ec) {
    return ec == bhttp::error::end_of_stream || ec == net::error::eof ||
           ec == net::error::connection_reset || ec == net::error::broken_pipe ||
           ec == net::error::connection_aborted || ec == net::ssl::error::stream_truncated;
}

// Transport errors keep their own code except for the few the layers above branch on.
error_code map_error(const error_code& ec) {
    if (ec == beast::error::timeout)
        return errc::timeout;
    if (ec == net::error::operation_aborted)
        return errc::cancelled;
    if (is_closed_error(ec))
        return errc::connection_closed;
    return ec;
}

bool is_ip_literal(const std::string& host) {
    error_code ec;
    net::ip::make_address(host, ec);
    return !ec;
}

struct exchange_result {
    error_code ec;
    bool got_response_bytes = false;
    bool keep_alive = false;
    http_response resp;
};

template <class Fields>
void fill_head(http_response& out, const bhttp::response_header<Fields>& h) {
    out.status = h.result_int();
    if (auto it = h.find(bhttp::field::content_type); it != h.end())
        out.content_type = std::string(it->value());
    if (auto it = h.find(bhttp::field::retry_after); it != h.end())
        out.retry_after = parse_retry_after(it->value());
}

}  // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
        v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
        v.remove_suffix(1);
    std::int64_t secs = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
    if (v.empty() || ec != std::errc{} || p != v.data() + v.size() || secs < 0)
        return std::nullopt;
    return std::chrono::seconds(secs);
}

struct http_pool::impl {
    struct waiter;
    using conn_id = pool_state::conn_id;

    net::any_io_executor ex;
    endpoint ep;
    tls_options tls;
    pool_config cfg;
    std::shared_ptr<net::ssl::context> ssl_ctx;
    std::string host_header;
    std::string server_name;
    pool_state state;                                              // the policy
    std::unordered_map<conn_id, std::unique_ptr<connection>> idle;  // what state says is idle
    std::unordered_map<pool_state::waiter_id, waiter*> waiters;     // what state says is parked
    pool_stats st;

    // A parked request; release() hands it a connection or a slot, close() fails it.
    struct waiter {
        impl* owner;
        pool_state::waiter_id id;
        net::steady_timer timer;
        std::unique_ptr<connection> conn;   // handed over (a reuse)
        std::optional<conn_id> granted;     // a slot to open a connection in
        bool pool_closed = false;
        waiter(impl* o, pool_state::waiter_id i, clock::time_point deadline)
            : owner(o), id(i), timer(o->ex, deadline) {
            owner->waiters.emplace(id, this);
        }
        ~waiter() {
            owner->waiters.erase(id);
            owner->state.cancel_wait(id);   // no-op when a release already served it
        }
    };

    struct acquired {
        std::unique_ptr<connection> conn;   // null: a slot was reserved, caller connects
        conn_id id = 0;
        bool reused = false;
    };

    impl(net::any_io_executor e, endpoint p, tls_options t, pool_config c)
        : ex(std::move(e)), ep(std::move(p)), tls(std::move(t)), cfg(std::move(c)),
          state(pool_state::config{cfg.max_connections, cfg.idle_timeout}) {
        server_name = tls.server_name.empty() ? ep.host : tls.server_name;
        bool default_port = ep.port.empty() || (ep.tls && ep.port == "443") ||
                            (!ep.tls && ep.port == "80");
        std::string h = ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host;
        host_header = default_port ? h : h + ":" + ep.port;
        if (ep.tls) {
            auto ctx = make_client_tls_context(tls);
            if (!ctx)
                throw boost::system::system_error(ctx.error(), "http_pool TLS setup");
            ssl_ctx = std::move(*ctx);
        }
    }

    void close_idle(const std::vector<conn_id>& ids) {
        for (auto id : ids)
            idle.erase(id);
    }

    net::awaitable<result<acquired>> acquire(clock::time_point deadline, bool fresh) {
        if (fresh && !state.is_closed())
            close_idle(state.drop_idle());   // the idle set just proved stale
        std::vector<conn_id> expired;
        auto action = state.acquire(clock::now(), expired);
        close_idle(expired);
        if (std::holds_alternative<pool_state::closed>(action))
            co_return make_error_code(errc::pool_closed);
        if (auto* u = std::get_if<pool_state::use_idle>(&action)) {
            auto it = idle.find(u->conn);
            BOOST_ASSERT(it != idle.end());
            auto c = std::move(it->second);
            idle.erase(it);
            co_return acquired{std::move(c), u->conn, true};
        }
        if (auto* o = std::get_if<pool_state::open_new>(&action))
            co_return acquired{nullptr, o->conn, false};
        waiter w(this, std::get<pool_state::wait>(action).waiter, deadline);
        auto [ec] = co_await w.timer.async_wait(use_tuple);
        if (w.conn) {
            auto id = w.conn->id;
            co_return acquired{std::move(w.conn), id, true};
        }
        if (w.granted)
            co_return acquired{nullptr, *w.granted, false};
        if (w.pool_closed)
            co_return make_error_code(errc::pool_closed);
        if (!ec) {
            ++st.timeouts;
            co_return make_error_code(errc::timeout);
        }
        co_return make_error_code(errc::cancelled);
    }

    // Gives a connection back (reusable) or frees its slot (`c` may be null after a failed
    // connect); the state decides who gets it.
    void release(std::unique_ptr<connection> c, conn_id id, bool reusable) {
        auto action = state.release(id, reusable && c, clock::now());
        if (std::holds_alternative<pool_state::keep_idle>(action)) {
            idle.emplace(id, std::move(c));
        } else if (auto* h = std::get_if<pool_state::hand_over>(&action)) {
            waiter* w = waiters.at(h->waiter);
            w->conn = std::move(c);
            w->timer.cancel();
        } else if (auto* g = std::get_if<pool_state::grant_slot>(&action)) {
            c.reset();
            waiter* w = waiters.at(g->waiter);
            w->granted = g->conn;
            w->timer.cancel();
        }
        // close_conn: `c` is destroyed here
    }

    // `for_stream`: the connection carries one long stream (a watch) and is never pooled.
    net::awaitable<result<std::unique_ptr<connection>>> connect(clock::time_point deadline,
                                                                bool for_stream = false) {
        deadline = std::min(deadline, clock::now() + cfg.connect_timeout);
        tcp::resolver resolver(ex);
        auto [rec, results] = co_await resolver.async_resolve(ep.host, ep.port, use_tuple);
        if (rec) {
            ++st.connect_failures;
            co_return rec == net::error::operation_aborted ? error_code(errc::cancelled) : rec;
        }
        auto c = std::make_unique<connection>();
        if (ep.tls && for_stream)
            c->lean.emplace(ex, *ssl_ctx);
        else if (ep.tls)
            c->tls.emplace(ex, *ssl_ctx);
        else
            c->plain.emplace(ex);
        auto& low = c->lowest();
        low.expires_at(deadline);
        auto [cec, _] = co_await low.async_connect(results, use_tuple);
        if (cec) {
            ++st.connect_failures;
            co_return map_error(cec);
        }
        error_code ignored;
        low.socket().set_option(tcp::no_delay(true), ignored);
        if (c->tls || c->lean) {
            error_code hec;
            if (c->lean) {
                if (!tls.insecure_skip_verify) c->lean->verify_server(server_name);
                std::tie(hec) = co_await c->lean->async_handshake(use_tuple);
            } else {
                if (!is_ip_literal(server_name))
                    SSL_set_tlsext_host_name(c->tls->native_handle(), server_name.c_str());
                if (!tls.insecure_skip_verify) {
                    c->tls->set_verify_mode(net::ssl::verify_peer);
                    c->tls->set_verify_callback(net::ssl::host_name_verification(server_name));
                }
                std::tie(hec) =
                    co_await c->tls->async_handshake(net::ssl::stream_base::client, use_tuple);
            }
            if (hec) {
                ++st.connect_failures;
                // An untrusted certificate is a configuration error, never transient: say so.
                long verify = SSL_get_verify_result(c->ssl());
                if (!tls.insecure_skip_verify && verify != X509_V_OK) {
                    GHOST_LOG_ERROR("TLS to ", ep.host, ":", ep.port, ": server certificate not "
                                    "trusted (", X509_verify_cert_error_string(verify),
                                    "); check the kubeconfig's certificate-authority");
                } else {
                    GHOST_LOG_DEBUG("TLS handshake with ", ep.host, ":", ep.port, " failed: ",
                                    hec.message());
                }
                co_return hec == beast::error::timeout ? error_code(errc::timeout)
                                                       : error_code(errc::tls_error);
            }
        }
        low.expires_never();
        ++st.connections_opened;
        co_return std::move(c);
    }

    // The request head as one string; the body goes out from the caller's buffer as it is.
    // (Beast's serializer cost ~9 % of a stage transition and copied the body once more.)
    std::string head_of(const http_request& req) const {
        auto overridden = [&](std::string_view name) {
            return std::any_of(req.headers.begin(), req.headers.end(), [&](const auto& h) {
                return beast::iequals(h.first, name);
            });
        };
        std::string h;
        h.reserve(256 + req.target.size());
        h.append(bhttp::to_string(req.method)).append(" ").append(req.target);
        h.append(" HTTP/1.1\r\n");
        auto field = [&h](std::string_view k, std::string_view v) {
            h.append(k).append(": ").append(v).append("\r\n");
        };
        // A request's own Host (a virtual host, a proxy's name) replaces the endpoint's.
        if (!overridden("Host")) field("Host", host_header);
        if (!cfg.user_agent.empty() && !overridden("User-Agent")) field("User-Agent", cfg.user_agent);
        for (auto& [k, v] : cfg.default_headers)
            if (!overridden(k)) field(k, v);
        for (auto& [k, v] : req.headers) field(k, v);
        if (!req.content_type.empty()) field("Content-Type", req.content_type);
        // As Beast's prepare_payload: no length on a body-less GET/HEAD/DELETE...
        bool no_body_method = req.method == bhttp::verb::get || req.method == bhttp::verb::head ||
                              req.method == bhttp::verb::delete_ ||
                              req.method == bhttp::verb::options ||
                              req.method == bhttp::verb::trace || req.method == bhttp::verb::connect;
        if (!req.body.empty() || !no_body_method) {
            char digits[24];
            auto [end, ec] = std::to_chars(digits, digits + sizeof digits, req.body.size());
            field("Content-Length", std::string_view(digits, static_cast<std::size_t>(end - digits)));
        }
        h.append("\r\n");
        return h;
    }

    static net::awaitable<bool> cancellation_requested() {
        auto cs = co_await net::this_coro::cancellation_state;
        co_return cs.cancelled() != net::cancellation_type::none;
    }

    // Requests and watches alike: the head, then the body straight from the request.
    template <class Stream>
    net::awaitable<error_code> write_request(Stream& s, const http_request& req) const {
        const std::string head = head_of(req);
        const std::array<net::const_buffer, 2> out{net::buffer(head), net::buffer(req.body)};
        auto [ec, n] = co_await net::async_write(s, out, use_tuple);
        co_return ec;
    }

    template <class Stream>
    net::awaitable<exchange_result> exchange(Stream& s, connection& c, http_request& req,
                                             clock::time_point deadline) {
        exchange_result r;
        c.lowest().expires_at(deadline);
        auto wec = co_await write_request(s, req);
        if (wec) {
            r.ec = wec;
            co_return r;
        }
        // A cancellation emitted while the write's completion was queued only marked the
        // state: the read would start uncancelled and wait for an answer (stop()'s deadline
        // on a request the server holds). Look before reading.
        if (co_await cancellation_requested()) {
            r.ec = net::error::operation_aborted;
            co_return r;
        }
        bhttp::response_parser<bhttp::string_body> p;
        p.body_limit(std::numeric_limits<std::uint64_t>::max());
        auto [rec, rn] = co_await bhttp::async_read(s, c.buffer, p, use_tuple);
        r.got_response_bytes = p.got_some() || rn > 0;
        if (rec) {
            r.ec = rec;
            co_return r;
        }
        auto& res = p.get();
        fill_head(r.resp, res.base());
        r.resp.body = std::move(res.body());
        r.keep_alive = res.keep_alive() && p.is_done();
        c.lowest().expires_never();
        co_return r;
    }

    net::awaitable<result<http_response>> request(http_request req,
                                                  std::chrono::milliseconds timeout) {
        const auto deadline = clock::now() + timeout;
        bool retried = false;
        for (;;) {
            auto acq = co_await acquire(deadline, retried);
            if (!acq)
                co_return acq.error();
            auto conn = std::move(acq->conn);
            const auto id = acq->id;
            const bool reused = acq->reused;
            if (!conn) {
                auto c = co_await connect(deadline);
                if (!c) {
                    release(nullptr, id, false);
                    co_return c.error();
                }
                conn = std::move(*c);
                conn->id = id;
            }
            if (co_await cancellation_requested()) {  // as in exchange: before the write
                release(std::move(conn), id, true);
                co_return make_error_code(errc::cancelled);
            }
            if (reused)
                ++st.reuses;
            ++st.requests_sent;
            // (no co_await inside ?: — GCC 12 miscompiles it)
            exchange_result r;
            if (conn->tls)
                r = co_await exchange(*conn->tls, *conn, req, deadline);
            else
                r = co_await exchange(*conn->plain, *conn, req, deadline);
            if (!r.ec) {
                release(std::move(conn), id, r.keep_alive);
                co_return std::move(r.resp);
            }
            conn.reset();
            release(nullptr, id, false);
            if (pool_state::should_retry(reused, retried, r.got_response_bytes,
                                         is_closed_error(r.ec))) {
                // The server closed an idle keep-alive connection under us: nothing of this
                // request was answered, so one retry on a fresh connection is safe enough.
                retried = true;
                ++st.retries;
                GHOST_LOG_DEBUG("idle connection to ", ep.host, " was closed, retrying ",
                                req.target);
                continue;
            }
            if (r.ec == beast::error::timeout)
                ++st.timeouts;
            co_return map_error(r.ec);
        }
    }

    template <class Stream>
    net::awaitable<result<unsigned>> stream_on(Stream& s, connection& c, http_request& req,
                                               data_handler& on_data, head_handler& on_head) {
        auto& low = c.lowest();
        low.expires_after(cfg.request_timeout);
        auto wec = co_await write_request(s, req);
        if (wec)
            co_return map_error(wec);
        bhttp::response_parser<bhttp::buffer_body> p;
        p.body_limit(std::numeric_limits<std::uint64_t>::max());
        auto [hec, hn] = co_await bhttp::async_read_header(s, c.buffer, p, use_tuple);
        if (hec)
            co_return map_error(hec);
        http_response head;
        fill_head(head, p.get().base());
        if (on_head)
            on_head(head);
        if (cfg.stream_idle_timeout.count() == 0)
            low.expires_never();
        // On the heap at the configured size (a watch waits here for its whole life).
        std::vector<char> buffer(std::max<std::size_t>(cfg.stream_read_size, 512));
        char* data = buffer.data();
        const std::size_t data_size = buffer.size();
        auto cs = co_await net::this_coro::cancellation_state;
        while (!p.is_done()) {
            // A cancellation emitted after one read completed but before this coroutine resumed
            // only marks the state: the next read would start uncancelled and wait for data that
            // may never come (a quiet watch), so look before every read.
            if (cs.cancelled() != net::cancellation_type::none)
                co_return make_error_code(errc::cancelled);
            p.get().body().data = data;
            p.get().body().size = data_size;
            if (cfg.stream_idle_timeout.count() > 0)
                low.expires_after(cfg.stream_idle_timeout);
            auto [ec, n] = co_await bhttp::async_read_some(s, c.buffer, p, use_tuple);
            if (ec == bhttp::error::need_buffer)
                ec = {};
            std::size_t got = data_size - p.get().body().size;
            if (got > 0 && on_data)
                on_data(std::string_view(data, got));
            if (ec)
                co_return map_error(ec);
        }
        co_return head.status;
    }

    net::awaitable<result<unsigned>> stream(http_request req, data_handler on_data,
                                            head_handler on_head) {
        if (state.is_closed())
            co_return make_error_code(errc::pool_closed);
        auto c = co_await connect(clock::now() + cfg.connect_timeout, true);
        if (!c)
            co_return c.error();
        ++st.streams_opened;
        auto& conn = **c;
        if (conn.lean)
            co_return co_await stream_on(*conn.lean, conn, req, on_data, on_head);
        if (conn.tls)
            co_return co_await stream_on(*conn.tls, conn, req, on_data, on_head);
        co_return co_await stream_on(*conn.plain, conn, req, on_data, on_head);
    }

    void close() {
        if (state.is_closed())
            return;
        auto r = state.close();
        close_idle(r.idle);
        for (auto id : r.waiters) {
            waiter* w = waiters.at(id);
            w->pool_closed = true;
            w->timer.cancel();
        }
    }
};

http_pool::http_pool(net::any_io_executor ex, endpoint ep, tls_options tls, pool_config cfg)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(ep), std::move(tls), std::move(cfg))) {}

http_pool::~http_pool() = default;

net::awaitable<result<http_response>> http_pool::async_request(http_request req) {
    return impl_->request(std::move(req), impl_->cfg.request_timeout);
}

net::awaitable<result<http_response>> http_pool::async_request(http_request req,
                                                               std::chrono::milliseconds timeout) {
    return impl_->request(std::move(req), timeout);
}

net::awaitable<result<unsigned>> http_pool::async_stream(http_request req, data_handler on_data,
                                                         head_handler on_head) {
    return impl_->stream(std::move(req), std::move(on_data), std::move(on_head));
}

void http_pool::close() { impl_->close(); }

pool_stats http_pool::stats() const {
    pool_stats s = impl_->st;
    s.open_connections = impl_->state.open();
    s.idle_connections = impl_->state.idle();
    s.waiters = impl_->state.waiters();
    return s;
}

const endpoint& http_pool::target() const noexcept { return impl_->ep; }

net::any_io_executor http_pool::get_executor() const noexcept { return impl_->ex; }

}  // namespace ghost::engine
