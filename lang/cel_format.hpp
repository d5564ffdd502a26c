#pragma once

// Text forms of values: string(double) as Go's FormatFloat('g', -1) (what cel-go prints), and a
// debug form for messages and tests.

#include <string>

#include "lang/cel_value.hpp"

namespace ghost::lang::cel::detail {

std::string format_double(double d);
std::string format_value(const value& v, bool quote_strings);

}  // namespace ghost::lang::cel::detail
