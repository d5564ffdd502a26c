#pragma once
// A connection the HTTP server hands to a handler that answers by itself: an Upgrade (SPDY for
// exec, attach and port-forward) or a long streamed reply (`kubectl logs -f`). The handler gets
// the request head, the stream (plain TCP or TLS, the same interface) and any bytes the server
// had already read past the head. One read and one write may be outstanding at a time.

#include "engine/http_types.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace ghost::engine {

struct request_head {
    boost::beast::http::verb method = boost::beast::http::verb::get;
    std::string target;                  // path and query as sent (percent-encoding kept)
    header_list headers;                 // in order, names as sent
    bool client_verified = false;        // TLS peer showed a certificate the server's client CA trusts
    std::string client_common_name;      // that certificate's CN ("" without one)
    bool tls = false;                    // the connection is TLS (else plain HTTP)

    /// The first header of that name, compared without case; "" when absent.
    std::string_view header(std::string_view name) const {
        for (const auto& [key, value] : headers)
            if (boost::beast::iequals(key, name)) return value;
        return {};
    }
};

class byte_stream {
public:
    virtual ~byte_stream() = default;
    /// Reads what is available (at least one byte); `ec` set at end of stream or on failure.
    virtual boost::asio::awaitable<std::size_t> read_some(boost::asio::mutable_buffer into,
                                                          boost::system::error_code& ec) = 0;
    /// Writes all of `bytes`.
    virtual boost::asio::awaitable<void> write(boost::asio::const_buffer bytes,
                                               boost::system::error_code& ec) = 0;
    /// Closes the connection; pending reads and writes complete with an error.
    virtual void close() = 0;
    virtual boost::asio::any_io_executor get_executor() = 0;
};

}  // namespace ghost::engine
