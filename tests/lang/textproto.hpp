#pragma once

// A small reader of protobuf text format, enough for the CEL conformance files: fields with
// scalar or message values, `[type.url/Name]` extension names, comments, and adjacent string
// literals with C escapes. No schema: every value is kept as text or as a nested message.

#include <string>
#include <string_view>
#include <vector>

namespace ghost::tests::textproto {

struct field {
    std::string name;
    bool is_message = false;
    bool is_string = false;  // a quoted scalar (escapes decoded)
    std::string scalar;
    std::vector<field> children;

    const field* get(std::string_view child) const noexcept;
    std::vector<const field*> all(std::string_view child) const;
};

// Parses a whole file into root.children; false with a message ("line N: ...") on error.
bool parse(std::string_view text, field& root, std::string& error);

}  // namespace ghost::tests::textproto
