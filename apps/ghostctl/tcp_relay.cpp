#include "apps/ghostctl/tcp_relay.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <set>
#include <sstream>

namespace ghost::ghostctl {
namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

struct relayed_pair {
    tcp::socket client;
    tcp::socket target;
    void close() {
        boost::system::error_code ec;
        client.close(ec);
        target.close(ec);
    }
};

std::string describe(const tcp::endpoint& e) {
    std::ostringstream os;
    os << e;
    return os.str();
}

}  // namespace

struct tcp_relay::state {
    state(asio::any_io_executor ex, tcp::endpoint t, std::function<void(const std::string&)> w)
        : acceptor(ex), target(t), warn(std::move(w)), idle(ex) {}
    tcp::acceptor acceptor;
    tcp::endpoint target;
    std::function<void(const std::string&)> warn;
    asio::steady_timer idle;  // run() waits here for the last pair once the listener closed
    std::set<relayed_pair*> pairs;
    relay_stats stats;
    bool stopped = false;

    void warning(const std::string& line) {
        if (warn) warn(line);
    }
};

namespace {

// One direction: what `from` sends goes to `to`; its end of file becomes a half-close of `to`.
// A failure either way closes the pair, which ends the other direction too.
asio::awaitable<void> pump(relayed_pair& p, tcp::socket& from, tcp::socket& to,
                           std::uint64_t& counter) {
    std::array<char, 16 * 1024> buf;
    for (;;) {
        auto [rec, n] = co_await from.async_read_some(asio::buffer(buf), use_nothrow);
        if (n > 0) {
            auto [wec, written] = co_await asio::async_write(to, asio::buffer(buf.data(), n),
                                                             use_nothrow);
            counter += written;
            if (wec) break;
        }
        if (rec == asio::error::eof) {
            boost::system::error_code ec;
            to.shutdown(tcp::socket::shutdown_send, ec);
            co_return;
        }
        if (rec) break;
    }
    p.close();
}

}  // namespace

asio::awaitable<void> tcp_relay::relay_one(std::shared_ptr<state> s, tcp::socket client) {
    relayed_pair p{std::move(client), tcp::socket(s->acceptor.get_executor())};
    s->pairs.insert(&p);
    struct unregister {
        state& s;
        relayed_pair* p;
        ~unregister() { s.pairs.erase(p); }
    } guard{*s, &p};
    if (s->stopped) co_return;  // stop() ran before this pair started
    auto [ec] = co_await p.target.async_connect(s->target, use_nothrow);
    if (ec) {
        if (!s->stopped) {
            ++s->stats.connect_failures;
            s->warning("connecting to " + describe(s->target) + ": " + ec.message());
        }
        p.close();
        co_return;
    }
    // Interactive protocols (a shell, a watch) must not wait for Nagle's delay.
    boost::system::error_code ignored;
    p.client.set_option(tcp::no_delay(true), ignored);
    p.target.set_option(tcp::no_delay(true), ignored);
    co_await (pump(p, p.client, p.target, s->stats.bytes_to_target) &&
              pump(p, p.target, p.client, s->stats.bytes_to_client));
    p.close();
}

tcp_relay::tcp_relay(asio::any_io_executor ex, tcp::endpoint local, tcp::endpoint target,
                     std::function<void(const std::string&)> on_warning)
    : state_(std::make_shared<state>(ex, target, std::move(on_warning))) {
    auto& a = state_->acceptor;
    a.open(local.protocol());
    a.set_option(asio::socket_base::reuse_address(true));
    a.bind(local);
    a.listen();
}

tcp_relay::~tcp_relay() { stop(); }

tcp::endpoint tcp_relay::local_endpoint() const { return state_->acceptor.local_endpoint(); }

relay_stats tcp_relay::stats() const { return state_->stats; }

void tcp_relay::stop() {
    auto& s = *state_;
    s.stopped = true;
    boost::system::error_code ec;
    s.acceptor.close(ec);
    for (auto* p : s.pairs) p->close();
    s.idle.cancel();
}

asio::awaitable<void> tcp_relay::run() {
    auto s = state_;  // the coroutines share the state, so it outlives them
    auto ex = s->acceptor.get_executor();
    while (!s->stopped) {
        auto [ec, socket] = co_await s->acceptor.async_accept(use_nothrow);
        if (s->stopped) break;
        if (ec) {
            // EMFILE and the like: say so and retry shortly rather than spin.
            s->warning("accepting a connection: " + ec.message());
            asio::steady_timer pause(ex, std::chrono::milliseconds(100));
            co_await pause.async_wait(use_nothrow);
            continue;
        }
        ++s->stats.accepted;
        ++s->stats.open;
        asio::co_spawn(ex, relay_one(s, std::move(socket)), [s](std::exception_ptr e) {
            --s->stats.open;
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& x) {
                    s->warning(std::string("relay: ") + x.what());
                }
            }
            if (s->stats.open == 0) s->idle.cancel();
        });
    }
    while (s->stats.open > 0) {
        s->idle.expires_at(asio::steady_timer::time_point::max());
        co_await s->idle.async_wait(use_nothrow);
    }
}

}  // namespace ghost::ghostctl
