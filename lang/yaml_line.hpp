#pragma once
// Internal: single-line YAML block syntax (go-yaml v2 rules), shared by the block parser of
// yaml_json.cpp and the template render plan, plus the streaming builder the plan feeds. Both
// only take plain block structure (mappings, sequences, one-line scalars, `[]`/`{}`, comments)
// and give up on anything else, so that the caller falls back to yaml-cpp.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::lang::yaml_line {

inline bool is_dash(std::string_view c) { return c == "-" || c.starts_with("- "); }

// Position of the ':' that ends a plain or quoted key, or npos.
std::size_t key_colon(std::string_view c);

// Nothing but spaces and an optional comment.
bool blank_or_comment(std::string_view rest);

// Whether `s` may be a plain scalar on one line (no indicator first, no ": ", no trailing ':').
bool plain_ok(std::string_view s);

// A single-line scalar value followed by nothing but an optional comment; false: not handled.
bool scalar(std::string_view s, boost::json::value& out);

// The text of a mapping key (`key_src` without the colon, trailing spaces dropped): quoted keys
// unquoted, plain ones as go-yaml stringifies their resolved value. False: not handled.
bool key_text(std::string_view key_src, boost::json::storage_ptr sp, std::string& storage,
              std::string_view& key);

// What a line holds after its indentation. `dash` > 0 for a sequence entry: the column (from
// the line's indentation) where its content starts; `key` set for a mapping entry; `value`
// is the rest (empty: a nested value follows).
struct line_head {
    std::size_t dash = 0;
    bool has_key = false;
    std::string key;
    std::size_t value_at = 0;  // offset of the value in the content
};

// Splits `content` (no indentation, not blank, not a comment). False: not handled (a lone
// scalar, "- - x", a bad key).
bool parse_head(std::string_view content, line_head& head);

// Builds JSON from block lines as they come, as yaml_json's block parser would from the whole
// text. `line()` per content line; `finish()` gives the document. Any line it does not take
// makes it fail (`ok()` false); the caller then uses the YAML path.
class builder {
public:
    explicit builder(boost::json::storage_ptr sp) : sp_(std::move(sp)) {}

    // `indent` spaces, then a line with `head` parsed from `content`, whose value text is
    // `value` (already sliced: what follows the key or dash).
    void line(std::size_t indent, const line_head& head, std::string_view value);
    bool finish(boost::json::value& out);
    bool ok() const { return ok_; }
    void reset(boost::json::storage_ptr sp);

private:
    struct frame {
        // The container is made in the builder's storage: a json::value assigned from one in
        // another storage would be deep-copied into its own.
        frame(bool map, std::size_t at, boost::json::storage_ptr sp)
            : is_map(map), indent(at), container(std::move(sp)) {
            // Room for a typical status mapping: no rehash while it fills.
            if (map) container.emplace_object().reserve(8);
            else container.emplace_array();
        }
        bool is_map = true;
        std::size_t indent = 0;
        boost::json::value container;  // object or array
        std::string key;               // map: the key waiting for its value
        bool awaiting = false;         // a key or dash whose nested value may follow
        bool pending = false;          // a key/item not yet stored
    };

    bool fail() { return ok_ = false; }
    void open(bool is_map, std::size_t indent);
    void store(frame& f, boost::json::value v);
    void close_pending(frame& f);
    void pop();
    void entry(std::size_t indent, const line_head& head, std::string_view value);

    boost::json::storage_ptr sp_;
    std::vector<frame> stack_;
    std::optional<boost::json::value> root_;  // the finished top-level node
    bool ok_ = true;
};

}  // namespace ghost::lang::yaml_line
