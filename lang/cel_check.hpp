#pragma once

// Resolves a parsed tree against an environment: names (variables, comprehension variables,
// type names), functions and overloads, static types; folds constant list/map literals and
// precompiles literal regular expressions. Definite type errors are reported here.

#include <string>
#include <string_view>

#include "lang/cel_ast.hpp"

namespace ghost::lang::cel::detail {

// False (and error = "column N: ...") when the expression is rejected.
bool check(node_ptr& root, std::string_view text, const environment& env, std::string& error);

}  // namespace ghost::lang::cel::detail
