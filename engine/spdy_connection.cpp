#include "engine/spdy_connection.hpp"

#include "engine/log.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

namespace ghost::engine::spdy {

namespace net = boost::asio;

net::awaitable<void> wake_signal::wait() {
    boost::system::error_code ec;
    co_await timer_.async_wait(net::redirect_error(net::use_awaitable, ec));
    // A notify and a cancellation both end the wait; only a cancellation (the losing side of
    // `a || b`) must end the waiting loop, else the group would wait for it forever.
    auto state = co_await net::this_coro::cancellation_state;
    if (state.cancelled() != net::cancellation_type::none)
        throw boost::system::system_error(net::error::operation_aborted);
}

net::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    net::steady_timer t(co_await net::this_coro::executor, d);
    boost::system::error_code ec;
    co_await t.async_wait(net::redirect_error(net::use_awaitable, ec));
}

connection::connection(std::unique_ptr<byte_stream> stream)
    : changed(stream->get_executor()), stream_(std::move(stream)) {}

inbound* connection::find(std::uint32_t id) {
    auto it = inbound_.find(id);
    return it == inbound_.end() ? nullptr : &it->second;
}

void connection::close() {
    if (!disconnected) {
        disconnected = true;
        changed.notify();
    }
    stream_->close();
}

net::awaitable<void> connection::write_raw(std::string bytes) {
    boost::system::error_code ec;
    co_await stream_->write(net::buffer(bytes), ec);
    if (ec) {
        disconnected = true;
        changed.notify();
    }
}

net::awaitable<void> connection::flush() {
    for (;;) {
        if (writing_) {
            co_await changed.wait();
            continue;
        }
        if (!session.has_output() || disconnected) co_return;
        writing_ = true;
        std::string out = session.take_output();
        boost::system::error_code ec;
        co_await stream_->write(net::buffer(out), ec);
        writing_ = false;
        if (ec) {
            GHOST_LOG_DEBUG("spdy: write failed: ", ec.message());
            disconnected = true;
            stream_->close();
        }
        changed.notify();
    }
}

void connection::dispatch(std::vector<session_event>& events) {
    for (auto& ev : events) {
        if (auto* opened = std::get_if<stream_opened>(&ev)) {
            if (on_open) on_open(*opened);
            if (opened->peer_closed)
                if (auto* q = find(opened->id)) q->closed = true;
        } else if (auto* d = std::get_if<stream_data>(&ev)) {
            if (auto* q = find(d->id)) q->bytes += d->bytes;
        } else if (auto* fin = std::get_if<stream_peer_closed>(&ev)) {
            if (auto* q = find(fin->id)) q->closed = true;
        } else if (auto* rst = std::get_if<stream_reset>(&ev)) {
            if (auto* q = find(rst->id)) q->closed = q->reset = true;
        } else if (auto* failed = std::get_if<connection_failed>(&ev)) {
            GHOST_LOG_WARN("spdy: closing the connection: ", failed->ec.message());
        }
    }
    if (!events.empty()) changed.notify();
}

net::awaitable<void> connection::read_loop(std::string already_read) {
    std::vector<session_event> events;
    if (!already_read.empty()) {
        session.feed(already_read, events);
        dispatch(events);
        co_await flush();
    }
    std::array<char, 16 * 1024> buf;
    while (!disconnected && !session.failed()) {
        boost::system::error_code ec;
        std::size_t n = co_await stream_->read_some(net::buffer(buf), ec);
        if (n > 0) {
            events.clear();
            session.feed(std::string_view(buf.data(), n), events);
            dispatch(events);
            co_await flush();
        }
        if (ec) break;
    }
    if (session.failed()) co_await flush();  // our GOAWAY(PROTOCOL_ERROR)
    close();
}

net::awaitable<void> connection::wait_disconnect() {
    while (!disconnected) co_await changed.wait();
}

net::awaitable<void> connection::linger(std::chrono::milliseconds grace) {
    using namespace boost::asio::experimental::awaitable_operators;
    co_await flush();
    if (!disconnected) co_await (wait_disconnect() || sleep_for(grace));
    close();
}

}  // namespace ghost::engine::spdy
