#pragma once
// `ghostctl port-forward`: a TCP relay. Each connection accepted on the local endpoint gets
// its own connection to the target; bytes are copied both ways as they come, an end of file
// on one side is passed on as a half-close (shutdown of sending) to the other, and the pair
// is closed once both directions ended or either failed. A target that refuses ends only that
// connection (kwokctl v0.8.0 stops accepting then). Single-threaded: one executor.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace ghost::ghostctl {

struct relay_stats {
    std::uint64_t accepted = 0;
    std::uint64_t connect_failures = 0;  ///< the target refused or was unreachable
    std::uint64_t open = 0;              ///< relayed pairs not yet closed
    std::uint64_t bytes_to_target = 0;
    std::uint64_t bytes_to_client = 0;
};

class tcp_relay {
public:
    /// Listens on `local` (port 0: a free one). Throws boost::system::system_error when it
    /// cannot (start-up only). `on_warning` gets one line per failed connection.
    tcp_relay(boost::asio::any_io_executor ex, boost::asio::ip::tcp::endpoint local,
              boost::asio::ip::tcp::endpoint target,
              std::function<void(const std::string&)> on_warning = {});
    ~tcp_relay();
    tcp_relay(const tcp_relay&) = delete;
    tcp_relay& operator=(const tcp_relay&) = delete;

    /// Where it listens (the chosen port when 0 was asked for).
    boost::asio::ip::tcp::endpoint local_endpoint() const;

    /// Accepts until stop(); completes once every relayed pair is closed too. Never throws
    /// for network errors.
    boost::asio::awaitable<void> run();

    /// Closes the listener and every open pair; run() then completes.
    void stop();

    relay_stats stats() const;

private:
    struct state;
    static boost::asio::awaitable<void> relay_one(std::shared_ptr<state> s,
                                                  boost::asio::ip::tcp::socket client);
    std::shared_ptr<state> state_;
};

}  // namespace ghost::ghostctl
