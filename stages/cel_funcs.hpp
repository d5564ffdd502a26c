#pragma once
// kwok's CEL environment (spec §2.2): the standard library plus Now(), Rand(), SinceSecond(obj),
// UnixSecond(ts), Quantity("100m") with + - * / and comparisons, each also callable as a method
// on its first argument. Objects are JSON (the variable `self`), so metav1.Time fields are RFC
// 3339 strings: UnixSecond also takes such a string.

#include "lang/cel.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::stages {

inline constexpr std::string_view quantity_type_name = "kubernetes.Quantity";

/// The kwok functions on top of CEL's standard library, with `variables` declared (dyn).
lang::cel::environment make_kwok_cel_environment(const std::vector<std::string>& variables);

/// The one Stage expressions use: `self`.
const lang::cel::environment& stage_cel_environment();

/// A number out of a CEL result: int, uint, double, bool (0/1) or a Quantity (its value, so
/// "850m" is 0.85); nullopt for anything else.
std::optional<double> cel_number(const lang::cel::value& v);
/// A label text out of a CEL result: strings as they are, numbers, bools and Quantities printed.
std::optional<std::string> cel_text(const lang::cel::value& v);

/// What kwok's Metric and ResourceUsage expressions call into (spec §6.1); the host keeps the
/// state. `object` is the pod or node value the expression passed; `container` is null for the
/// two-argument form. Errors are error values.
struct metric_cel_hooks {
    std::function<lang::cel::value(const lang::cel::value& object, std::string_view resource,
                                   const std::string_view* container, bool cumulative)>
        usage;
    std::function<lang::cel::value(const lang::cel::value& node_or_name)> started_containers_total;
};

/// The Metric/ResourceUsage environment: variables `node`, `pod`, `container`, the kwok functions
/// plus Usage(pod|node, res[, container]), CumulativeUsage(...), StartedContainersTotal(nodeName|
/// node) and the deprecated `now` / `startedContainersTotal`, each also a method.
lang::cel::environment make_metric_cel_environment(metric_cel_hooks hooks);

}  // namespace ghost::stages
