#pragma once
// Stage selector evaluation (kwok spec §2.2): matchLabels, matchAnnotations and jq or CEL
// matchExpressions, all ANDed. A CEL expression that fails at run time, or yields no bool, makes
// the selector fail with *error set (kwok: no stage is applied for that event).

#include "stages/stage.hpp"

#include <boost/json/value.hpp>

namespace ghost::stages {

// One jq requirement against the object (runtime errors and nulls count as "absent").
bool requirement_matches(const match_expression& req, const boost::json::value& object,
                         std::string* error = nullptr);

// The whole selector. A stage without a selector never matches; callers check that first.
bool selector_matches(const stage_selector& selector, const boost::json::value& object,
                      std::string* error = nullptr);

// Convenience: false for a nil selector.
bool stage_matches(const stage& s, const boost::json::value& object, std::string* error = nullptr);

// Evaluates a Stage CEL program with `self` bound to the object.
lang::cel::value evaluate_cel(const lang::cel::program& p, const boost::json::value& object);

}  // namespace ghost::stages
