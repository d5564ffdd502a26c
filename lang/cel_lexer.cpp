#include "lang/cel_lexer.hpp"

#include <cerrno>
#include <charconv>
#include <cstdlib>

namespace ghost::lang::cel::detail {

std::uint32_t column_of(std::string_view text, std::size_t offset) noexcept {
    std::uint32_t col = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++col;
    }
    return col;
}

bool valid_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        for (std::size_t k = 1; k <= n; ++k) {
            if (i + k >= s.size()) return false;
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += n + 1;
    }
    return true;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

namespace {

bool is_ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c); }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool reserved(std::string_view w) {
    static constexpr std::string_view words[] = {
        "as",  "break",  "const",     "continue", "else",   "for",  "function", "if",
        "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"};
    for (auto r : words) {
        if (r == w) return true;
    }
    return false;
}

}  // namespace

token lexer::fail(std::size_t at, std::string what) {
    token t;
    t.kind = tok::error;
    t.offset = at;
    t.text = std::move(what);
    p_ = s_.size();
    return t;
}

token lexer::next_token() {
    // whitespace and // comments
    for (;;) {
        while (p_ < s_.size() &&
               (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == '\n' || s_[p_] == '\r' ||
                s_[p_] == '\f' || s_[p_] == '\v')) {
            ++p_;
        }
        if (p_ + 1 < s_.size() && s_[p_] == '/' && s_[p_ + 1] == '/') {
            while (p_ < s_.size() && s_[p_] != '\n') ++p_;
            continue;
        }
        break;
    }
    token t;
    t.offset = p_;
    if (p_ >= s_.size()) return t;
    const char c = s_[p_];
    const char n = p_ + 1 < s_.size() ? s_[p_ + 1] : '\0';

    if (is_digit(c) || (c == '.' && is_digit(n))) return lex_number();

    if (c == '"' || c == '\'') return lex_string(p_, false, false);
    if (c == '`') {
        const std::size_t e = s_.find('`', p_ + 1);
        if (e == std::string_view::npos) return fail(p_, "unterminated quoted identifier");
        t.text = std::string(s_.substr(p_ + 1, e - p_ - 1));
        if (t.text.empty() || t.text.find_first_of("\n\r") != std::string::npos) {
            return fail(p_, "invalid quoted identifier");
        }
        t.kind = tok::quoted_ident;
        p_ = e + 1;
        return t;
    }
    if (is_ident_start(c)) {
        // string prefixes r, b, rb, br (any case)
        std::size_t q = p_;
        bool raw = false, bytes = false;
        for (int i = 0; i < 2 && q < s_.size(); ++i) {
            const char pc = s_[q];
            if ((pc == 'r' || pc == 'R') && !raw) {
                raw = true;
                ++q;
            } else if ((pc == 'b' || pc == 'B') && !bytes) {
                bytes = true;
                ++q;
            } else {
                break;
            }
        }
        if ((raw || bytes) && q < s_.size() && (s_[q] == '"' || s_[q] == '\'')) {
            const std::size_t start = p_;
            p_ = q;
            token st = lex_string(start, raw, bytes);
            return st;
        }
        std::size_t e = p_;
        while (e < s_.size() && is_ident_char(s_[e])) ++e;
        const std::string_view word = s_.substr(p_, e - p_);
        p_ = e;
        if (word == "true") t.kind = tok::kw_true;
        else if (word == "false") t.kind = tok::kw_false;
        else if (word == "null") t.kind = tok::kw_null;
        else if (word == "in") t.kind = tok::kw_in;
        else if (reserved(word) && !after_dot_) {
            return fail(t.offset, "reserved identifier '" + std::string(word) + "'");
        }
        else {
            t.kind = tok::ident;
            t.text = std::string(word);
        }
        return t;
    }
    auto two = [&](char second, tok yes, tok no) {
        if (n == second) {
            p_ += 2;
            t.kind = yes;
        } else {
            p_ += 1;
            t.kind = no;
        }
        return t;
    };
    switch (c) {
    case '(': ++p_; t.kind = tok::lparen; return t;
    case ')': ++p_; t.kind = tok::rparen; return t;
    case '[': ++p_; t.kind = tok::lbracket; return t;
    case ']': ++p_; t.kind = tok::rbracket; return t;
    case '{': ++p_; t.kind = tok::lbrace; return t;
    case '}': ++p_; t.kind = tok::rbrace; return t;
    case '.': ++p_; t.kind = tok::dot; return t;
    case ',': ++p_; t.kind = tok::comma; return t;
    case ':': ++p_; t.kind = tok::colon; return t;
    case '?': ++p_; t.kind = tok::question; return t;
    case '+': ++p_; t.kind = tok::plus; return t;
    case '-': ++p_; t.kind = tok::minus; return t;
    case '*': ++p_; t.kind = tok::star; return t;
    case '/': ++p_; t.kind = tok::slash; return t;
    case '%': ++p_; t.kind = tok::percent; return t;
    case '<': return two('=', tok::le, tok::lt);
    case '>': return two('=', tok::ge, tok::gt);
    case '!': return two('=', tok::ne, tok::bang);
    case '=':
        if (n == '=') {
            p_ += 2;
            t.kind = tok::eq;
            return t;
        }
        return fail(p_, "unexpected '=' (did you mean '=='?)");
    case '&':
        if (n == '&') {
            p_ += 2;
            t.kind = tok::and_and;
            return t;
        }
        return fail(p_, "unexpected '&' (did you mean '&&'?)");
    case '|':
        if (n == '|') {
            p_ += 2;
            t.kind = tok::or_or;
            return t;
        }
        return fail(p_, "unexpected '|' (did you mean '||'?)");
    default: break;
    }
    return fail(p_, "unexpected character");
}

token lexer::lex_number() {
    token t;
    t.offset = p_;
    const std::size_t start = p_;
    if (s_[p_] == '0' && p_ + 1 < s_.size() && (s_[p_ + 1] == 'x' || s_[p_ + 1] == 'X')) {
        p_ += 2;
        std::uint64_t v = 0;
        bool overflow = false;
        const std::size_t ds = p_;
        while (p_ < s_.size() && hex_value(s_[p_]) >= 0) {
            if (v > (UINT64_MAX >> 4)) overflow = true;
            v = (v << 4) | static_cast<std::uint64_t>(hex_value(s_[p_]));
            ++p_;
        }
        if (p_ == ds) return fail(start, "invalid hex literal");
        t.u = v;
        if (p_ < s_.size() && (s_[p_] == 'u' || s_[p_] == 'U')) {
            ++p_;
            t.kind = tok::uint_lit;
        } else {
            t.kind = tok::int_lit;
            if (v > 9223372036854775808ULL) overflow = true;
        }
        if (overflow) return fail(start, "integer literal out of range");
        if (p_ < s_.size() && is_ident_char(s_[p_])) return fail(p_, "invalid number literal");
        return t;
    }
    while (p_ < s_.size() && is_digit(s_[p_])) ++p_;
    bool is_float = false;
    if (p_ + 1 < s_.size() && s_[p_] == '.' && is_digit(s_[p_ + 1])) {
        is_float = true;
        ++p_;
        while (p_ < s_.size() && is_digit(s_[p_])) ++p_;
    }
    if (p_ < s_.size() && (s_[p_] == 'e' || s_[p_] == 'E')) {
        std::size_t q = p_ + 1;
        if (q < s_.size() && (s_[q] == '+' || s_[q] == '-')) ++q;
        if (q < s_.size() && is_digit(s_[q])) {
            is_float = true;
            while (q < s_.size() && is_digit(s_[q])) ++q;
            p_ = q;
        } else {
            return fail(start, "invalid exponent");
        }
    }
    const std::string text(s_.substr(start, p_ - start));
    if (is_float) {
        errno = 0;
        t.d = std::strtod(text.c_str(), nullptr);
        t.kind = tok::double_lit;
        if (p_ < s_.size() && is_ident_char(s_[p_])) return fail(p_, "invalid number literal");
        return t;
    }
    std::uint64_t v = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    const bool overflow = r.ec == std::errc::result_out_of_range;
    t.u = v;
    if (p_ < s_.size() && (s_[p_] == 'u' || s_[p_] == 'U')) {
        ++p_;
        t.kind = tok::uint_lit;
        if (overflow) return fail(start, "integer literal out of range");
    } else {
        t.kind = tok::int_lit;
        if (overflow || v > 9223372036854775808ULL) {
            return fail(start, "integer literal out of range");
        }
    }
    if (p_ < s_.size() && is_ident_char(s_[p_])) return fail(p_, "invalid number literal");
    return t;
}

token lexer::lex_string(std::size_t start, bool raw, bool bytes) {
    token t;
    t.offset = start;
    t.kind = bytes ? tok::bytes_lit : tok::string_lit;
    const char q = s_[p_];
    const bool triple = p_ + 2 < s_.size() && s_[p_ + 1] == q && s_[p_ + 2] == q;
    p_ += triple ? 3 : 1;
    std::string& out = t.text;
    for (;;) {
        if (p_ >= s_.size()) return fail(start, "unterminated string literal");
        const char c = s_[p_];
        if (triple) {
            if (c == q && p_ + 2 < s_.size() && s_[p_ + 1] == q && s_[p_ + 2] == q) {
                p_ += 3;
                break;
            }
        } else {
            if (c == q) {
                ++p_;
                break;
            }
            if (c == '\n' || c == '\r') return fail(start, "newline in string literal");
        }
        if (c != '\\' || raw) {
            out += c;
            ++p_;
            continue;
        }
        const std::size_t esc = p_;
        ++p_;
        if (p_ >= s_.size()) return fail(esc, "unterminated escape");
        const char e = s_[p_++];
        switch (e) {
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'v': out += '\v'; break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case '`': out += '`'; break;
        case '?': out += '?'; break;
        case 'x':
        case 'X':
        case 'u':
        case 'U': {
            const int len = (e == 'x' || e == 'X') ? 2 : (e == 'u' ? 4 : 8);
            std::uint32_t v = 0;
            for (int i = 0; i < len; ++i) {
                if (p_ >= s_.size() || hex_value(s_[p_]) < 0) return fail(esc, "invalid escape");
                v = (v << 4) | static_cast<std::uint32_t>(hex_value(s_[p_]));
                ++p_;
            }
            if (len == 2 && bytes) {
                out += static_cast<char>(v);
            } else {
                if (len > 2 && bytes) return fail(esc, "unicode escape in bytes literal");
                if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
                    return fail(esc, "invalid unicode code point");
                }
                append_utf8(out, v);
            }
            break;
        }
        default:
            if (e >= '0' && e <= '3') {
                std::uint32_t v = static_cast<std::uint32_t>(e - '0');
                for (int i = 0; i < 2; ++i) {
                    if (p_ >= s_.size() || s_[p_] < '0' || s_[p_] > '7') {
                        return fail(esc, "invalid octal escape");
                    }
                    v = v * 8 + static_cast<std::uint32_t>(s_[p_] - '0');
                    ++p_;
                }
                if (bytes) out += static_cast<char>(v);
                else append_utf8(out, v);
                break;
            }
            return fail(esc, "invalid escape sequence");
        }
    }
    if (!bytes && !valid_utf8(out)) return fail(start, "invalid UTF-8 in string literal");
    return t;
}

}  // namespace ghost::lang::cel::detail
