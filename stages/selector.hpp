#pragma once
// Stage selector evaluation (kwok spec §2.2): matchLabels, matchAnnotations and jq
// matchExpressions, all ANDed.

#include "stages/stage.hpp"

#include <boost/json/value.hpp>

namespace ghost::stages {

// One jq requirement against the object (runtime errors and nulls count as "absent").
bool requirement_matches(const match_expression& req, const boost::json::value& object);

// The whole selector. A stage without a selector never matches; callers check that first.
bool selector_matches(const stage_selector& selector, const boost::json::value& object);

// Convenience: false for a nil selector.
bool stage_matches(const stage& s, const boost::json::value& object);

}  // namespace ghost::stages
