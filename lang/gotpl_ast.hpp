#pragma once
// Internal: the parsed form of a template. Variables are resolved to stack slots at parse time
// (the runtime stack mirrors the parser's scopes), functions to builtin ids where possible.

#include "lang/yaml_line.hpp"

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

// The render plan of a text node: its text split at newlines, each line start's YAML head
// (indentation, dash, key) parsed once when the piece holds all of it.
struct text_piece {
    bool starts_line = false;  // preceded by a newline of this text
    std::uint32_t begin = 0;   // into node::text
    std::uint32_t size = 0;
    std::int32_t head = -1;    // index into tree::heads, -1: parsed when the line is complete
};

struct plan_head {
    std::size_t indent = 0;
    yaml_line::line_head head;
};

struct node {
    enum class kind : std::uint8_t { text, action, if_, with, range, break_, continue_ };
    kind k = kind::text;
    std::uint32_t pos = 0;
    std::string text;
    std::vector<text_piece> pieces;  // text
    std::unique_ptr<pipeline> pipe;
    node_list list;
    node_list else_list;
};

struct tree {
    std::string text;
    node_list root;
    std::uint32_t max_vars = 1;
    std::vector<plan_head> heads;
    bool plan_ok = false;  // the output can be built as JSON as it is rendered (render plan)
};

// Compiles the render plan of a parsed tree (text pieces and heads); plan_ok false when some
// text can never take it (control characters other than newlines).
void compile_plan(tree& t);

// Parses t.text into t.root; on failure `error` is "template:LINE:COL: message".
bool parse_tree(tree& t, std::string& error);

// "template:LINE:COL: " for a byte offset into `text`.
std::string location(std::string_view text, std::uint32_t pos);

}  // namespace ghost::lang::gotpl_detail
