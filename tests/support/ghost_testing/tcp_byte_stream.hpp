#pragma once
// The server's side of a loopback connection as an engine::byte_stream, the way the HTTP
// server's take-over routes hand a connection over (for tests of the SPDY drivers).

#include "engine/byte_stream.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace ghost::testing {

class tcp_byte_stream final : public engine::byte_stream {
public:
    explicit tcp_byte_stream(boost::asio::ip::tcp::socket s) : socket_(std::move(s)) {
        // Small interactive frames: no Nagle delay (as the server sets it).
        socket_.set_option(boost::asio::ip::tcp::no_delay(true));
    }
    boost::asio::awaitable<std::size_t> read_some(boost::asio::mutable_buffer into,
                                                  boost::system::error_code& ec) override {
        co_return co_await socket_.async_read_some(
            into, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    boost::asio::awaitable<void> write(boost::asio::const_buffer bytes,
                                       boost::system::error_code& ec) override {
        co_await boost::asio::async_write(
            socket_, bytes, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    void close() override {
        boost::system::error_code ec;
        socket_.close(ec);
    }
    boost::asio::any_io_executor get_executor() override { return socket_.get_executor(); }

private:
    boost::asio::ip::tcp::socket socket_;
};

}  // namespace ghost::testing
