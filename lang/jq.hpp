#pragma once
// A jq subset (the part Stage selectors, weightFrom/durationFrom and ghostctl --param use),
// compiled once and evaluated over boost::json values.
//
// Supported: `.`, `.a.b`, `."a"`, `.[e]`, `["k"]` after a path, `.[]`, `.a[]`, `.a.[]`, `?`,
// `|`, `,`, `//`, `==` `!=` `<` `<=` `>` `>=`, `and` `or`, literals, `(e)`, `[e]` (collect),
// functions select/not/length/keys/empty/type/has/tostring/tonumber/first/map, and path
// assignment `p = e` which outputs the modified input.
//
// Runtime errors (iterating null, indexing a number, ...) make the whole result absent, the way
// kwok treats gojq errors in selectors: run() then returns no outputs.

#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::lang {

// Thrown by jq_program::parse; what() is "jq: column N: <problem> in `<text>`".
class jq_parse_error : public std::runtime_error {
public:
    jq_parse_error(std::string message, std::size_t column)
        : std::runtime_error(std::move(message)), column_(column) {}
    std::size_t column() const noexcept { return column_; }

private:
    std::size_t column_;
};

namespace jq_detail {
struct node;
}

class jq_program {
public:
    // Emitted values are valid only during the callback; return false to stop early.
    using emit_fn = std::function<bool(const boost::json::value&)>;

    static jq_program parse(std::string_view text);  // throws jq_parse_error
    static std::optional<jq_program> try_parse(std::string_view text, std::string* error = nullptr);

    // All outputs, or none when evaluation hit a runtime error.
    std::vector<boost::json::value> run(const boost::json::value& input) const;
    // Streams outputs; returns false on a runtime error (outputs already emitted stand).
    // *budget_error (when given) is set when the run stopped at max_steps.
    bool run(const boost::json::value& input, const emit_fn& emit,
             std::string* budget_error = nullptr) const;

    // Evaluation steps one run may take: `,` and `|` multiply outputs, so a short program
    // (`1,1 | 1,1 | ...`) can take exponential time (found by fuzz/jq_fuzz). A Stage selector
    // takes a few hundred steps; past the limit the run is a runtime error.
    static constexpr std::uint64_t max_steps = 1'000'000;
    // First output, if any (nullopt also on a runtime error).
    std::optional<boost::json::value> first(const boost::json::value& input) const;

    const std::string& text() const noexcept { return text_; }

private:
    std::shared_ptr<const jq_detail::node> root_;
    std::string text_;
};

// jq's total order (null < false < true < numbers < strings < arrays < objects): <0, 0, >0.
int jq_compare(const boost::json::value& a, const boost::json::value& b);

}  // namespace ghost::lang
