#pragma once
// Internal: the parsed form of a template. Variables are resolved to stack slots at parse time
// (the runtime stack mirrors the parser's scopes), functions to builtin ids where possible.

#include <boost/json/value.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ghost::lang::gotpl_detail {

enum class builtin : std::uint8_t {
    none,
    and_,
    or_,
    not_,
    eq,
    ne,
    lt,
    le,
    gt,
    ge,
    len,
    index,
    print,
    printf,
    println,
    html,
    js,
    urlquery,
};

builtin find_builtin(std::string_view name);

struct pipeline;

struct operand {
    enum class kind : std::uint8_t { dot, field, variable, literal, nil, function, sub };
    kind k = kind::dot;
    builtin fn = builtin::none;
    std::uint32_t pos = 0;
    std::uint32_t slot = 0;           // variable
    std::string name;                 // function or variable name
    std::vector<std::string> fields;  // field chain applied to the term
    boost::json::value literal;
    std::unique_ptr<pipeline> sub;
};

struct command {
    std::uint32_t pos = 0;
    std::vector<operand> args;
};

struct pipeline {
    std::uint32_t pos = 0;
    bool assign = false;                // `=` rather than `:=`
    std::vector<std::uint32_t> decl;    // variable slots
    std::vector<command> cmds;
};

struct node;
using node_list = std::vector<node>;

struct node {
    enum class kind : std::uint8_t { text, action, if_, with, range, break_, continue_ };
    kind k = kind::text;
    std::uint32_t pos = 0;
    std::string text;
    std::unique_ptr<pipeline> pipe;
    node_list list;
    node_list else_list;
};

struct tree {
    std::string text;
    node_list root;
    std::uint32_t max_vars = 1;
};

// Parses t.text into t.root; on failure `error` is "template:LINE:COL: message".
bool parse_tree(tree& t, std::string& error);

// "template:LINE:COL: " for a byte offset into `text`.
std::string location(std::string_view text, std::uint32_t pos);

}  // namespace ghost::lang::gotpl_detail
