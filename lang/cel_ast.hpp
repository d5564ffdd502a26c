#pragma once

// Expression tree, as parsed (macros already expanded) and then resolved by the checker.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lang/cel.hpp"

namespace ghost::lang::cel::detail {

enum class node_kind : std::uint8_t {
    constant,
    ident,          // a variable of the activation (name)
    local,          // a comprehension variable (local_depth frames up)
    select,         // args[0].name
    has,            // has(args[0].name)
    call,           // name(args...), member_call: args[0] was the receiver
    list,           // [args...]
    map,            // {args[0]: args[1], ...}
    logical_and,    // args[0] && args[1]
    logical_or,     // args[0] || args[1]
    ternary,        // args[0] ? args[1] : args[2]
    comprehension,  // args[0] = range, args[1] = predicate/transform, args[2] = transform (map/3)
};

enum class comp_kind : std::uint8_t { all, exists, exists_one, map, filter, map_filter };

// Parser nesting bound (parentheses, unary chains) and bound of the tree height, so that no
// recursion over a tree (check, evaluation, destruction) can exhaust the stack.
inline constexpr int max_parse_depth = 250;
inline constexpr int max_tree_height = 400;

struct node {
    node_kind kind = node_kind::constant;
    bool member_call = false;
    comp_kind comp = comp_kind::all;
    std::uint32_t offset = 0;  // byte offset into the text (columns are computed on error)
    std::uint32_t height = 1;
    std::uint32_t local_depth = 0;
    value constant;    // constant
    std::string name;  // ident, select/has field, call function, comprehension variable
    std::vector<std::unique_ptr<node>> args;
    // resolved by the checker
    std::shared_ptr<const function_decl> fn;
    function_impl direct;  // specialized call (e.g. matches with a precompiled pattern)
    type_spec type;
};

using node_ptr = std::unique_ptr<node>;

}  // namespace ghost::lang::cel::detail
