#include "engine/spdy_frames.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

namespace ghost::engine::spdy {
namespace {

class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "ghost.spdy"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::ok: return "success";
        case errc::unsupported_version: return "SPDY control frame of a version other than 3";
        case errc::invalid_control_frame: return "invalid SPDY control frame";
        case errc::zero_stream_id: return "SPDY frame with stream id 0";
        case errc::compression_error: return "SPDY header block does not inflate";
        case errc::invalid_header_block: return "malformed SPDY header block";
        case errc::header_block_too_large: return "SPDY header block too large";
        }
        return "unknown SPDY error";
    }
};

enum class control_type : std::uint16_t {
    syn_stream = 1, syn_reply = 2, rst_stream = 3, settings = 4, ping = 6, goaway = 7,
    headers = 8, window_update = 9,
};

std::uint32_t get32(std::string_view s, std::size_t at) {
    auto b = [&](std::size_t i) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + i]));
    };
    return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}
void put32(std::string& out, std::uint32_t v) {
    const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                           static_cast<char>(v >> 8), static_cast<char>(v)};
    out.append(bytes, 4);
}
void put_control_head(std::string& out, control_type type, std::uint8_t flags, std::size_t length) {
    put32(out, 0x80000000u | std::uint32_t{version} << 16 | static_cast<std::uint16_t>(type));
    put32(out, std::uint32_t{flags} << 24 | static_cast<std::uint32_t>(length & max_frame_length));
}

// The dictionary is the spec's list of length-prefixed header names and values, then a run of
// status codes, reason phrases, dates and media types without prefixes.
std::string build_dictionary() {
    static constexpr std::array<std::string_view, 65> prefixed = {
        "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset",
        "accept-encoding", "accept-language", "accept-ranges", "age", "allow", "authorization",
        "cache-control", "connection", "content-base", "content-encoding", "content-language",
        "content-length", "content-location", "content-md5", "content-range", "content-type",
        "date", "etag", "expect", "expires", "from", "host", "if-match", "if-modified-since",
        "if-none-match", "if-range", "if-unmodified-since", "last-modified", "location",
        "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range",
        "referer", "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade",
        "user-agent", "vary", "via", "warning", "www-authenticate", "method", "get", "status",
        "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive", "origin"};
    static constexpr std::string_view tail =
        "100101201202205206300302303304305306307402405406407408409410411412413414415416417502"
        "504505203 Non-Authoritative Information204 No Content301 Moved Permanently"
        "400 Bad Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error"
        "501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct "
        "Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,"
        "image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
        "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8"
        "charset=iso-8859-1,utf-,*,enq=0.";
    std::string out;
    for (auto word : prefixed) {
        put32(out, static_cast<std::uint32_t>(word.size()));
        out.append(word);
    }
    out.append(tail);
    return out;
}

}  // namespace

const boost::system::error_category& spdy_category() noexcept {
    static const category instance;
    return instance;
}

std::string_view header_dictionary() {
    static const std::string dictionary = build_dictionary();
    return dictionary;
}

std::string_view header_value(const header_block& headers, std::string_view name) {
    for (const auto& [key, value] : headers) {
        if (key == name) {
            std::string_view v = value;
            return v.substr(0, v.find('\0'));
        }
    }
    return {};
}

// ---- reader ----

struct frame_reader::inflater {
    z_stream z{};
    bool ok = false;
    inflater() { ok = inflateInit(&z) == Z_OK; }
    ~inflater() { inflateEnd(&z); }
};

frame_reader::frame_reader(reader_limits limits)
    : limits_(limits), inflater_(std::make_unique<inflater>()) {
    fatal_ = !inflater_->ok;
}
frame_reader::~frame_reader() = default;
frame_reader::frame_reader(frame_reader&&) noexcept = default;
frame_reader& frame_reader::operator=(frame_reader&&) noexcept = default;

void frame_reader::feed(std::string_view bytes) {
    if (offset_ > 0 && offset_ >= buffer_.size() / 2) {
        buffer_.erase(0, offset_);
        offset_ = 0;
    }
    buffer_.append(bytes);
}

boost::system::result<header_block> frame_reader::inflate_block(std::string_view compressed) {
    auto fail = [this](errc e) {
        fatal_ = true;
        return e;
    };
    z_stream& z = inflater_->z;
    std::string plain;
    std::array<char, 4096> chunk;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    z.avail_in = static_cast<uInt>(compressed.size());
    for (;;) {
        z.next_out = reinterpret_cast<Bytef*>(chunk.data());
        z.avail_out = static_cast<uInt>(chunk.size());
        int rc = inflate(&z, Z_SYNC_FLUSH);
        if (rc == Z_NEED_DICT) {
            auto dict = header_dictionary();
            if (inflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dict.data()),
                                     static_cast<uInt>(dict.size())) != Z_OK)
                return fail(errc::compression_error);
            continue;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) return fail(errc::compression_error);
        const bool made_room = z.avail_out != 0;
        plain.append(chunk.data(), chunk.size() - z.avail_out);
        if (plain.size() > limits_.max_header_block) return fail(errc::header_block_too_large);
        // Sync-flushed: the block is complete once all input is in and the output did not fill.
        if (z.avail_in == 0 && made_room) break;
        if (rc == Z_BUF_ERROR && made_room) return fail(errc::compression_error);  // stuck
    }
    std::string_view p = plain;
    std::size_t at = 0;
    auto need = [&](std::size_t n) { return p.size() - at >= n; };
    if (!need(4)) return errc::invalid_header_block;
    std::uint32_t count = get32(p, at);
    at += 4;
    if (count > limits_.max_header_count) return errc::invalid_header_block;
    header_block out;
    out.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        std::string name, value;
        for (std::string* field : {&name, &value}) {
            if (!need(4)) return errc::invalid_header_block;
            std::uint32_t len = get32(p, at);
            at += 4;
            if (!need(len)) return errc::invalid_header_block;
            field->assign(p.substr(at, len));
            at += len;
        }
        // spdystream lower-cases names it receives too (flagging them); accept them lowered.
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        out.emplace_back(std::move(name), std::move(value));
    }
    if (at != p.size()) return errc::invalid_header_block;
    return out;
}

boost::system::result<std::optional<frame>> frame_reader::next() {
    if (fatal_) return errc::compression_error;
    std::string_view in = std::string_view(buffer_).substr(offset_);
    if (in.size() < 8) return std::optional<frame>{};
    const std::uint32_t first = get32(in, 0);
    const std::uint32_t second = get32(in, 4);
    const std::uint8_t flags = static_cast<std::uint8_t>(second >> 24);
    const std::uint32_t length = second & max_frame_length;
    if (in.size() < 8 + std::size_t{length}) return std::optional<frame>{};
    std::string_view payload = in.substr(8, length);
    offset_ += 8 + std::size_t{length};

    if ((first & 0x80000000u) == 0) {
        const std::uint32_t id = first & 0x7fffffffu;
        if (id == 0) return errc::zero_stream_id;
        return std::optional<frame>{data{id, flags, std::string(payload)}};
    }
    const std::uint16_t ver = static_cast<std::uint16_t>((first >> 16) & 0x7fff);
    const auto type = static_cast<control_type>(first & 0xffff);
    const bool carries_headers = type == control_type::syn_stream ||
                                 type == control_type::syn_reply || type == control_type::headers;
    if (ver != version) {
        // Skipping a compressed block would desynchronise the shared zlib context.
        if (carries_headers) fatal_ = true;
        return errc::unsupported_version;
    }
    // Too short to hold the block the peer compressed: the zlib context is out of step.
    auto invalid_with_block = [this] {
        fatal_ = true;
        return errc::invalid_control_frame;
    };
    auto id_at = [&](std::size_t at) { return get32(payload, at) & 0x7fffffffu; };
    switch (type) {
    case control_type::syn_stream: {
        if (length < 10) return invalid_with_block();
        syn_stream f{id_at(0), id_at(4), static_cast<std::uint8_t>(
                         static_cast<unsigned char>(payload[8]) >> 5), flags, {}};
        auto block = inflate_block(payload.substr(10));
        if (!block) return block.error();
        if (f.stream_id == 0) return errc::zero_stream_id;
        f.headers = std::move(*block);
        return std::optional<frame>{std::move(f)};
    }
    case control_type::syn_reply:
    case control_type::headers: {
        if (length < 4) return invalid_with_block();
        const std::uint32_t id = id_at(0);
        auto block = inflate_block(payload.substr(4));
        if (!block) return block.error();
        if (id == 0) return errc::zero_stream_id;
        if (type == control_type::syn_reply)
            return std::optional<frame>{syn_reply{id, flags, std::move(*block)}};
        return std::optional<frame>{headers{id, flags, std::move(*block)}};
    }
    case control_type::rst_stream: {
        if (length != 8) return errc::invalid_control_frame;
        rst_stream f{id_at(0), get32(payload, 4)};
        if (f.stream_id == 0) return errc::zero_stream_id;
        if (f.status == 0) return errc::invalid_control_frame;
        return std::optional<frame>{f};
    }
    case control_type::settings: {
        if (length < 4) return errc::invalid_control_frame;
        const std::uint32_t count = get32(payload, 0);
        if (count > (length - 4) / 8) return errc::invalid_control_frame;
        settings f{flags, {}};
        for (std::uint32_t i = 0; i < count; ++i) {
            const std::uint32_t flag_id = get32(payload, 4 + 8 * i);
            f.entries.push_back({static_cast<std::uint8_t>(flag_id >> 24), flag_id & 0xffffff,
                                 get32(payload, 8 + 8 * i)});
        }
        return std::optional<frame>{std::move(f)};
    }
    case control_type::ping:
        if (length != 4) return errc::invalid_control_frame;
        return std::optional<frame>{ping{get32(payload, 0)}};
    case control_type::goaway:
        if (length != 8) return errc::invalid_control_frame;
        return std::optional<frame>{goaway{id_at(0), get32(payload, 4)}};
    case control_type::window_update:
        if (length != 8) return errc::invalid_control_frame;
        return std::optional<frame>{window_update{id_at(0), get32(payload, 4) & 0x7fffffffu}};
    }
    return std::optional<frame>{unknown_control{static_cast<std::uint16_t>(type)}};
}

// ---- writer ----

struct frame_writer::deflater {
    z_stream z{};
    deflater() {
        deflateInit(&z, Z_DEFAULT_COMPRESSION);
        auto dict = header_dictionary();
        deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dict.data()),
                             static_cast<uInt>(dict.size()));
    }
    ~deflater() { deflateEnd(&z); }
};

frame_writer::frame_writer() : deflater_(std::make_unique<deflater>()) {}
frame_writer::~frame_writer() = default;
frame_writer::frame_writer(frame_writer&&) noexcept = default;
frame_writer& frame_writer::operator=(frame_writer&&) noexcept = default;

std::string frame_writer::compress_block(const header_block& headers) {
    std::string plain;
    put32(plain, static_cast<std::uint32_t>(headers.size()));
    for (const auto& [name, value] : headers) {
        put32(plain, static_cast<std::uint32_t>(name.size()));
        for (unsigned char c : name) plain.push_back(static_cast<char>(std::tolower(c)));
        put32(plain, static_cast<std::uint32_t>(value.size()));
        plain.append(value);
    }
    z_stream& z = deflater_->z;
    z.next_in = reinterpret_cast<Bytef*>(plain.data());
    z.avail_in = static_cast<uInt>(plain.size());
    std::string out;
    std::array<char, 4096> chunk;
    do {
        z.next_out = reinterpret_cast<Bytef*>(chunk.data());
        z.avail_out = static_cast<uInt>(chunk.size());
        deflate(&z, Z_SYNC_FLUSH);
        out.append(chunk.data(), chunk.size() - z.avail_out);
    } while (z.avail_out == 0);
    return out;
}

void frame_writer::write(const frame& f, std::string& out) {
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, syn_stream>) {
                auto block = compress_block(v.headers);
                put_control_head(out, control_type::syn_stream, v.flags, 10 + block.size());
                put32(out, v.stream_id);
                put32(out, v.associated_to);
                out.push_back(static_cast<char>((v.priority & 7) << 5));
                out.push_back('\0');  // credential slot
                out.append(block);
            } else if constexpr (std::is_same_v<T, syn_reply> || std::is_same_v<T, headers>) {
                const header_block* block_headers;
                if constexpr (std::is_same_v<T, syn_reply>) block_headers = &v.headers;
                else block_headers = &v.block;
                auto block = compress_block(*block_headers);
                put_control_head(out, std::is_same_v<T, syn_reply> ? control_type::syn_reply
                                                                   : control_type::headers,
                                 v.flags, 4 + block.size());
                put32(out, v.stream_id);
                out.append(block);
            } else if constexpr (std::is_same_v<T, rst_stream>) {
                put_control_head(out, control_type::rst_stream, 0, 8);
                put32(out, v.stream_id);
                put32(out, v.status);
            } else if constexpr (std::is_same_v<T, settings>) {
                put_control_head(out, control_type::settings, v.flags, 4 + 8 * v.entries.size());
                put32(out, static_cast<std::uint32_t>(v.entries.size()));
                for (const auto& e : v.entries) {
                    put32(out, std::uint32_t{e.flags} << 24 | (e.id & 0xffffff));
                    put32(out, e.value);
                }
            } else if constexpr (std::is_same_v<T, ping>) {
                put_control_head(out, control_type::ping, 0, 4);
                put32(out, v.id);
            } else if constexpr (std::is_same_v<T, goaway>) {
                put_control_head(out, control_type::goaway, 0, 8);
                put32(out, v.last_good_stream_id);
                put32(out, v.status);
            } else if constexpr (std::is_same_v<T, window_update>) {
                put_control_head(out, control_type::window_update, 0, 8);
                put32(out, v.stream_id);
                put32(out, v.delta);
            } else if constexpr (std::is_same_v<T, data>) {
                put32(out, v.stream_id & 0x7fffffffu);
                put32(out, std::uint32_t{v.flags} << 24 |
                               static_cast<std::uint32_t>(v.payload.size() & max_frame_length));
                out.append(v.payload);
            } else {
                // An unknown control type is never written.
            }
        },
        f);
}

}  // namespace ghost::engine::spdy
