#pragma once
// SPDY/3.1 framing, sans-io: the frames kube-apiserver's client (moby/spdystream) exchanges with
// a kubelet for exec, attach and port-forward. Header blocks are zlib-compressed with the SPDY/3
// dictionary, one compression context per direction for the whole connection (so a reader and
// a writer each live as long as the connection).
// Errors are `spdy::errc` codes; a reader that failed inside a header block stays failed (the
// shared zlib context is lost), any other error leaves it usable for the next frame.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace ghost::engine::spdy {

enum class errc {
    ok = 0,
    unsupported_version = 1,  // a control frame whose version is not 3
    invalid_control_frame,    // a control frame whose length or fields do not fit its type
    zero_stream_id,           // stream id 0 where a stream is required
    compression_error,        // the header block did not inflate (context lost: fatal)
    invalid_header_block,     // counts or lengths inside the block do not add up
    header_block_too_large,   // inflates past reader_limits::max_header_block
};
const boost::system::error_category& spdy_category() noexcept;
inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), spdy_category()};
}

inline constexpr std::uint16_t version = 3;
inline constexpr std::uint8_t flag_fin = 0x01;             // SYN_STREAM, SYN_REPLY, HEADERS, DATA
inline constexpr std::uint8_t flag_unidirectional = 0x02;  // SYN_STREAM
inline constexpr std::uint32_t max_frame_length = (1u << 24) - 1;

enum class rst_status : std::uint32_t {
    protocol_error = 1, invalid_stream, refused_stream, unsupported_version, cancel,
    internal_error, flow_control_error, stream_in_use, stream_already_closed,
    invalid_credentials, frame_too_large,
};
enum class goaway_status : std::uint32_t { ok = 0, protocol_error = 1, internal_error = 2 };

/// Name/value pairs as on the wire: names lower case, several values of one name joined by NUL.
using header_block = std::vector<std::pair<std::string, std::string>>;
/// The first value of `name` ("" when absent).
std::string_view header_value(const header_block& headers, std::string_view name);

struct syn_stream {
    std::uint32_t stream_id = 0;
    std::uint32_t associated_to = 0;
    std::uint8_t priority = 0;  // 0 (highest) .. 7
    std::uint8_t flags = 0;
    header_block headers;
};
struct syn_reply { std::uint32_t stream_id = 0; std::uint8_t flags = 0; header_block headers; };
struct rst_stream { std::uint32_t stream_id = 0; std::uint32_t status = 0; };
struct setting { std::uint8_t flags = 0; std::uint32_t id = 0; std::uint32_t value = 0; };
struct settings { std::uint8_t flags = 0; std::vector<setting> entries; };
struct ping { std::uint32_t id = 0; };
struct goaway { std::uint32_t last_good_stream_id = 0; std::uint32_t status = 0; };
struct headers { std::uint32_t stream_id = 0; std::uint8_t flags = 0; header_block block; };
struct window_update { std::uint32_t stream_id = 0; std::uint32_t delta = 0; };
struct data { std::uint32_t stream_id = 0; std::uint8_t flags = 0; std::string payload; };
/// A control frame of a type SPDY/3.1 does not define: skipped, as the spec says.
struct unknown_control { std::uint16_t type = 0; };

using frame = std::variant<syn_stream, syn_reply, rst_stream, settings, ping, goaway, headers,
                           window_update, data, unknown_control>;

/// The SPDY/3 header compression dictionary (1,423 bytes, spec section 2.6.10.1).
std::string_view header_dictionary();

struct reader_limits {
    std::size_t max_header_block = 1 << 20;  ///< inflated bytes per block (zip-bomb guard)
    std::uint32_t max_header_count = 1000;   ///< as spdystream's default
};

/// Bytes in, frames out, in arbitrary splits.
class frame_reader {
public:
    explicit frame_reader(reader_limits limits = {});
    ~frame_reader();
    frame_reader(frame_reader&&) noexcept;
    frame_reader& operator=(frame_reader&&) noexcept;

    void feed(std::string_view bytes);
    /// The next complete frame; nullopt when more bytes are needed. An error consumes the bad
    /// frame (when its length was readable) so the caller may go on unless it is fatal().
    boost::system::result<std::optional<frame>> next();
    /// The header compression context is lost: nothing more can be read.
    bool fatal() const { return fatal_; }
    std::size_t buffered() const { return buffer_.size() - offset_; }

private:
    struct inflater;
    boost::system::result<header_block> inflate_block(std::string_view compressed);
    reader_limits limits_;
    std::unique_ptr<inflater> inflater_;
    std::string buffer_;
    std::size_t offset_ = 0;
    bool fatal_ = false;
};

/// Frames in, bytes out (appended to `out`).
class frame_writer {
public:
    frame_writer();
    ~frame_writer();
    frame_writer(frame_writer&&) noexcept;
    frame_writer& operator=(frame_writer&&) noexcept;

    void write(const frame& f, std::string& out);

private:
    struct deflater;
    std::string compress_block(const header_block& headers);
    std::unique_ptr<deflater> deflater_;
};

}  // namespace ghost::engine::spdy

template <>
struct boost::system::is_error_code_enum<ghost::engine::spdy::errc> : std::true_type {};
