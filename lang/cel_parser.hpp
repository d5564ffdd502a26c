#pragma once

// Recursive-descent parser for CEL; expands the standard macros (has, all, exists, exists_one,
// map, filter) into tree nodes.

#include <string>
#include <string_view>

#include "lang/cel_ast.hpp"

namespace ghost::lang::cel::detail {

// On failure returns null and sets error to "column N: ...".
node_ptr parse(std::string_view text, std::string& error);

}  // namespace ghost::lang::cel::detail
