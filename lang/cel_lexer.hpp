#pragma once

// Tokens of CEL text, with literals decoded (escapes, raw and triple-quoted strings, bytes).

#include <cstdint>
#include <string>
#include <string_view>

namespace ghost::lang::cel::detail {

enum class tok : std::uint8_t {
    end,
    error,
    ident,
    quoted_ident,  // `a-b.c`: a field name that is not an identifier
    int_lit,  // magnitude in u; may be 2^63 (only valid negated)
    uint_lit,
    double_lit,
    string_lit,
    bytes_lit,
    kw_true,
    kw_false,
    kw_null,
    kw_in,
    lparen,
    rparen,
    lbracket,
    rbracket,
    lbrace,
    rbrace,
    dot,
    comma,
    colon,
    question,
    plus,
    minus,
    star,
    slash,
    percent,
    bang,
    lt,
    le,
    gt,
    ge,
    eq,
    ne,
    and_and,
    or_or,
};

struct token {
    tok kind = tok::end;
    std::size_t offset = 0;  // byte offset of the token start
    std::uint64_t u = 0;
    double d = 0;
    std::string text;  // identifier, decoded string/bytes, or error message
};

class lexer {
public:
    explicit lexer(std::string_view text) : s_(text) {}
    token next() {
        token t = next_token();
        after_dot_ = t.kind == tok::dot;
        return t;
    }

private:
    token next_token();
    token lex_number();
    token lex_string(std::size_t start, bool raw, bool bytes);
    token fail(std::size_t at, std::string what);

    std::string_view s_;
    std::size_t p_ = 0;
    bool after_dot_ = false;  // cel-go reserves words as identifiers, not as `x.namespace` fields
};

// 1-based column (in code points) of a byte offset.
std::uint32_t column_of(std::string_view text, std::size_t offset) noexcept;
bool valid_utf8(std::string_view s) noexcept;
void append_utf8(std::string& out, std::uint32_t cp);

}  // namespace ghost::lang::cel::detail
