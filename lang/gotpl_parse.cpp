// Lexer and parser of the Go text/template subset (see gotpl.hpp).

#include "lang/gotpl_ast.hpp"
#include "lang/gotpl_format.hpp"

#include <charconv>
#include <limits>

namespace ghost::lang::gotpl_detail {

namespace json = boost::json;

builtin find_builtin(std::string_view name) {
    struct entry {
        std::string_view name;
        builtin id;
    };
    static constexpr entry table[] = {
        {"and", builtin::and_},     {"or", builtin::or_},       {"not", builtin::not_},
        {"eq", builtin::eq},        {"ne", builtin::ne},        {"lt", builtin::lt},
        {"le", builtin::le},        {"gt", builtin::gt},        {"ge", builtin::ge},
        {"len", builtin::len},      {"index", builtin::index},  {"print", builtin::print},
        {"printf", builtin::printf}, {"println", builtin::println}, {"html", builtin::html},
        {"js", builtin::js},        {"urlquery", builtin::urlquery},
    };
    for (auto const& e : table)
        if (e.name == name) return e.id;
    return builtin::none;
}

std::string location(std::string_view text, std::uint32_t pos) {
    if (pos > text.size()) pos = std::uint32_t(text.size());
    std::string_view before = text.substr(0, pos);
    std::size_t line = 1;
    for (char c : before)
        if (c == '\n') ++line;
    auto nl = before.rfind('\n');
    std::size_t col = nl == std::string_view::npos ? pos : pos - (nl + 1);
    return "template:" + std::to_string(line) + ":" + std::to_string(col) + ": ";
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }

enum class tok : std::uint8_t {
    end,  // the closing delimiter (or ')' for a parenthesised pipeline, see parse_pipeline)
    ident,
    field,
    variable,
    dot,
    string,
    number,
    char_,
    lparen,
    rparen,
    pipe,
    declare,
    assign,
    comma,
};

struct token {
    tok t;
    bool space_before;
    std::uint32_t pos;
    std::string_view text;  // source text (without the leading '.' for fields)
    std::string value;      // decoded string / char literal
};


int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Decodes one Go escape sequence at s[i] (just after the backslash). Returns false if invalid.
bool decode_escape(std::string_view s, std::size_t& i, char quote, std::string& out) {
    if (i >= s.size()) return false;
    char c = s[i++];
    switch (c) {
    case 'a': out.push_back('\a'); return true;
    case 'b': out.push_back('\b'); return true;
    case 'f': out.push_back('\f'); return true;
    case 'n': out.push_back('\n'); return true;
    case 'r': out.push_back('\r'); return true;
    case 't': out.push_back('\t'); return true;
    case 'v': out.push_back('\v'); return true;
    case '\\': out.push_back('\\'); return true;
    case '\'':
    case '"':
        if (c != quote) return false;
        out.push_back(c);
        return true;
    case 'x':
    case 'u':
    case 'U': {
        int n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
        if (i + std::size_t(n) > s.size()) return false;
        std::uint32_t v = 0;
        for (int k = 0; k < n; ++k) {
            int h = hex_value(s[i++]);
            if (h < 0) return false;
            v = v * 16 + std::uint32_t(h);
        }
        if (c == 'x') out.push_back(char(v));
        else if (v > 0x10FFFF) return false;
        else gotpl_format::append_utf8(out, v);
        return true;
    }
    default:
        if (c >= '0' && c <= '7') {
            if (i + 2 > s.size()) return false;
            std::uint32_t v = std::uint32_t(c - '0');
            for (int k = 0; k < 2; ++k) {
                char d = s[i++];
                if (d < '0' || d > '7') return false;
                v = v * 8 + std::uint32_t(d - '0');
            }
            if (v > 255) return false;
            out.push_back(char(v));
            return true;
        }
        return false;
    }
}

// Go number literal (ints with base prefixes and underscores, floats).
bool parse_number(std::string_view text, json::value& out) {
    std::string s;
    s.reserve(text.size());
    for (char c : text)
        if (c != '_') s.push_back(c);
    std::string_view v = s;
    bool neg = false;
    if (!v.empty() && (v[0] == '+' || v[0] == '-')) {
        neg = v[0] == '-';
        v.remove_prefix(1);
    }
    if (v.empty()) return false;
    int base = 10;
    std::string_view digits = v;
    if (v.size() >= 2 && v[0] == '0') {
        char p = v[1];
        if (p == 'x' || p == 'X') base = 16, digits = v.substr(2);
        else if (p == 'o' || p == 'O') base = 8, digits = v.substr(2);
        else if (p == 'b' || p == 'B') base = 2, digits = v.substr(2);
        else if (is_digit(p)) base = 8, digits = v.substr(1);
    }
    std::uint64_t mag = 0;
    auto r = std::from_chars(digits.data(), digits.data() + digits.size(), mag, base);
    if (!digits.empty() && r.ec == std::errc() && r.ptr == digits.data() + digits.size())
        return gotpl_format::integer_value(neg, mag, out);
    if (base == 16 || base == 2 || (base == 8 && (v[1] == 'o' || v[1] == 'O'))) return false;
    double d = 0;
    auto rd = std::from_chars(v.data(), v.data() + v.size(), d);
    if (rd.ec != std::errc() || rd.ptr != v.data() + v.size()) return false;
    out = neg ? -d : d;
    return true;
}

class parser {
public:
    explicit parser(std::string_view text) : text_(text) {}

    bool run(tree& t, std::string& err) {
        vars_.push_back("$");
        term end;
        bool ok = parse_list(t.root, end);
        if (ok && end != term::eof) ok = fail(toks_.empty() ? 0 : toks_[0].pos,
                                              end == term::end ? "unexpected {{end}}"
                                                               : "unexpected {{else}}");
        if (!ok) {
            err = location(text_, err_pos_) + err_;
            return false;
        }
        t.max_vars = max_vars_;
        return true;
    }

private:
    enum class term { eof, end, else_ };

    bool fail(std::uint32_t pos, std::string msg) {
        if (err_.empty()) {
            err_pos_ = pos;
            err_ = std::move(msg);
        }
        return false;
    }

    // ---- lexing -------------------------------------------------------------------------

    // Scans the action starting at pos_ (just after "{{" and its trim marker) up to and including
    // the closing delimiter.
    bool lex_action() {
        toks_.clear();
        std::size_t n = text_.size();
        std::size_t p = pos_;
        bool space = true;
        for (;;) {
            if (p >= n) return fail(std::uint32_t(pos_), "unclosed action");
            char c = text_[p];
            if (is_space(c)) {
                while (p < n && is_space(text_[p])) ++p;
                if (text_.substr(p, 3) == "-}}") {
                    toks_.push_back(token{tok::end, true, std::uint32_t(p), {}, {}});
                    pos_ = p + 3;
                    trim_next_ = true;
                    return true;
                }
                space = true;
                continue;
            }
            if (text_.substr(p, 2) == "}}") {
                toks_.push_back(token{tok::end, space, std::uint32_t(p), {}, {}});
                pos_ = p + 2;
                trim_next_ = false;
                return true;
            }
            token t{tok::end, space, std::uint32_t(p), {}, {}};
            space = false;
            std::size_t start = p;
            switch (c) {
            case '|': t.t = tok::pipe; ++p; break;
            case '(': t.t = tok::lparen; ++p; break;
            case ')': t.t = tok::rparen; ++p; break;
            case ',': t.t = tok::comma; ++p; break;
            case '=': t.t = tok::assign; ++p; break;
            case ':':
                if (p + 1 < n && text_[p + 1] == '=') {
                    t.t = tok::declare;
                    p += 2;
                    break;
                }
                return fail(std::uint32_t(p), "expected :=");
            case '"': {
                t.t = tok::string;
                ++p;
                for (;;) {
                    if (p >= n || text_[p] == '\n')
                        return fail(std::uint32_t(start), "unterminated quoted string");
                    char ch = text_[p];
                    if (ch == '"') {
                        ++p;
                        break;
                    }
                    if (ch == '\\') {
                        ++p;
                        if (!decode_escape(text_, p, '"', t.value))
                            return fail(std::uint32_t(start), "invalid syntax in quoted string");
                        continue;
                    }
                    t.value.push_back(ch);
                    ++p;
                }
                break;
            }
            case '`': {
                t.t = tok::string;
                auto close = text_.find('`', p + 1);
                if (close == std::string_view::npos)
                    return fail(std::uint32_t(start), "unterminated raw quoted string");
                for (char ch : text_.substr(p + 1, close - p - 1))
                    if (ch != '\r') t.value.push_back(ch);
                p = close + 1;
                break;
            }
            case '\'': {
                t.t = tok::char_;
                ++p;
                std::string v;
                if (p < n && text_[p] == '\\') {
                    ++p;
                    if (!decode_escape(text_, p, '\'', v))
                        return fail(std::uint32_t(start), "invalid character constant");
                } else {
                    while (p < n && text_[p] != '\'') v.push_back(text_[p++]);
                }
                if (p >= n || text_[p] != '\'' || v.empty())
                    return fail(std::uint32_t(start), "unterminated character constant");
                ++p;
                t.value = std::move(v);
                break;
            }
            case '$':
                t.t = tok::variable;
                ++p;
                while (p < n && is_alnum(text_[p])) ++p;
                break;
            case '.':
                if (p + 1 < n && is_digit(text_[p + 1])) {
                    p = lex_number(p);
                    t.t = tok::number;
                } else if (p + 1 < n && is_alpha(text_[p + 1])) {
                    t.t = tok::field;
                    ++p;
                    start = p;
                    while (p < n && is_alnum(text_[p])) ++p;
                } else {
                    t.t = tok::dot;
                    ++p;
                }
                break;
            default:
                if (is_digit(c) || ((c == '+' || c == '-') && p + 1 < n &&
                                    (is_digit(text_[p + 1]) || text_[p + 1] == '.'))) {
                    p = lex_number(p);
                    t.t = tok::number;
                } else if (is_alpha(c)) {
                    t.t = tok::ident;
                    while (p < n && is_alnum(text_[p])) ++p;
                } else {
                    return fail(std::uint32_t(p),
                                std::string("unrecognized character in action: ") + c);
                }
            }
            t.text = text_.substr(start, p - start);
            toks_.push_back(std::move(t));
        }
    }

    std::size_t lex_number(std::size_t p) {
        std::size_t n = text_.size();
        if (text_[p] == '+' || text_[p] == '-') ++p;
        bool hex = p + 1 < n && text_[p] == '0' && (text_[p + 1] == 'x' || text_[p + 1] == 'X');
        while (p < n) {
            char c = text_[p];
            if (is_alnum(c) || c == '.') {
                ++p;
                if (p < n && (text_[p] == '+' || text_[p] == '-')) {
                    bool exp = hex ? (c == 'p' || c == 'P') : (c == 'e' || c == 'E');
                    if (exp) ++p;
                }
            } else {
                break;
            }
        }
        return p;
    }

    // ---- structure ----------------------------------------------------------------------

    static std::string_view trim_left(std::string_view s) {
        while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
        return s;
    }
    static std::string_view trim_right(std::string_view s) {
        while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
        return s;
    }

    void add_text(node_list& out, std::size_t from, std::string_view s) {
        if (trim_next_) s = trim_left(s);
        trim_next_ = false;
        if (s.empty()) return;
        node nd;
        nd.k = node::kind::text;
        nd.pos = std::uint32_t(from);
        nd.text = std::string(s);
        out.push_back(std::move(nd));
    }

    bool parse_list(node_list& out, term& end) {
        std::size_t n = text_.size();
        for (;;) {
            auto open = text_.find("{{", pos_);
            if (open == std::string_view::npos) {
                add_text(out, pos_, text_.substr(pos_));
                pos_ = n;
                end = term::eof;
                return true;
            }
            std::size_t inner = open + 2;
            bool trim_before = inner + 1 < n && text_[inner] == '-' && is_space(text_[inner + 1]);
            std::string_view seg = text_.substr(pos_, open - pos_);
            if (trim_before) {
                seg = trim_right(seg);
                inner += 2;
            }
            add_text(out, pos_, seg);
            pos_ = inner;
            // Comments: {{/* ... */}} with optional trim markers.
            std::size_t q = inner;
            while (trim_before && q < n && is_space(text_[q])) ++q;
            if (text_.substr(q, 2) == "/*") {
                auto close = text_.find("*/", q + 2);
                if (close == std::string_view::npos)
                    return fail(std::uint32_t(open), "unclosed comment");
                std::size_t after = close + 2;
                if (text_.substr(after, 2) == "}}") {
                    pos_ = after + 2;
                    trim_next_ = false;
                } else if (text_.substr(after, 4) == " -}}") {
                    pos_ = after + 4;
                    trim_next_ = true;
                } else {
                    return fail(std::uint32_t(open), "comment ends before closing delimiter");
                }
                continue;
            }
            if (!lex_action()) return false;
            ti_ = 0;
            const token& first = toks_[0];
            if (first.t == tok::end) return fail(first.pos, "missing value for command");
            if (first.t == tok::ident) {
                std::string_view kw = first.text;
                if (kw == "end") {
                    if (toks_[1].t != tok::end)
                        return fail(toks_[1].pos, "unexpected token in end");
                    end = term::end;
                    return true;
                }
                if (kw == "else") {
                    end = term::else_;
                    return true;
                }
                if (kw == "if" || kw == "with" || kw == "range") {
                    node nd;
                    if (!parse_control(kw == "if"     ? node::kind::if_
                                       : kw == "with" ? node::kind::with
                                                      : node::kind::range,
                                       0, nd))
                        return false;
                    out.push_back(std::move(nd));
                    continue;
                }
                if (kw == "break" || kw == "continue") {
                    if (range_depth_ == 0)
                        return fail(first.pos, std::string("{{") + std::string(kw) +
                                                   "}} outside {{range}}");
                    if (toks_[1].t != tok::end) return fail(toks_[1].pos, "unexpected token");
                    node nd;
                    nd.k = kw == "break" ? node::kind::break_ : node::kind::continue_;
                    nd.pos = first.pos;
                    out.push_back(std::move(nd));
                    continue;
                }
                if (kw == "define" || kw == "template" || kw == "block")
                    return fail(first.pos, "{{" + std::string(kw) + "}} is not supported");
            }
            node nd;
            nd.k = node::kind::action;
            nd.pos = first.pos;
            nd.pipe = std::make_unique<pipeline>();
            if (!parse_pipeline(*nd.pipe, node::kind::action, tok::end)) return false;
            out.push_back(std::move(nd));
        }
    }

    // toks_[at] is the keyword; the pipeline follows it.
    bool parse_control(node::kind k, std::size_t at, node& nd) {
        nd.k = k;
        nd.pos = toks_[at].pos;
        ti_ = at + 1;
        std::size_t mark = vars_.size();
        nd.pipe = std::make_unique<pipeline>();
        if (!parse_pipeline(*nd.pipe, k, tok::end)) return false;
        std::size_t after_decl = vars_.size();
        if (depth_ >= max_depth) return fail(nd.pos, "max expression depth exceeded");
        if (k == node::kind::range) ++range_depth_;
        term end;
        ++depth_;
        bool ok = parse_list(nd.list, end);
        --depth_;
        if (k == node::kind::range) --range_depth_;
        if (!ok) return false;
        if (end == term::eof) return fail(std::uint32_t(text_.size()), "unexpected EOF");
        if (end == term::else_) {
            vars_.resize(after_decl);
            if (toks_[1].t == tok::ident &&
                ((k == node::kind::if_ && toks_[1].text == "if") ||
                 (k == node::kind::with && toks_[1].text == "with"))) {
                // {{else if ...}} is {{else}}{{if ...}}...{{end}} sharing the outer {{end}}.
                node nested;
                if (!parse_control(k, 1, nested)) return false;
                nd.else_list.push_back(std::move(nested));
            } else {
                if (toks_[1].t != tok::end) return fail(toks_[1].pos, "unexpected token in else");
                if (!parse_list(nd.else_list, end)) return false;
                if (end != term::end)
                    return fail(end == term::eof ? std::uint32_t(text_.size()) : toks_[0].pos,
                                end == term::eof ? "unexpected EOF" : "expected end; found else");
            }
        }
        vars_.resize(mark);
        return true;
    }

    std::uint32_t find_var(std::string_view name) const {
        for (std::size_t i = vars_.size(); i-- > 0;)
            if (vars_[i] == name) return std::uint32_t(i);
        return std::numeric_limits<std::uint32_t>::max();
    }

    bool parse_pipeline(pipeline& p, node::kind context, tok end) {
        p.pos = toks_[ti_].pos;
        std::vector<std::string_view> names;
        if (toks_[ti_].t == tok::variable) {
            tok next = toks_[ti_ + 1].t;
            if (next == tok::declare || next == tok::assign) {
                names.push_back(toks_[ti_].text);
                p.assign = next == tok::assign;
                ti_ += 2;
            } else if (next == tok::comma && context == node::kind::range &&
                       ti_ + 3 < toks_.size() && toks_[ti_ + 2].t == tok::variable &&
                       (toks_[ti_ + 3].t == tok::declare || toks_[ti_ + 3].t == tok::assign)) {
                names.push_back(toks_[ti_].text);
                names.push_back(toks_[ti_ + 2].text);
                p.assign = toks_[ti_ + 3].t == tok::assign;
                ti_ += 4;
            } else if (next == tok::comma) {
                return fail(toks_[ti_].pos, "too many declarations");
            }
        }
        for (;;) {
            command c;
            c.pos = toks_[ti_].pos;
            while (toks_[ti_].t != tok::pipe && toks_[ti_].t != end &&
                   toks_[ti_].t != tok::end) {
                operand op;
                if (!parse_operand(op)) return false;
                c.args.push_back(std::move(op));
            }
            if (c.args.empty()) return fail(c.pos, "missing value for command");
            p.cmds.push_back(std::move(c));
            if (toks_[ti_].t == tok::pipe) {
                ++ti_;
                continue;
            }
            if (toks_[ti_].t == end) break;
            return fail(toks_[ti_].pos, "unclosed left paren");
        }
        for (auto name : names) {
            if (p.assign) {
                auto slot = find_var(name);
                if (slot == std::numeric_limits<std::uint32_t>::max())
                    return fail(p.pos, "undefined variable \"" + std::string(name) + "\"");
                p.decl.push_back(slot);
            } else {
                p.decl.push_back(std::uint32_t(vars_.size()));
                vars_.emplace_back(name);
                if (vars_.size() > max_vars_) max_vars_ = std::uint32_t(vars_.size());
            }
        }
        return true;
    }

    bool parse_operand(operand& op) {
        token& t = toks_[ti_++];
        op.pos = t.pos;
        switch (t.t) {
        case tok::ident:
            if (t.text == "true" || t.text == "false") {
                op.k = operand::kind::literal;
                op.literal = t.text == "true";
            } else if (t.text == "nil") {
                op.k = operand::kind::nil;
            } else if (t.text == "if" || t.text == "else" || t.text == "end" ||
                       t.text == "range" || t.text == "with" || t.text == "break" ||
                       t.text == "continue" || t.text == "define" || t.text == "template" ||
                       t.text == "block") {
                return fail(t.pos, "unexpected <" + std::string(t.text) + "> in command");
            } else {
                op.k = operand::kind::function;
                op.name = std::string(t.text);
                op.fn = find_builtin(t.text);
            }
            break;
        case tok::field:
            op.k = operand::kind::field;
            op.fields.emplace_back(t.text);
            break;
        case tok::variable: {
            auto slot = find_var(t.text);
            if (slot == std::numeric_limits<std::uint32_t>::max())
                return fail(t.pos, "undefined variable \"" + std::string(t.text) + "\"");
            op.k = operand::kind::variable;
            op.slot = slot;
            op.name = std::string(t.text);
            break;
        }
        case tok::dot: op.k = operand::kind::dot; break;
        case tok::string:
            op.k = operand::kind::literal;
            op.literal = json::string(t.value);
            break;
        case tok::number:
            op.k = operand::kind::literal;
            if (!parse_number(t.text, op.literal))
                return fail(t.pos, "illegal number syntax: " + std::string(t.text));
            break;
        case tok::char_: {
            op.k = operand::kind::literal;
            // Decode the first UTF-8 rune.
            const auto& v = t.value;
            auto b0 = static_cast<unsigned char>(v[0]);
            std::uint32_t cp = b0;
            std::size_t len = b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
            if (len > 1) {
                cp = b0 & (0xFF >> (len + 1));
                for (std::size_t i = 1; i < len && i < v.size(); ++i)
                    cp = (cp << 6) | (static_cast<unsigned char>(v[i]) & 0x3F);
            }
            if (len != v.size()) return fail(t.pos, "invalid character constant");
            op.literal = std::int64_t(cp);
            break;
        }
        case tok::lparen: {
            if (depth_ >= max_depth) return fail(t.pos, "max expression depth exceeded");
            op.k = operand::kind::sub;
            op.sub = std::make_unique<pipeline>();
            ++depth_;
            bool ok = parse_pipeline(*op.sub, node::kind::action, tok::rparen);
            --depth_;
            if (!ok) return false;
            ++ti_;  // ')'
            break;
        }
        case tok::end: return fail(t.pos, "unclosed action");
        default:
            return fail(t.pos, "unexpected \"" + std::string(t.text) + "\" in operand");
        }
        while (toks_[ti_].t == tok::field && !toks_[ti_].space_before) {
            if (op.k == operand::kind::literal || op.k == operand::kind::nil ||
                op.k == operand::kind::dot)
                return fail(toks_[ti_].pos, "unexpected . after term");
            op.fields.emplace_back(toks_[ti_].text);
            ++ti_;
        }
        return true;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    bool trim_next_ = false;
    std::vector<token> toks_;
    std::size_t ti_ = 0;
    std::vector<std::string> vars_;
    std::uint32_t max_vars_ = 1;
    int range_depth_ = 0;
    // Nested parentheses and blocks, each a recursion here and when the template runs: Go
    // stops at 10,000; a smaller bound keeps the stack safe (gotpl_fuzz: 2,765 '(' overflowed
    // it under ASan). No real template comes near.
    static constexpr int max_depth = 200;
    int depth_ = 0;
    std::string err_;
    std::uint32_t err_pos_ = 0;
};

}  // namespace

bool parse_tree(tree& t, std::string& error) {
    parser p(t.text);
    return p.run(t, error);
}

}  // namespace ghost::lang::gotpl_detail
