#pragma once
// kwok's CEL environment (spec §2.2): the standard library plus Now(), Rand(), SinceSecond(obj),
// UnixSecond(ts), Quantity("100m") with + - * / and comparisons, each also callable as a method
// on its first argument. Objects are JSON (the variable `self`), so metav1.Time fields are RFC
// 3339 strings: UnixSecond also takes such a string.

#include "lang/cel.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace ghost::stages {

inline constexpr std::string_view quantity_type_name = "kubernetes.Quantity";

/// The kwok functions on top of CEL's standard library, with `variables` declared (dyn).
lang::cel::environment make_kwok_cel_environment(const std::vector<std::string>& variables);

/// The one Stage expressions use: `self`.
const lang::cel::environment& stage_cel_environment();

}  // namespace ghost::stages
