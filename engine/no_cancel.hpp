#pragma once
// A completion token for waits that must not be cancelled from outside: a frame whose workers
// still use it waits for them (empty cancellation slot), and errors come back as a tuple.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ghost::engine {

inline auto no_cancel() {
    return boost::asio::bind_cancellation_slot(boost::asio::cancellation_slot(),
                                               boost::asio::as_tuple(boost::asio::use_awaitable));
}

}  // namespace ghost::engine
