// SPDY/3.1 framing: hand-built frames, frames as moby/spdystream writes them, a round trip
// through our writer, and malformed input (error codes, never an abort).
#include "engine/spdy_frames.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace spdy = ghost::engine::spdy;

namespace {

std::string from_hex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    return out;
}

std::string be32(std::uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
            static_cast<char>(v)};
}

std::string control(std::uint16_t type, std::uint8_t flags, std::string_view payload,
                    std::uint16_t ver = 3) {
    return be32(0x80000000u | std::uint32_t{ver} << 16 | type) +
           be32(std::uint32_t{flags} << 24 | static_cast<std::uint32_t>(payload.size())) +
           std::string(payload);
}

// A header block compressed by zlib directly (not by our writer), as a peer would.
std::string peer_block(const std::vector<std::pair<std::string, std::string>>& headers,
                       z_stream& z) {
    std::string plain = be32(static_cast<std::uint32_t>(headers.size()));
    for (const auto& [n, v] : headers) plain += be32(n.size()) + n + be32(v.size()) + v;
    std::string out(plain.size() + 256, '\0');
    z.next_in = reinterpret_cast<Bytef*>(plain.data());
    z.avail_in = static_cast<uInt>(plain.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&z, Z_SYNC_FLUSH), Z_OK);
    out.resize(out.size() - z.avail_out);
    return out;
}

struct peer_deflater {
    z_stream z{};
    peer_deflater() {
        deflateInit(&z, Z_BEST_COMPRESSION);
        auto d = spdy::header_dictionary();
        deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(d.data()), d.size());
    }
    ~peer_deflater() { deflateEnd(&z); }
};

template <class T>
T expect_frame(spdy::frame_reader& r) {
    auto f = r.next();
    EXPECT_TRUE(f.has_value()) << (f ? "" : f.error().message());
    if (!f || !*f) {
        ADD_FAILURE() << "no frame";
        return {};
    }
    EXPECT_TRUE(std::holds_alternative<T>(**f)) << "frame index " << (*f)->index();
    return std::holds_alternative<T>(**f) ? std::get<T>(**f) : T{};
}

}  // namespace

TEST(SpdyFrames, DictionaryIsTheSpecsBytes) {
    auto d = spdy::header_dictionary();
    EXPECT_EQ(d.size(), 1423u);
    // The dictionary id every SPDY/3 peer's zlib stream names (spdystream's too, see below).
    EXPECT_EQ(adler32(1, reinterpret_cast<const Bytef*>(d.data()), d.size()), 0xe3c6a7c2u);
}

TEST(SpdyFrames, ReadsSynStreamsAsSpdystreamWritesThem) {
    // Two SYN_STREAMs written by moby/spdystream v0.5.1's Framer (one zlib context), captured
    // once: streamType=error on stream 1, then streamType=stdout on stream 3 with FIN.
    const std::string wire = from_hex(
        "80030001000000290000000100000000000078f9e3c6a7c26260606004a7b392a2d4c45c6851c29a0a0a6800"
        "000000ffff800300010100001900000003000000000000c22ac5565c92925f5a02000000ffff");
    spdy::frame_reader r;
    for (char c : wire) r.feed(std::string_view(&c, 1));  // byte by byte
    auto first = expect_frame<spdy::syn_stream>(r);
    EXPECT_EQ(first.stream_id, 1u);
    EXPECT_EQ(first.flags, 0);
    EXPECT_EQ(spdy::header_value(first.headers, "streamtype"), "error");
    auto second = expect_frame<spdy::syn_stream>(r);
    EXPECT_EQ(second.stream_id, 3u);
    EXPECT_EQ(second.flags, spdy::flag_fin);
    EXPECT_EQ(spdy::header_value(second.headers, "streamtype"), "stdout");
    auto none = r.next();
    ASSERT_TRUE(none.has_value());
    EXPECT_FALSE(none->has_value());
}

TEST(SpdyFrames, ReadsHandBuiltControlAndDataFrames) {
    peer_deflater z;
    std::string wire;
    wire += control(1, 0, be32(5) + be32(0) + std::string{'\x60', '\0'} +
                              peer_block({{"streamtype", "data"}, {"port", "8080"},
                                          {"multi", std::string("a\0b", 3)}},
                                         z.z));
    wire += control(6, 0, be32(7));                                  // PING 7
    wire += control(3, 0, be32(5) + be32(5));                        // RST 5 CANCEL
    wire += control(4, 0, be32(1) + be32(0x01000007) + be32(65536));  // SETTINGS
    wire += control(9, 0, be32(5) + be32(1000));                     // WINDOW_UPDATE
    wire += control(7, 0, be32(5) + be32(0));                        // GOAWAY OK
    wire += be32(5) + be32(0x01000003) + "abc";                     // DATA FIN "abc"
    wire += control(0x0a, 0, "xyz");                                 // unknown type 10

    spdy::frame_reader r;
    r.feed(wire);
    auto s = expect_frame<spdy::syn_stream>(r);
    EXPECT_EQ(s.stream_id, 5u);
    EXPECT_EQ(s.priority, 3);
    EXPECT_EQ(spdy::header_value(s.headers, "port"), "8080");
    EXPECT_EQ(spdy::header_value(s.headers, "multi"), "a");
    EXPECT_EQ(expect_frame<spdy::ping>(r).id, 7u);
    auto rst = expect_frame<spdy::rst_stream>(r);
    EXPECT_EQ(rst.stream_id, 5u);
    EXPECT_EQ(rst.status, static_cast<std::uint32_t>(spdy::rst_status::cancel));
    auto set = expect_frame<spdy::settings>(r);
    ASSERT_EQ(set.entries.size(), 1u);
    EXPECT_EQ(set.entries[0].flags, 1);
    EXPECT_EQ(set.entries[0].id, 7u);
    EXPECT_EQ(set.entries[0].value, 65536u);
    auto wu = expect_frame<spdy::window_update>(r);
    EXPECT_EQ(wu.delta, 1000u);
    EXPECT_EQ(expect_frame<spdy::goaway>(r).last_good_stream_id, 5u);
    auto d = expect_frame<spdy::data>(r);
    EXPECT_EQ(d.stream_id, 5u);
    EXPECT_EQ(d.flags, spdy::flag_fin);
    EXPECT_EQ(d.payload, "abc");
    EXPECT_EQ(expect_frame<spdy::unknown_control>(r).type, 0x0a);
}

TEST(SpdyFrames, WriterRoundTripsEveryFrameType) {
    spdy::frame_writer w;
    std::string wire;
    std::vector<spdy::frame> sent = {
        spdy::syn_stream{1, 0, 2, spdy::flag_fin, {{"streamtype", "stdin"}}},
        spdy::syn_reply{1, 0, {}},
        spdy::syn_reply{3, spdy::flag_fin, {{"x", "y"}}},
        spdy::headers{3, 0, {{"a", "b"}}},
        spdy::rst_stream{3, 2},
        spdy::settings{0, {{0, 4, 100}, {1, 7, 1 << 20}}},
        spdy::ping{2},
        spdy::goaway{9, 1},
        spdy::window_update{1, 12345},
        spdy::data{1, 0, std::string(70000, 'z')},
    };
    for (const auto& f : sent) w.write(f, wire);
    spdy::frame_reader r;
    r.feed(wire);
    EXPECT_EQ(spdy::header_value(expect_frame<spdy::syn_stream>(r).headers, "streamtype"),
              "stdin");
    EXPECT_TRUE(expect_frame<spdy::syn_reply>(r).headers.empty());
    auto reply = expect_frame<spdy::syn_reply>(r);
    EXPECT_EQ(reply.flags, spdy::flag_fin);
    EXPECT_EQ(spdy::header_value(reply.headers, "x"), "y");
    EXPECT_EQ(spdy::header_value(expect_frame<spdy::headers>(r).block, "a"), "b");
    EXPECT_EQ(expect_frame<spdy::rst_stream>(r).status, 2u);
    EXPECT_EQ(expect_frame<spdy::settings>(r).entries.size(), 2u);
    EXPECT_EQ(expect_frame<spdy::ping>(r).id, 2u);
    EXPECT_EQ(expect_frame<spdy::goaway>(r).status, 1u);
    EXPECT_EQ(expect_frame<spdy::window_update>(r).delta, 12345u);
    EXPECT_EQ(expect_frame<spdy::data>(r).payload.size(), 70000u);
    EXPECT_EQ(r.buffered(), 0u);
}

TEST(SpdyFrames, BadLengthsAreErrorsAndTheNextFrameStillReads) {
    spdy::frame_reader r;
    r.feed(control(6, 0, "12345") + control(7, 0, be32(1)) + control(3, 0, be32(0) + be32(1)) +
           control(6, 0, be32(3)));
    for (auto want : {spdy::errc::invalid_control_frame, spdy::errc::invalid_control_frame,
                      spdy::errc::zero_stream_id}) {
        auto f = r.next();
        ASSERT_FALSE(f.has_value());
        EXPECT_EQ(f.error(), want);
        EXPECT_FALSE(r.fatal());
    }
    EXPECT_EQ(expect_frame<spdy::ping>(r).id, 3u);
}

TEST(SpdyFrames, OtherVersionsAreRefused) {
    spdy::frame_reader r;
    r.feed(control(6, 0, be32(1), 2) + control(6, 0, be32(5)));
    auto f = r.next();
    ASSERT_FALSE(f.has_value());
    EXPECT_EQ(f.error(), spdy::errc::unsupported_version);
    EXPECT_FALSE(r.fatal());
    EXPECT_EQ(expect_frame<spdy::ping>(r).id, 5u);
}

TEST(SpdyFrames, GarbageHeaderBlockIsFatal) {
    spdy::frame_reader r;
    r.feed(control(1, 0, be32(1) + be32(0) + std::string(2, '\0') + "not zlib at all") +
           control(6, 0, be32(1)));
    auto f = r.next();
    ASSERT_FALSE(f.has_value());
    EXPECT_EQ(f.error(), spdy::errc::compression_error);
    EXPECT_TRUE(r.fatal());
    EXPECT_FALSE(r.next().has_value());
}

TEST(SpdyFrames, HeaderCountsAndLengthsAreChecked) {
    {
        peer_deflater z;
        spdy::reader_limits limits;
        limits.max_header_count = 2;
        spdy::frame_reader r(limits);
        r.feed(control(2, 0, be32(1) + peer_block({{"a", "1"}, {"b", "2"}, {"c", "3"}}, z.z)));
        auto f = r.next();
        ASSERT_FALSE(f.has_value());
        EXPECT_EQ(f.error(), spdy::errc::invalid_header_block);
    }
    {
        // A block that says it holds a 1000-byte name but ends early.
        peer_deflater z;
        std::string plain = be32(1) + be32(1000) + "short";
        std::string comp(512, '\0');
        z.z.next_in = reinterpret_cast<Bytef*>(plain.data());
        z.z.avail_in = plain.size();
        z.z.next_out = reinterpret_cast<Bytef*>(comp.data());
        z.z.avail_out = comp.size();
        deflate(&z.z, Z_SYNC_FLUSH);
        comp.resize(comp.size() - z.z.avail_out);
        spdy::frame_reader r;
        r.feed(control(8, 0, be32(1) + comp));
        auto f = r.next();
        ASSERT_FALSE(f.has_value());
        EXPECT_EQ(f.error(), spdy::errc::invalid_header_block);
    }
}

TEST(SpdyFrames, InflatingPastTheLimitIsRefused) {
    peer_deflater z;
    spdy::reader_limits limits;
    limits.max_header_block = 64 * 1024;
    spdy::frame_reader r(limits);
    // Compresses to a few hundred bytes, inflates to 1 MiB.
    r.feed(control(1, 0, be32(1) + be32(0) + std::string(2, '\0') +
                             peer_block({{"big", std::string(1 << 20, 'a')}}, z.z)));
    auto f = r.next();
    ASSERT_FALSE(f.has_value());
    EXPECT_EQ(f.error(), spdy::errc::header_block_too_large);
}

TEST(SpdyFrames, PartialFramesWaitForMoreBytes) {
    spdy::frame_writer w;
    std::string wire;
    w.write(spdy::data{7, 0, "hello"}, wire);
    spdy::frame_reader r;
    r.feed(wire.substr(0, 10));
    auto f = r.next();
    ASSERT_TRUE(f.has_value());
    EXPECT_FALSE(f->has_value());
    r.feed(wire.substr(10));
    EXPECT_EQ(expect_frame<spdy::data>(r).payload, "hello");
}
