#pragma once

// Tree-walking evaluator over a checked tree.

#include <span>

#include "lang/cel_ast.hpp"

namespace ghost::lang::cel::detail {

struct program_data {
    node_ptr root;
};

value evaluate(const node& root, const activation& vars) noexcept;

// Runs the first overload of fn whose parameters match args (already error-free).
value dispatch(const function_decl& fn, std::span<const value> args) noexcept;
value no_matching_overload(std::string_view name, std::span<const value> args);

}  // namespace ghost::lang::cel::detail
