#include "engine/stream_reply.hpp"

#include <boost/beast/http/status.hpp>

#include <cstdio>

namespace ghost::engine {

std::string format_reply_head(const stream_reply_head& head, bool chunked,
                              std::size_t content_length) {
    auto reason = boost::beast::http::obsolete_reason(
        static_cast<boost::beast::http::status>(head.status));
    std::string out = "HTTP/1.1 " + std::to_string(head.status) + " " +
                      std::string(reason.data(), reason.size()) + "\r\n";
    out += "Server: " + head.server + "\r\n";
    out += "Content-Type: " + head.content_type + "\r\n";
    out += chunked ? std::string("Transfer-Encoding: chunked\r\n")
                   : "Content-Length: " + std::to_string(content_length) + "\r\n";
    out += "Connection: close\r\n\r\n";
    return out;
}

std::string format_chunk(std::string_view data) {
    if (data.empty()) return {};
    char size[20];
    int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    std::string out(size, static_cast<std::size_t>(n));
    out.append(data);
    out += "\r\n";
    return out;
}

boost::asio::awaitable<void> write_whole_reply(byte_stream& stream, const stream_reply_head& head,
                                               std::string body, boost::system::error_code& ec) {
    std::string text = format_reply_head(head, false, body.size());
    text += body;
    co_await stream.write(boost::asio::buffer(text), ec);
}

}  // namespace ghost::engine
