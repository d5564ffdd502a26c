#pragma once

// The CEL standard function library (operators, conversions, strings, time accessors).

#include <map>
#include <memory>
#include <string>

#include "lang/cel.hpp"

namespace ghost::lang::cel::detail {

using function_map = std::map<std::string, std::shared_ptr<const function_decl>, std::less<>>;

// Built once, shared by every environment.
const function_map& standard_functions();

// Compiled RE2 pattern cache for `matches` with a non-literal pattern; the literal case compiles
// once in the checker through make_matcher.
value regex_matches(std::string_view text, std::string_view pattern);
// A `matches` implementation bound to one pattern; null (and error set) for an invalid pattern.
function_impl make_matcher(std::string_view pattern, std::string& error);

}  // namespace ghost::lang::cel::detail
