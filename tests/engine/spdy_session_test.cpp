// The server-side SPDY session as a plain state machine: frames from a scripted client in,
// events and answer frames out. No sockets, no clock.
#include "engine/spdy_session.hpp"

#include <gtest/gtest.h>

namespace spdy = ghost::engine::spdy;

namespace {

// The peer: writes client frames with its own compression context, reads the server's output.
struct client {
    spdy::frame_writer writer;
    spdy::frame_reader reader;
    std::string send(std::initializer_list<spdy::frame> frames) {
        std::string out;
        for (const auto& f : frames) writer.write(f, out);
        return out;
    }
    std::vector<spdy::frame> receive(spdy::server_session& s) {
        reader.feed(s.take_output());
        std::vector<spdy::frame> out;
        for (;;) {
            auto f = reader.next();
            EXPECT_TRUE(f.has_value());
            if (!f || !*f) return out;
            out.push_back(std::move(**f));
        }
    }
};

std::vector<spdy::session_event> feed(spdy::server_session& s, const std::string& bytes) {
    std::vector<spdy::session_event> events;
    s.feed(bytes, events);
    return events;
}

}  // namespace

TEST(SpdySession, OpensRepliesAndExchangesData) {
    spdy::server_session s;
    client c;
    auto ev = feed(s, c.send({spdy::syn_stream{1, 0, 0, 0, {{"streamtype", "stdin"}}},
                              spdy::data{1, 0, "input"}, spdy::data{1, spdy::flag_fin, ""}}));
    ASSERT_EQ(ev.size(), 3u);
    auto& opened = std::get<spdy::stream_opened>(ev[0]);
    EXPECT_EQ(opened.id, 1u);
    EXPECT_EQ(spdy::header_value(opened.headers, "streamtype"), "stdin");
    EXPECT_EQ(std::get<spdy::stream_data>(ev[1]).bytes, "input");
    EXPECT_EQ(std::get<spdy::stream_peer_closed>(ev[2]).id, 1u);
    EXPECT_TRUE(s.is_open(1));  // we have not closed our side yet

    s.reply(1);
    s.send_data(1, "output");
    s.close_stream(1);
    EXPECT_FALSE(s.is_open(1));
    s.send_data(1, "late");  // ignored: the stream is gone
    auto out = c.receive(s);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(std::get<spdy::syn_reply>(out[0]).stream_id, 1u);
    EXPECT_EQ(std::get<spdy::data>(out[1]).payload, "output");
    EXPECT_EQ(std::get<spdy::data>(out[2]).flags, spdy::flag_fin);
}

TEST(SpdySession, LargeDataIsSplitIntoFrames) {
    spdy::server_session s;
    client c;
    feed(s, c.send({spdy::syn_stream{1, 0, 0, 0, {}}}));
    s.send_data(1, std::string(spdy::server_session::max_data_payload * 2 + 5, 'x'), true);
    auto out = c.receive(s);
    ASSERT_EQ(out.size(), 4u);  // implicit reply + 3 data frames
    EXPECT_TRUE(std::holds_alternative<spdy::syn_reply>(out[0]));
    EXPECT_EQ(std::get<spdy::data>(out[3]).payload.size(), 5u);
    EXPECT_EQ(std::get<spdy::data>(out[3]).flags, spdy::flag_fin);
    EXPECT_EQ(std::get<spdy::data>(out[1]).flags, 0);
}

TEST(SpdySession, AnswersClientPingsOnly) {
    spdy::server_session s;
    client c;
    auto ev = feed(s, c.send({spdy::ping{1}, spdy::ping{2}, spdy::ping{3}}));
    EXPECT_TRUE(ev.empty());
    auto out = c.receive(s);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(std::get<spdy::ping>(out[0]).id, 1u);
    EXPECT_EQ(std::get<spdy::ping>(out[1]).id, 3u);
    EXPECT_EQ(s.stats().pings_answered, 2u);
}

TEST(SpdySession, BadStreamIdsAreReset) {
    spdy::server_session s;
    client c;
    auto ev = feed(s, c.send({spdy::syn_stream{5, 0, 0, 0, {}}, spdy::syn_stream{3, 0, 0, 0, {}},
                              spdy::syn_stream{6, 0, 0, 0, {}}, spdy::data{9, 0, "x"}}));
    ASSERT_EQ(ev.size(), 1u);  // only stream 5
    auto out = c.receive(s);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(std::get<spdy::rst_stream>(out[0]).stream_id, 3u);
    EXPECT_EQ(std::get<spdy::rst_stream>(out[0]).status,
              static_cast<std::uint32_t>(spdy::rst_status::protocol_error));
    EXPECT_EQ(std::get<spdy::rst_stream>(out[1]).stream_id, 6u);
    EXPECT_EQ(std::get<spdy::rst_stream>(out[2]).status,
              static_cast<std::uint32_t>(spdy::rst_status::invalid_stream));
    EXPECT_FALSE(s.failed());
}

TEST(SpdySession, PeerResetAndGoAway) {
    spdy::server_session s;
    client c;
    auto ev = feed(s, c.send({spdy::syn_stream{1, 0, 0, 0, {}}, spdy::rst_stream{1, 5},
                              spdy::data{1, 0, "after reset"}, spdy::goaway{1, 0},
                              spdy::syn_stream{3, 0, 0, 0, {}}}));
    ASSERT_EQ(ev.size(), 3u);
    EXPECT_EQ(std::get<spdy::stream_reset>(ev[1]).status, 5u);
    EXPECT_EQ(std::get<spdy::peer_went_away>(ev[2]).last_good_stream_id, 1u);
    EXPECT_TRUE(s.peer_gone());
    auto out = c.receive(s);
    ASSERT_EQ(out.size(), 1u);  // stream 3 refused; the late data was dropped
    EXPECT_EQ(std::get<spdy::rst_stream>(out[0]).status,
              static_cast<std::uint32_t>(spdy::rst_status::refused_stream));
}

TEST(SpdySession, SettingsAndWindowUpdatesAreIgnored) {
    spdy::server_session s;
    client c;
    auto ev = feed(s, c.send({spdy::settings{0, {{0, 7, 1}}}, spdy::syn_stream{1, 0, 0, 0, {}},
                              spdy::window_update{1, 10}}));
    EXPECT_EQ(ev.size(), 1u);
    // No flow control: far more than the 64 KiB initial window goes out without updates.
    s.send_data(1, std::string(200000, 'a'));
    EXPECT_GT(s.output_size(), 200000u);
    EXPECT_EQ(s.stats().ignored_frames, 2u);
}

TEST(SpdySession, GarbageFailsTheConnectionWithGoAway) {
    spdy::server_session s;
    client c;
    static constexpr char raw[] =
        "\x80\x03\x00\x01\x00\x00\x00\x0c\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00zz";
    const std::string bad(raw, sizeof raw - 1);  // SYN_STREAM whose block is not zlib
    auto ev = feed(s, bad);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(std::get<spdy::connection_failed>(ev[0]).ec, spdy::errc::compression_error);
    EXPECT_TRUE(s.failed());
    auto out = c.receive(s);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(std::get<spdy::goaway>(out[0]).status,
              static_cast<std::uint32_t>(spdy::goaway_status::protocol_error));
    EXPECT_TRUE(feed(s, c.send({spdy::ping{1}})).empty());  // nothing more is read
}

TEST(SpdySession, OurGoAwayNamesTheLastStreamAndRefusesNewOnes) {
    spdy::server_session s;
    client c;
    feed(s, c.send({spdy::syn_stream{1, 0, 0, spdy::flag_fin, {}}}));
    s.go_away();
    s.go_away();  // once
    auto ev = feed(s, c.send({spdy::syn_stream{3, 0, 0, 0, {}}}));
    EXPECT_TRUE(ev.empty());
    auto out = c.receive(s);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(std::get<spdy::goaway>(out[0]).last_good_stream_id, 1u);
    EXPECT_TRUE(std::holds_alternative<spdy::rst_stream>(out[1]));
}
