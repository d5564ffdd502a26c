#pragma once
// The stages of one resourceRef: which stage applies to an object (weights, spec §2.3) and when
// (delay with kwok's jitter-as-upper-bound, spec §2.4). Randomness and time are injected.

#include "stages/stage.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace ghost::stages {

// Weight of a stage for this object: weightFrom's first output (string parsed as an integer
// with base prefix, number truncated), else `weight`. nullopt = invalid (empty/unparsable
// string from weightFrom).
// A CEL weightFrom that fails sets *error and counts as invalid.
std::optional<std::int64_t> stage_weight(const stage& s, const boost::json::value& object,
                                         std::string* error = nullptr);

// kwok's DelayRangePossible: nullopt when the stage has no delay; else {delay} or
// {base, jitter upper bound} in nanoseconds.
// A CEL durationFrom that fails sets *error and falls back to durationMilliseconds.
std::optional<std::vector<std::chrono::nanoseconds>> stage_delay_range(
    const stage& s, const boost::json::value& object, std::chrono::system_clock::time_point now,
    std::string* error = nullptr);

// The delay to wait before playing the stage; 0 when none (negative values clamp to 0).
std::chrono::milliseconds stage_delay(const stage& s, const boost::json::value& object,
                                      std::chrono::system_clock::time_point now,
                                      std::mt19937_64& rng, std::string* error = nullptr);

class lifecycle {
public:
    lifecycle() = default;
    // Stages without a selector are dropped (they never match).
    explicit lifecycle(std::vector<stage> stages);

    const std::vector<stage>& stages() const noexcept { return stages_; }
    bool empty() const noexcept { return stages_.empty(); }

    // Every stage whose selector matches, in declaration order. A selector that fails to
    // evaluate (CEL) empties the result and sets *error.
    std::vector<const stage*> matching(const boost::json::value& object,
                                       std::string* error = nullptr) const;
    // The stages `match` could pick (kwok's ListAllPossible).
    std::vector<const stage*> candidates(const boost::json::value& object,
                                         std::string* error = nullptr) const;
    // The chosen stage, or nullptr when none matches (or evaluation failed: *error says why;
    // *error may also name a failed weight while a stage is still chosen).
    const stage* match(const boost::json::value& object, std::mt19937_64& rng,
                       std::string* error = nullptr) const;

    std::chrono::milliseconds delay(const stage& s, const boost::json::value& object,
                                    std::chrono::system_clock::time_point now,
                                    std::mt19937_64& rng, std::string* error = nullptr) const {
        return stage_delay(s, object, now, rng, error);
    }

private:
    std::vector<stage> stages_;
};

// Stages grouped by resourceRef {apiGroup, kind}.
using resource_key = std::pair<std::string, std::string>;
std::map<resource_key, lifecycle> group_by_resource(std::vector<stage> stages);

}  // namespace ghost::stages
