#pragma once
// The server side of one SPDY/3.1 connection as a state machine: bytes in -> events, calls ->
// bytes out (take_output()). Streams are opened by the peer (odd ids, increasing); we reply,
// send data, half-close and reset them. What it does as moby/spdystream does (the API server's
// client): PINGs from the peer are echoed; SETTINGS and WINDOW_UPDATE are accepted and ignored
// (spdystream never sends WINDOW_UPDATE, so honouring the 64 KiB window would stall us); a
// GOAWAY from the peer stops new streams. Protocol errors never throw: a stream-level one
// resets the stream, a connection-level one queues GOAWAY(PROTOCOL_ERROR) and reports failed.

#include "engine/spdy_frames.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ghost::engine::spdy {

struct stream_opened { std::uint32_t id; header_block headers; bool peer_closed; };
struct stream_data { std::uint32_t id; std::string bytes; };
struct stream_peer_closed { std::uint32_t id; };  // FIN from the peer: it sends no more
struct stream_reset { std::uint32_t id; std::uint32_t status; };
struct peer_went_away { std::uint32_t last_good_stream_id; std::uint32_t status; };
struct connection_failed { boost::system::error_code ec; };  // GOAWAY queued; close after output

using session_event = std::variant<stream_opened, stream_data, stream_peer_closed, stream_reset,
                                   peer_went_away, connection_failed>;

struct session_stats {
    std::uint64_t frames_in = 0, frames_out = 0, pings_answered = 0, resets_sent = 0,
                  ignored_frames = 0;
};

class server_session {
public:
    /// DATA frames we write are split at this size (spdystream reads any size up to 16 MiB).
    static constexpr std::size_t max_data_payload = 32 * 1024;

    explicit server_session(reader_limits limits = {});

    /// Parses what arrived and appends the resulting events (answers go to the output).
    void feed(std::string_view bytes, std::vector<session_event>& events);

    void reply(std::uint32_t id, header_block headers = {}, bool fin = false);
    /// Queues DATA; fin half-closes our side. Ignored on a stream we already closed or reset.
    void send_data(std::uint32_t id, std::string_view bytes, bool fin = false);
    void close_stream(std::uint32_t id) { send_data(id, {}, true); }
    void reset(std::uint32_t id, rst_status status);
    /// Stops accepting streams and tells the peer (once).
    void go_away(goaway_status status = goaway_status::ok);

    bool has_output() const { return !output_.empty(); }
    std::size_t output_size() const { return output_.size(); }
    std::string take_output();

    bool is_open(std::uint32_t id) const { return streams_.count(id) != 0; }
    std::size_t open_streams() const { return streams_.size(); }
    bool failed() const { return failed_; }
    bool peer_gone() const { return peer_gone_; }
    const session_stats& stats() const { return stats_; }

private:
    struct stream_state {
        bool replied = false;
        bool peer_closed = false;
        bool local_closed = false;
    };
    void handle(frame&& f, std::vector<session_event>& events);
    void peer_finished(std::uint32_t id, std::vector<session_event>& events);
    void forget_if_done(std::uint32_t id);
    void emit(const frame& f);
    void fail(boost::system::error_code ec, std::vector<session_event>& events);

    frame_reader reader_;
    frame_writer writer_;
    std::string output_;
    std::map<std::uint32_t, stream_state> streams_;
    std::uint32_t last_peer_stream_ = 0;
    bool went_away_ = false;
    bool peer_gone_ = false;
    bool failed_ = false;
    session_stats stats_;
};

}  // namespace ghost::engine::spdy
