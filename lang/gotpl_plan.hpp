#pragma once
// Internal: the render plan. A template whose output is plain block YAML is built as JSON while
// it executes: static text arrives as pre-split pieces (line heads parsed at compile time),
// action output as text, and each finished line goes straight into a yaml_line::builder. No
// rendered text, no second parse; anything the builder does not take fails the plan and the
// caller renders the text and parses it as YAML instead.

#include "lang/gotpl_ast.hpp"
#include "lang/yaml_line.hpp"

#include <string>
#include <string_view>

namespace ghost::lang::gotpl_detail {

class line_feed {
public:
    // `line_buffer` is the caller's (reused across renders: it keeps its capacity).
    line_feed(const tree& t, yaml_line::builder& b, std::string& line_buffer)
        : tree_(t), builder_(b), buf_(line_buffer) {
        buf_.clear();
    }

    void text(const node& nd);
    void dynamic(std::string_view s);
    // The document (after trim_space, as the YAML path sees it); false: use the YAML path.
    bool finish(boost::json::value& out);
    bool ok() const { return ok_ && builder_.ok(); }

private:
    void end_line();
    void line(std::size_t indent, const yaml_line::line_head& head, std::string_view value);

    const tree& tree_;
    yaml_line::builder& builder_;
    const plan_head* head_ = nullptr;  // the current line's head, parsed at compile time
    std::string& buf_;                 // head_: its value so far; else the line so far
    yaml_line::line_head scratch_;
    bool first_line_ = true;  // trim_space: the first content line starts at column 0
    bool ok_ = true;
};

}  // namespace ghost::lang::gotpl_detail
