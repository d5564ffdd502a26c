#pragma once
// Replies written by a stream route (engine/http_server.hpp) on the connection it took over: a
// whole reply at once, or a chunked one whose body is written as it comes (`kubectl logs -f`).
// Every reply says `Connection: close`: the connection ends with the handler.

#include "engine/byte_stream.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>

namespace ghost::engine {

struct stream_reply_head {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string server = "ghostlet";
};

/// The status line and headers; `chunked` for Transfer-Encoding: chunked, else Content-Length.
std::string format_reply_head(const stream_reply_head& head, bool chunked,
                              std::size_t content_length = 0);
/// One chunk of a chunked body ("" for none: an empty chunk would end the body).
std::string format_chunk(std::string_view data);
inline constexpr std::string_view last_chunk = "0\r\n\r\n";

/// Writes a whole reply. Pass a named head: GCC 12 miscompiles a braced temporary in a
/// co_await expression.
boost::asio::awaitable<void> write_whole_reply(byte_stream& stream, const stream_reply_head& head,
                                               std::string body, boost::system::error_code& ec);

}  // namespace ghost::engine
