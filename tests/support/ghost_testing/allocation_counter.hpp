#pragma once
// Counts every global operator new of the program that links ghost_allocation_counter, so a
// test can prove an evaluation allocates nothing and a benchmark can report allocations per
// iteration. One replacement per program: link it, do not copy it.

#include <cstddef>

namespace ghost::testing {

/// Allocations since the program started.
std::size_t allocations_so_far() noexcept;

}  // namespace ghost::testing
