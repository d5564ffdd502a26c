#pragma once
// Side-by-side outputs: results.md (ghostlet | kwok | ratio per metric) and one SVG per
// scenario (progress and simulator RSS over time per phase, latency percentiles).

#include "bench/scenario/results.hpp"

#include <string>
#include <vector>

namespace ghost::bench {

// Markdown for all runs, grouped by scenario; ratios are ghostlet/kwok.
std::string markdown_report(const std::vector<run_result>& runs);

// SVG for the runs of one scenario (one or two simulators).
std::string svg_report(const std::string& scenario, const std::vector<const run_result*>& runs);

}  // namespace ghost::bench
