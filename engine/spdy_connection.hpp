#pragma once
// The coroutine side of one server SPDY/3.1 connection over a byte_stream: a read loop feeding
// spdy::server_session, one writer at a time flushing its output, per-stream queues of what the
// client sent, and pumps between SPDY streams and Asio streams (sockets, pipes, a pty).
// Single-threaded: every coroutine here runs on the stream's executor. Coroutines wait on one
// `changed` signal and re-check their condition (data, closes, resets, disconnect, writes done).

#include "engine/byte_stream.hpp"
#include "engine/spdy_session.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace ghost::engine::spdy {

/// Wakes every coroutine waiting on it. A notify with nobody waiting is not kept: waiters check
/// their condition first (no suspension between the check and the wait on one thread).
class wake_signal {
public:
    explicit wake_signal(boost::asio::any_io_executor ex)
        : timer_(ex, boost::asio::steady_timer::time_point::max()) {}
    void notify() { timer_.cancel(); }
    /// Returns after a notify(); throws operation_aborted when the coroutine was cancelled.
    boost::asio::awaitable<void> wait();

private:
    boost::asio::steady_timer timer_;
};

/// What the client sent on one stream, not yet consumed.
struct inbound {
    std::string bytes;
    bool closed = false;  ///< FIN (or reset): nothing more will come
    bool reset = false;
};

class connection {
public:
    explicit connection(std::unique_ptr<byte_stream> stream);

    server_session session;
    wake_signal changed;
    bool disconnected = false;  ///< the client closed, a read or write failed, or we closed
    /// New streams: the flow replies, resets, or registers an inbound queue (accept()).
    std::function<void(stream_opened&)> on_open;

    /// Queues what the client sends on `id` (data sent before accept() is dropped).
    inbound& accept(std::uint32_t id) { return inbound_[id]; }
    inbound* find(std::uint32_t id);

    /// Writes bytes outside SPDY (the 101 reply or an HTTP error) before the session starts.
    boost::asio::awaitable<void> write_raw(std::string bytes);
    /// Reads until the client goes (or the session fails), dispatching events and flushing
    /// answers; `already_read` is what the HTTP server read past the request head.
    boost::asio::awaitable<void> read_loop(std::string already_read);
    /// Writes the session's output; returns once it is written (or the connection broke).
    boost::asio::awaitable<void> flush();
    /// Waits until disconnected.
    boost::asio::awaitable<void> wait_disconnect();
    /// After our GOAWAY: lets the client close first (so nothing it has not read is lost to a
    /// reset), closing ourselves after `grace`.
    boost::asio::awaitable<void> linger(std::chrono::milliseconds grace);
    void close();
    boost::asio::any_io_executor get_executor() { return stream_->get_executor(); }

private:
    void dispatch(std::vector<session_event>& events);
    std::unique_ptr<byte_stream> stream_;
    std::map<std::uint32_t, inbound> inbound_;
    bool writing_ = false;
};

/// Sleeps on the executor.
boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d);

/// Copies `source` (an Asio read stream) into SPDY stream `id` until end of file or an error
/// (a pty's EIO included), then half-closes the stream. Each chunk is flushed before the next
/// read, so a slow client slows the source.
template <class Source>
boost::asio::awaitable<void> pump_to_stream(connection& c, Source& source, std::uint32_t id) {
    namespace net = boost::asio;
    std::array<char, 16 * 1024> buf;
    for (;;) {
        boost::system::error_code ec;
        std::size_t n = co_await source.async_read_some(
            net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
        if (n > 0) {
            c.session.send_data(id, std::string_view(buf.data(), n));
            co_await c.flush();
        }
        if (ec || c.disconnected) break;
    }
    c.session.close_stream(id);
    co_await c.flush();
}

/// Copies what the client sends on `id` into `sink` until the client half-closes or resets
/// the stream, the connection goes, or `stop()` holds.
template <class Sink, class Stop>
boost::asio::awaitable<void> pump_from_stream(connection& c, Sink& sink, std::uint32_t id,
                                              Stop stop) {
    namespace net = boost::asio;
    inbound* q = c.find(id);
    if (q == nullptr) co_return;
    for (;;) {
        if (!q->bytes.empty()) {
            std::string chunk;
            chunk.swap(q->bytes);
            boost::system::error_code ec;
            co_await net::async_write(sink, net::buffer(chunk),
                                      net::redirect_error(net::use_awaitable, ec));
            if (ec) co_return;
            continue;
        }
        if (q->closed || c.disconnected || stop()) co_return;
        co_await c.changed.wait();
    }
}

}  // namespace ghost::engine::spdy
