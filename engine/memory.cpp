#include "engine/memory.hpp"

// Weak: resolved only when the program links mimalloc.
extern "C" void mi_collect(bool force) __attribute__((weak));

namespace ghost::engine {

void release_free_memory() noexcept {
    if (mi_collect) mi_collect(true);
}

}  // namespace ghost::engine
