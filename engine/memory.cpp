#include "engine/memory.hpp"

#include <boost/asio/steady_timer.hpp>

#include <memory>

// Weak: resolved only when the program links mimalloc.
extern "C" void mi_collect(bool force) __attribute__((weak));

namespace ghost::engine {

void release_free_memory() noexcept {
    if (mi_collect) mi_collect(true);
}

void release_free_memory_soon(const boost::asio::any_io_executor& ex,
                              std::chrono::milliseconds delay) {
    release_free_memory();
    auto timer = std::make_shared<boost::asio::steady_timer>(ex, delay);
    timer->async_wait([timer](const boost::system::error_code&) { release_free_memory(); });
}

}  // namespace ghost::engine
