#pragma once
// Gives the memory the allocator holds free back to the operating system. ghostlet links
// mimalloc, which keeps freed pages for reuse: after a large list (thousands of objects parsed
// at once, then dropped) the process would otherwise stay at that peak. A no-op where
// mimalloc is not linked (the sanitizer builds, the tests).

#include <boost/asio/any_io_executor.hpp>

#include <chrono>

namespace ghost::engine {

void release_free_memory() noexcept;

/// release_free_memory() now and once more after `delay` on `ex`: mimalloc decommits a freed
/// page only once its decommit delay (25 ms, 500 ms for whole segments) has passed, so a
/// collect right after a burst leaves most of the burst resident (chaos suite, relists of
/// 5,000 pods: ghostlet's RSS 2.3x its value before without the second collect, 1.1-1.25x
/// with it).
void release_free_memory_soon(const boost::asio::any_io_executor& ex,
                              std::chrono::milliseconds delay = std::chrono::seconds(1));

}  // namespace ghost::engine
