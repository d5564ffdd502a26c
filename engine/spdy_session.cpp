#include "engine/spdy_session.hpp"

#include <algorithm>

namespace ghost::engine::spdy {

server_session::server_session(reader_limits limits) : reader_(limits) {}

std::string server_session::take_output() {
    std::string out;
    out.swap(output_);
    return out;
}

void server_session::emit(const frame& f) {
    writer_.write(f, output_);
    ++stats_.frames_out;
}

void server_session::fail(boost::system::error_code ec, std::vector<session_event>& events) {
    if (failed_) return;
    failed_ = true;
    go_away(goaway_status::protocol_error);
    events.push_back(connection_failed{ec});
}

void server_session::feed(std::string_view bytes, std::vector<session_event>& events) {
    if (failed_) return;
    reader_.feed(bytes);
    for (;;) {
        auto next = reader_.next();
        if (!next) {
            // A frame of another version without a header block is skipped; the rest is the
            // peer breaking the protocol (spdystream drops the connection on those too).
            if (next.error() == errc::unsupported_version && !reader_.fatal()) {
                ++stats_.ignored_frames;
                continue;
            }
            fail(next.error(), events);
            return;
        }
        if (!*next) return;
        ++stats_.frames_in;
        handle(std::move(**next), events);
        if (failed_) return;
    }
}

void server_session::handle(frame&& f, std::vector<session_event>& events) {
    if (auto* s = std::get_if<syn_stream>(&f)) {
        const std::uint32_t id = s->stream_id;
        if (id % 2 == 0 || id <= last_peer_stream_) {
            emit(rst_stream{id, static_cast<std::uint32_t>(rst_status::protocol_error)});
            ++stats_.resets_sent;
            return;
        }
        last_peer_stream_ = id;
        if (went_away_ || peer_gone_) {
            emit(rst_stream{id, static_cast<std::uint32_t>(rst_status::refused_stream)});
            ++stats_.resets_sent;
            return;
        }
        const bool fin = (s->flags & flag_fin) != 0;
        streams_[id] = stream_state{false, fin, (s->flags & flag_unidirectional) != 0};
        events.push_back(stream_opened{id, std::move(s->headers), fin});
    } else if (auto* d = std::get_if<data>(&f)) {
        auto it = streams_.find(d->stream_id);
        if (it == streams_.end()) {
            // Never opened: the spec's INVALID_STREAM. Late data for a stream we closed or
            // reset is dropped quietly.
            if (d->stream_id > last_peer_stream_) {
                emit(rst_stream{d->stream_id,
                                static_cast<std::uint32_t>(rst_status::invalid_stream)});
                ++stats_.resets_sent;
            } else {
                ++stats_.ignored_frames;
            }
            return;
        }
        if (it->second.peer_closed) {
            ++stats_.ignored_frames;
            return;
        }
        if (!d->payload.empty()) events.push_back(stream_data{d->stream_id, std::move(d->payload)});
        if (d->flags & flag_fin) peer_finished(d->stream_id, events);
    } else if (auto* h = std::get_if<headers>(&f)) {
        auto it = streams_.find(h->stream_id);
        if (it != streams_.end() && !it->second.peer_closed && (h->flags & flag_fin))
            peer_finished(h->stream_id, events);
    } else if (auto* r = std::get_if<rst_stream>(&f)) {
        if (streams_.erase(r->stream_id) != 0)
            events.push_back(stream_reset{r->stream_id, r->status});
    } else if (auto* p = std::get_if<ping>(&f)) {
        // Odd ids come from the client; even ones would answer pings we never send.
        if (p->id % 2 == 1) {
            emit(*p);
            ++stats_.pings_answered;
        } else {
            ++stats_.ignored_frames;
        }
    } else if (auto* g = std::get_if<goaway>(&f)) {
        if (!peer_gone_) {
            peer_gone_ = true;
            events.push_back(peer_went_away{g->last_good_stream_id, g->status});
        }
    } else {
        // SYN_REPLY (we open no streams), SETTINGS, WINDOW_UPDATE (no flow control, as
        // spdystream), unknown control types.
        ++stats_.ignored_frames;
    }
}

void server_session::peer_finished(std::uint32_t id, std::vector<session_event>& events) {
    streams_[id].peer_closed = true;
    events.push_back(stream_peer_closed{id});
    forget_if_done(id);
}

void server_session::forget_if_done(std::uint32_t id) {
    auto it = streams_.find(id);
    if (it != streams_.end() && it->second.peer_closed && it->second.local_closed)
        streams_.erase(it);
}

void server_session::reply(std::uint32_t id, header_block headers, bool fin) {
    auto it = streams_.find(id);
    if (it == streams_.end() || it->second.replied) return;
    it->second.replied = true;
    emit(syn_reply{id, static_cast<std::uint8_t>(fin ? flag_fin : 0), std::move(headers)});
    if (fin) {
        it->second.local_closed = true;
        forget_if_done(id);
    }
}

void server_session::send_data(std::uint32_t id, std::string_view bytes, bool fin) {
    auto it = streams_.find(id);
    if (it == streams_.end() || it->second.local_closed || (bytes.empty() && !fin)) return;
    if (!it->second.replied) reply(id);
    do {
        const std::size_t n = std::min(bytes.size(), max_data_payload);
        const bool last = n == bytes.size();
        emit(data{id, static_cast<std::uint8_t>(fin && last ? flag_fin : 0),
                  std::string(bytes.substr(0, n))});
        bytes.remove_prefix(n);
    } while (!bytes.empty());
    if (fin) {
        it->second.local_closed = true;
        forget_if_done(id);
    }
}

void server_session::reset(std::uint32_t id, rst_status status) {
    if (streams_.erase(id) == 0) return;
    emit(rst_stream{id, static_cast<std::uint32_t>(status)});
    ++stats_.resets_sent;
}

void server_session::go_away(goaway_status status) {
    if (went_away_) return;
    went_away_ = true;
    emit(goaway{last_peer_stream_, static_cast<std::uint32_t>(status)});
}

}  // namespace ghost::engine::spdy
