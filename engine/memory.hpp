#pragma once
// Gives the memory the allocator holds free back to the operating system. ghostlet links
// mimalloc, which keeps freed pages for reuse: after a large list (thousands of objects parsed
// at once, then dropped) the process would otherwise stay at that peak. A no-op where
// mimalloc is not linked (the sanitizer builds, the tests).
// mimalloc decommits a freed page only once its decommit delay (25 ms, 500 ms for whole
// segments) has passed, so a collect right after a burst leaves much of it resident: ghostlet
// also calls this every 5 s (chaos suite, relists of 5,000 pods: RSS 2.3x its value before).

namespace ghost::engine {

void release_free_memory() noexcept;

}  // namespace ghost::engine
