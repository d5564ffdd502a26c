#pragma once
// Gives the memory the allocator holds free back to the operating system. ghostlet links
// mimalloc, which keeps freed pages for reuse: after a large list (thousands of objects parsed
// at once, then dropped) the process would otherwise stay at that peak. A no-op where
// mimalloc is not linked (the sanitizer builds, the tests).

namespace ghost::engine {

void release_free_memory() noexcept;

}  // namespace ghost::engine
