#pragma once
// YAML <-> JSON conversion with the YAML 1.1 scalar rules of go-yaml v2 (what sigs.k8s.io/yaml,
// and therefore kwok, uses): plain `yes`/`on`/`y` are booleans, `0755` is octal, `1_000` is an
// int, timestamps stay strings, quoted scalars are always strings.

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace ghost::lang {

// Parses the first document of `yaml`. An empty document is null. On failure the error code is
// engine::errc::parse_error and `error_message` (when given) receives "yaml: line L: ...".
boost::system::result<boost::json::value> yaml_to_json(std::string_view yaml,
                                                       std::string* error_message = nullptr);
// The same, with every value made in `sp` (e.g. a monotonic arena for a short-lived result).
boost::system::result<boost::json::value> yaml_to_json(std::string_view yaml,
                                                       boost::json::storage_ptr sp,
                                                       std::string* error_message = nullptr);

// Block-style YAML in the shape go-yaml v2 marshals (sorted map keys, sequences not indented
// under their key, strings quoted whenever they would not read back as the same string).
// Ends with a newline. With indent_levels > 0 the text is prefixed by a newline and every line is
// indented by 2*indent_levels spaces (kwok's `YAML x n` template function).
std::string json_to_yaml(const boost::json::value& value, int indent_levels = 0);

// How go-yaml v2 resolves a plain (unquoted) scalar. Exposed for the template printer and tests.
boost::json::value resolve_plain_scalar(std::string_view text);
boost::json::value resolve_plain_scalar(std::string_view text, boost::json::storage_ptr sp);

// go-yaml v2's guard against alias bombs ("billion laughs"), so sigs.k8s.io/yaml's: values
// copied in by aliases may be 99% of the document up to 400,000 values, falling to 10% at
// 4,000,000. True when `from_aliases` of `decoded` values breaks that rule.
bool excessive_aliasing(std::uint64_t decoded, std::uint64_t from_aliases);

}  // namespace ghost::lang
