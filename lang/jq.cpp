#include "lang/jq.hpp"

#include "lang/gotpl_format.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <type_traits>
#include <variant>

namespace ghost::lang {

namespace json = boost::json;

namespace jq_detail {

enum class op {
    identity, field, index, iterate, literal, pipe, comma, alt, and_, or_, cmp, call, collect,
    assign, try_,
};
enum class cmp_op { eq, ne, lt, le, gt, ge };

struct node {
    op kind = op::identity;
    std::string name;        // field name, function name
    json::value lit;         // literal
    cmp_op cmp = cmp_op::eq;
    std::vector<std::shared_ptr<const node>> kids;
};

}  // namespace jq_detail

namespace {

using jq_detail::cmp_op;
using jq_detail::node;
using jq_detail::op;
using node_ptr = std::shared_ptr<const node>;

// ---------------------------------------------------------------------------------------------
// Lexer

enum class tok {
    end, dot, field, string, number, ident, pipe, comma, lparen, rparen, lbracket, rbracket,
    question, eq, ne, lt, le, gt, ge, assign, alt, semicolon, minus,
};

struct token {
    tok kind = tok::end;
    std::string text;  // field name, identifier, decoded string
    double number = 0;
    std::size_t pos = 0;
};

[[noreturn]] void fail(std::string_view src, std::size_t pos, const std::string& what) {
    throw jq_parse_error("jq: column " + std::to_string(pos + 1) + ": " + what + " in `" +
                             std::string(src) + "`",
                         pos + 1);
}

bool ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }

std::vector<token> lex(std::string_view s) {
    std::vector<token> out;
    std::size_t i = 0;
    while (i < s.size()) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            ++i;
            continue;
        }
        token t;
        t.pos = i;
        auto two = [&](char next) { return i + 1 < s.size() && s[i + 1] == next; };
        if (c == '.') {
            if (i + 1 < s.size() && ident_start(s[i + 1])) {
                std::size_t j = i + 1;
                while (j < s.size() && ident_char(s[j])) ++j;
                t.kind = tok::field;
                t.text = std::string(s.substr(i + 1, j - i - 1));
                i = j;
            } else if (two('.')) {
                fail(s, i, "recursive descent `..` is not supported");
            } else {
                t.kind = tok::dot;
                ++i;
            }
        } else if (c == '"') {
            std::size_t j = i + 1;
            std::string text;
            bool closed = false;
            while (j < s.size()) {
                char d = s[j];
                if (d == '"') {
                    closed = true;
                    ++j;
                    break;
                }
                if (d == '\\') {
                    if (j + 1 >= s.size()) break;
                    char e = s[j + 1];
                    j += 2;
                    switch (e) {
                    case 'n': text += '\n'; break;
                    case 't': text += '\t'; break;
                    case 'r': text += '\r'; break;
                    case 'b': text += '\b'; break;
                    case 'f': text += '\f'; break;
                    case '/': text += '/'; break;
                    case '\\': text += '\\'; break;
                    case '"': text += '"'; break;
                    case 'u': {
                        if (j + 4 > s.size()) fail(s, j, "bad \\u escape");
                        unsigned cp = 0;
                        auto r = std::from_chars(s.data() + j, s.data() + j + 4, cp, 16);
                        if (r.ptr != s.data() + j + 4) fail(s, j, "bad \\u escape");
                        gotpl_format::append_utf8(text, cp);
                        j += 4;
                        break;
                    }
                    case '(': fail(s, j - 2, "string interpolation is not supported");
                    default: fail(s, j - 2, std::string("unknown escape \\") + e);
                    }
                    continue;
                }
                text += d;
                ++j;
            }
            if (!closed) fail(s, i, "unterminated string");
            t.kind = tok::string;
            t.text = std::move(text);
            i = j;
        } else if (c >= '0' && c <= '9') {
            std::size_t j = i;
            while (j < s.size() && ((s[j] >= '0' && s[j] <= '9') || s[j] == '.' || s[j] == 'e' ||
                                    s[j] == 'E' ||
                                    ((s[j] == '+' || s[j] == '-') && (s[j - 1] == 'e' ||
                                                                      s[j - 1] == 'E'))))
                ++j;
            std::string num(s.substr(i, j - i));
            char* end = nullptr;
            t.number = std::strtod(num.c_str(), &end);
            if (end != num.c_str() + num.size()) fail(s, i, "bad number `" + num + "`");
            t.kind = tok::number;
            t.text = num;
            i = j;
        } else if (ident_start(c)) {
            std::size_t j = i;
            while (j < s.size() && ident_char(s[j])) ++j;
            t.kind = tok::ident;
            t.text = std::string(s.substr(i, j - i));
            i = j;
        } else {
            switch (c) {
            case '|': t.kind = tok::pipe; break;
            case ',': t.kind = tok::comma; break;
            case '(': t.kind = tok::lparen; break;
            case ')': t.kind = tok::rparen; break;
            case '[': t.kind = tok::lbracket; break;
            case ']': t.kind = tok::rbracket; break;
            case '?': t.kind = tok::question; break;
            case ';': t.kind = tok::semicolon; break;
            case '-': t.kind = tok::minus; break;
            case '=':
                t.kind = two('=') ? tok::eq : tok::assign;
                break;
            case '!':
                if (!two('=')) fail(s, i, "unexpected `!`");
                t.kind = tok::ne;
                break;
            case '<': t.kind = two('=') ? tok::le : tok::lt; break;
            case '>': t.kind = two('=') ? tok::ge : tok::gt; break;
            case '/':
                if (!two('/')) fail(s, i, "arithmetic `/` is not supported");
                t.kind = tok::alt;
                break;
            default: fail(s, i, std::string("unexpected character `") + c + "`");
            }
            bool wide = t.kind == tok::eq || t.kind == tok::ne || t.kind == tok::le ||
                        t.kind == tok::ge || t.kind == tok::alt;
            if (t.kind == tok::pipe && two('=')) fail(s, i, "update-assignment `|=` is not supported");
            i += wide ? 2 : 1;
        }
        out.push_back(std::move(t));
    }
    token e;
    e.pos = s.size();
    out.push_back(e);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Parser (recursive descent, jq precedence: | < , < // < = < or < and < comparisons < postfix)

node_ptr make(op kind, std::vector<node_ptr> kids = {}, std::string name = {}) {
    auto n = std::make_shared<node>();
    n->kind = kind;
    n->kids = std::move(kids);
    n->name = std::move(name);
    return n;
}

node_ptr make_literal(json::value v) {
    auto n = std::make_shared<node>();
    n->kind = op::literal;
    n->lit = std::move(v);
    return n;
}

const std::vector<std::pair<std::string_view, int>>& known_functions() {
    static const std::vector<std::pair<std::string_view, int>> fns = {
        {"select", 1}, {"map", 1},      {"has", 1},      {"first", 1},    {"not", 0},
        {"length", 0}, {"keys", 0},     {"empty", 0},    {"type", 0},     {"tostring", 0},
        {"tonumber", 0}, {"first", 0},  {"last", 0},     {"ascii_downcase", 0},
        {"ascii_upcase", 0},
    };
    return fns;
}

class parser {
public:
    explicit parser(std::string_view src) : src_(src), toks_(lex(src)) {}

    node_ptr parse_all() {
        auto n = parse_pipe();
        if (peek().kind != tok::end) fail(src_, peek().pos, "unexpected " + describe(peek()));
        return n;
    }

private:
    const token& peek(std::size_t ahead = 0) const {
        return toks_[std::min(pos_ + ahead, toks_.size() - 1)];
    }
    const token& next() { return toks_[std::min(pos_++, toks_.size() - 1)]; }
    bool accept(tok k) {
        if (peek().kind != k) return false;
        ++pos_;
        return true;
    }
    void expect(tok k, std::string_view what) {
        if (!accept(k))
            fail(src_, peek().pos, "expected " + std::string(what) + ", got " + describe(peek()));
    }
    std::string describe(const token& t) const {
        switch (t.kind) {
        case tok::end: return "end of expression";
        case tok::field: return "`." + t.text + "`";
        case tok::string: return "string \"" + t.text + "\"";
        case tok::number: return "number " + t.text;
        case tok::ident: return "`" + t.text + "`";
        default: return "`" + std::string(src_.substr(t.pos, 1)) + "`";
        }
    }

    // Parsing and evaluation recurse per level: bounded so that `[[[[...` (found by
    // fuzz/jq_fuzz) is an error, not a stack overflow.
    static constexpr int max_depth = 256;
    node_ptr parse_pipe() {
        struct level {
            int& d;
            ~level() { --d; }
        } guard{++depth_};
        if (depth_ > max_depth)
            fail(src_, peek().pos,
                 "nested deeper than " + std::to_string(max_depth) + " (`(`, `[`, `{` or `|`)");
        auto lhs = parse_comma();
        if (accept(tok::pipe)) return make(op::pipe, {lhs, parse_pipe()});
        return lhs;
    }
    node_ptr parse_comma() {
        auto lhs = parse_alt();
        while (accept(tok::comma)) lhs = make(op::comma, {lhs, parse_alt()});
        return lhs;
    }
    node_ptr parse_alt() {
        auto lhs = parse_assign();
        if (accept(tok::alt)) return make(op::alt, {lhs, parse_alt()});
        return lhs;
    }
    node_ptr parse_assign() {
        auto lhs = parse_or();
        if (accept(tok::assign)) return make(op::assign, {lhs, parse_or()});
        return lhs;
    }
    node_ptr parse_or() {
        auto lhs = parse_and();
        while (peek().kind == tok::ident && peek().text == "or") {
            next();
            lhs = make(op::or_, {lhs, parse_and()});
        }
        return lhs;
    }
    node_ptr parse_and() {
        auto lhs = parse_cmp();
        while (peek().kind == tok::ident && peek().text == "and") {
            next();
            lhs = make(op::and_, {lhs, parse_cmp()});
        }
        return lhs;
    }
    node_ptr parse_cmp() {
        auto lhs = parse_postfix();
        cmp_op c;
        switch (peek().kind) {
        case tok::eq: c = cmp_op::eq; break;
        case tok::ne: c = cmp_op::ne; break;
        case tok::lt: c = cmp_op::lt; break;
        case tok::le: c = cmp_op::le; break;
        case tok::gt: c = cmp_op::gt; break;
        case tok::ge: c = cmp_op::ge; break;
        default: return lhs;
        }
        next();
        auto n = std::make_shared<node>();
        n->kind = op::cmp;
        n->cmp = c;
        n->kids = {lhs, parse_postfix()};
        return n;
    }

    // `[` already consumed: `]` (iterate) or `expr]` (index).
    node_ptr parse_bracket(node_ptr target) {
        if (accept(tok::rbracket)) return make(op::iterate, {target});
        auto key = parse_pipe();
        if (peek().kind == tok::ident && peek().text == ":")
            fail(src_, peek().pos, "slices are not supported");
        expect(tok::rbracket, "`]`");
        return make(op::index, {target, key});
    }

    node_ptr parse_postfix() {
        auto cur = parse_term();
        for (;;) {
            const token& t = peek();
            if (t.kind == tok::field) {
                next();
                cur = make(op::field, {cur}, t.text);
            } else if (t.kind == tok::dot && peek(1).kind == tok::string) {
                next();
                cur = make(op::field, {cur}, next().text);
            } else if (t.kind == tok::dot && peek(1).kind == tok::lbracket) {
                next();
                next();
                cur = parse_bracket(cur);
            } else if (t.kind == tok::lbracket) {
                next();
                cur = parse_bracket(cur);
            } else if (t.kind == tok::question) {
                next();
                cur = make(op::try_, {cur});
            } else {
                return cur;
            }
        }
    }

    node_ptr parse_term() {
        const token t = next();
        switch (t.kind) {
        case tok::dot:
            if (peek().kind == tok::string) return make(op::field, {make(op::identity)}, next().text);
            if (peek().kind == tok::lbracket) {
                next();
                return parse_bracket(make(op::identity));
            }
            return make(op::identity);
        case tok::field: return make(op::field, {make(op::identity)}, t.text);
        case tok::string: return make_literal(json::string(t.text));
        case tok::number: return make_literal(number_value(t.number));
        case tok::minus:
            if (peek().kind == tok::number) return make_literal(number_value(-next().number));
            fail(src_, t.pos, "arithmetic `-` is not supported");
        case tok::lparen: {
            auto inner = parse_pipe();
            expect(tok::rparen, "`)`");
            return inner;
        }
        case tok::lbracket: {
            if (accept(tok::rbracket)) return make_literal(json::array());
            auto inner = parse_pipe();
            expect(tok::rbracket, "`]`");
            return make(op::collect, {inner});
        }
        case tok::ident: return parse_ident(t);
        default: fail(src_, t.pos, "unexpected " + describe(t));
        }
    }

    static json::value number_value(double d) {
        if (std::floor(d) == d && std::fabs(d) < 9e15) return json::value(static_cast<std::int64_t>(d));
        return json::value(d);
    }

    node_ptr parse_ident(const token& t) {
        if (t.text == "true") return make_literal(true);
        if (t.text == "false") return make_literal(false);
        if (t.text == "null") return make_literal(nullptr);
        std::vector<node_ptr> args;
        if (accept(tok::lparen)) {
            args.push_back(parse_pipe());
            while (accept(tok::semicolon)) args.push_back(parse_pipe());
            expect(tok::rparen, "`)`");
        }
        for (auto& [name, arity] : known_functions())
            if (name == t.text && arity == static_cast<int>(args.size()))
                return make(op::call, std::move(args), t.text);
        fail(src_, t.pos,
             "unknown function `" + t.text + "/" + std::to_string(args.size()) + "`");
    }

    std::string_view src_;
    std::vector<token> toks_;
    std::size_t pos_ = 0;
    int depth_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Evaluation

const json::value& null_value() {
    static const json::value v;
    return v;
}

bool truthy(const json::value& v) {
    return !(v.is_null() || (v.is_bool() && !v.get_bool()));
}

double to_double(const json::value& v) {
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    return v.get_double();
}

int type_rank(const json::value& v) {
    switch (v.kind()) {
    case json::kind::null: return 0;
    case json::kind::bool_: return v.get_bool() ? 2 : 1;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return 3;
    case json::kind::string: return 4;
    case json::kind::array: return 5;
    case json::kind::object: return 6;
    }
    return 0;
}

std::vector<std::string_view> sorted_keys(const json::object& o) {
    std::vector<std::string_view> keys;
    keys.reserve(o.size());
    for (auto& kv : o) keys.push_back(kv.key());
    std::sort(keys.begin(), keys.end());
    return keys;
}

const char* type_name(const json::value& v) {
    switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
    }
    return "null";
}

// A non-owning callable reference: evaluation nests many short-lived lambdas and std::function
// would allocate for most of them.
class emit_ref {
public:
    template <class F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, emit_ref>)
    emit_ref(F&& f) noexcept  // NOLINT: implicit on purpose
        : obj_(const_cast<void*>(static_cast<const void*>(&f))),
          call_([](void* o, const json::value& v) {
              return (*static_cast<std::remove_reference_t<F>*>(o))(v);
          }) {}
    bool operator()(const json::value& v) const { return call_(obj_, v); }

private:
    void* obj_;
    bool (*call_)(void*, const json::value&);
};

using path_elem = std::variant<std::string, std::int64_t>;
using path_t = std::vector<path_elem>;

class evaluator {
public:
    using emit_fn = emit_ref;

    // Returns false when evaluation must stop: a runtime error (error_ set) or the consumer
    // asked to stop.
    bool eval(const node& n, const json::value& in, emit_fn out) {
        if (++steps_ > jq_program::max_steps) {
            exhausted_ = true;
            return error();
        }
        switch (n.kind) {
        case op::identity: return out(in);
        case op::literal: return out(n.lit);
        case op::field:
            return eval(*n.kids[0], in, [&](const json::value& v) {
                if (v.is_null()) return out(null_value());
                if (!v.is_object()) return error();
                auto* found = v.get_object().if_contains(n.name);
                return out(found ? *found : null_value());
            });
        case op::index:
            // The key is evaluated against the original input, like jq.
            return eval(*n.kids[1], in, [&](const json::value& key) {
                return eval(*n.kids[0], in, [&](const json::value& v) {
                    return index_into(v, key, out);
                });
            });
        case op::iterate:
            return eval(*n.kids[0], in, [&](const json::value& v) {
                if (v.is_array()) {
                    for (auto& e : v.get_array())
                        if (!out(e)) return false;
                    return true;
                }
                if (v.is_object()) {
                    for (auto& kv : v.get_object())
                        if (!out(kv.value())) return false;
                    return true;
                }
                return error();
            });
        case op::pipe:
            return eval(*n.kids[0], in, [&](const json::value& v) {
                return eval(*n.kids[1], v, out);
            });
        case op::comma: return eval(*n.kids[0], in, out) && eval(*n.kids[1], in, out);
        case op::alt: {
            bool any = false;
            bool ok = try_eval(*n.kids[0], in, [&](const json::value& v) {
                if (!truthy(v)) return true;
                any = true;
                return out(v);
            });
            if (!ok) return false;
            return any ? true : eval(*n.kids[1], in, out);
        }
        case op::and_:
        case op::or_: {
            bool is_and = n.kind == op::and_;
            return eval(*n.kids[0], in, [&](const json::value& a) {
                if (is_and && !truthy(a)) return out(json::value(false));
                if (!is_and && truthy(a)) return out(json::value(true));
                return eval(*n.kids[1], in, [&](const json::value& b) {
                    return out(json::value(truthy(b)));
                });
            });
        }
        case op::cmp:
            return eval(*n.kids[1], in, [&](const json::value& b) {
                return eval(*n.kids[0], in, [&](const json::value& a) {
                    int c = jq_compare(a, b);
                    bool r = false;
                    switch (n.cmp) {
                    case cmp_op::eq: r = c == 0; break;
                    case cmp_op::ne: r = c != 0; break;
                    case cmp_op::lt: r = c < 0; break;
                    case cmp_op::le: r = c <= 0; break;
                    case cmp_op::gt: r = c > 0; break;
                    case cmp_op::ge: r = c >= 0; break;
                    }
                    return out(json::value(r));
                });
            });
        case op::collect: {
            json::array arr;
            if (!eval(*n.kids[0], in, [&](const json::value& v) {
                    arr.push_back(v);
                    return true;
                }))
                return false;
            return out(json::value(std::move(arr)));
        }
        case op::try_: return try_eval(*n.kids[0], in, out);
        case op::assign: return assign(n, in, out);
        case op::call: return call(n, in, out);
        }
        return error();
    }

    bool error_ = false;
    bool exhausted_ = false;  // max_steps reached: an error no `?` or `//` recovers from
    std::uint64_t steps_ = 0;

private:
    bool error() {
        error_ = true;
        return false;
    }

    // Runs `body`, swallowing its own runtime errors but not errors of the consumer.
    bool try_eval(const node& body, const json::value& in, emit_fn out) {
        bool downstream_stopped = false;
        bool ok = eval(body, in, [&](const json::value& v) {
            if (out(v)) return true;
            downstream_stopped = true;
            return false;
        });
        if (ok || downstream_stopped || exhausted_) return ok;  // `?` does not hide the limit
        error_ = false;
        return true;
    }

    bool index_into(const json::value& v, const json::value& key, emit_fn out) {
        if (key.is_string()) {
            if (v.is_null()) return out(null_value());
            if (!v.is_object()) return error();
            auto* found = v.get_object().if_contains(key.get_string());
            return out(found ? *found : null_value());
        }
        if (key.is_number()) {
            if (v.is_null()) return out(null_value());
            if (!v.is_array()) return error();
            auto& arr = v.get_array();
            // Beyond ±2^53 (or NaN) no array has the index, and the cast would overflow.
            double d = std::floor(to_double(key));
            if (!(std::fabs(d) < 9007199254740992.0)) return out(null_value());
            auto i = static_cast<std::int64_t>(d);
            if (i < 0) i += static_cast<std::int64_t>(arr.size());
            if (i < 0 || i >= static_cast<std::int64_t>(arr.size())) return out(null_value());
            return out(arr[static_cast<std::size_t>(i)]);
        }
        if (key.is_null() && v.is_null()) return out(null_value());
        return error();
    }

    bool call(const node& n, const json::value& in, emit_fn out) {
        const std::string& f = n.name;
        if (f == "empty") return true;
        if (f == "not") return out(json::value(!truthy(in)));
        if (f == "select") {
            return eval(*n.kids[0], in, [&](const json::value& c) {
                return truthy(c) ? out(in) : true;
            });
        }
        if (f == "length") {
            switch (in.kind()) {
            case json::kind::null: return out(json::value(0));
            case json::kind::bool_: return error();
            case json::kind::int64:
            case json::kind::uint64:
            case json::kind::double_: {
                double d = std::fabs(to_double(in));
                // Whole numbers beyond int64 stay doubles (jq_fuzz: a 25-digit number's
                // length was cast to long).
                bool whole = std::floor(d) == d && d < 9223372036854775808.0;
                return out(whole ? json::value(static_cast<std::int64_t>(d)) : json::value(d));
            }
            case json::kind::string: {
                std::int64_t count = 0;
                for (unsigned char c : in.get_string())
                    if ((c & 0xC0) != 0x80) ++count;
                return out(json::value(count));
            }
            case json::kind::array:
                return out(json::value(static_cast<std::int64_t>(in.get_array().size())));
            case json::kind::object:
                return out(json::value(static_cast<std::int64_t>(in.get_object().size())));
            }
        }
        if (f == "keys") {
            json::array arr;
            if (in.is_object()) {
                for (auto k : sorted_keys(in.get_object())) arr.emplace_back(k);
            } else if (in.is_array()) {
                for (std::size_t i = 0; i < in.get_array().size(); ++i)
                    arr.emplace_back(static_cast<std::int64_t>(i));
            } else {
                return error();
            }
            return out(json::value(std::move(arr)));
        }
        if (f == "type") return out(json::value(type_name(in)));
        if (f == "has") {
            return eval(*n.kids[0], in, [&](const json::value& key) {
                if (in.is_object() && key.is_string())
                    return out(json::value(in.get_object().contains(key.get_string())));
                if (in.is_array() && key.is_number()) {
                    double d = to_double(key);
                    return out(json::value(d >= 0 && d < static_cast<double>(in.get_array().size())));
                }
                return error();
            });
        }
        if (f == "tostring") {
            if (in.is_string()) return out(in);
            return out(json::value(json::serialize(in)));
        }
        if (f == "tonumber") {
            if (in.is_number()) return out(in);
            if (!in.is_string()) return error();
            std::string s(in.get_string());
            char* end = nullptr;
            double d = std::strtod(s.c_str(), &end);
            if (s.empty() || end != s.c_str() + s.size()) return error();
            return out(std::floor(d) == d && std::fabs(d) < 9e15
                           ? json::value(static_cast<std::int64_t>(d))
                           : json::value(d));
        }
        if (f == "first" && n.kids.empty()) return index_into(in, json::value(0), out);
        if (f == "last" && n.kids.empty()) return index_into(in, json::value(-1), out);
        if (f == "first") {
            bool got = false, downstream = true;
            bool ok = eval(*n.kids[0], in, [&](const json::value& v) {
                got = true;
                downstream = out(v);
                return false;  // stop after the first output
            });
            return got ? downstream : ok;
        }
        if (f == "map") {
            if (!in.is_array() && !in.is_object()) return error();
            json::array arr;
            auto each = [&](const json::value& e) {
                return eval(*n.kids[0], e, [&](const json::value& v) {
                    arr.push_back(v);
                    return true;
                });
            };
            if (in.is_array()) {
                for (auto& e : in.get_array())
                    if (!each(e)) return false;
            } else {
                for (auto& kv : in.get_object())
                    if (!each(kv.value())) return false;
            }
            return out(json::value(std::move(arr)));
        }
        if (f == "ascii_downcase" || f == "ascii_upcase") {
            if (!in.is_string()) return error();
            std::string s(in.get_string());
            for (char& c : s) {
                if (f == "ascii_downcase" && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
                if (f == "ascii_upcase" && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
            }
            return out(json::value(s));
        }
        return error();
    }

    // --- paths (for assignment) ---
    using path_fn = std::function<bool(const path_t&, const json::value&)>;

    bool paths(const node& n, const json::value& root, const json::value& cur, path_t& prefix,
               const path_fn& out) {
        switch (n.kind) {
        case op::identity: return out(prefix, cur);
        case op::field:
            return paths(*n.kids[0], root, cur, prefix, [&](const path_t& p, const json::value& v) {
                if (!v.is_null() && !v.is_object()) return error();
                path_t q = p;
                q.emplace_back(n.name);
                const json::value* found = v.is_object() ? v.get_object().if_contains(n.name)
                                                         : nullptr;
                return out(q, found ? *found : null_value());
            });
        case op::index:
            return eval(*n.kids[1], root, [&](const json::value& key) {
                return paths(*n.kids[0], root, cur, prefix,
                             [&](const path_t& p, const json::value& v) {
                                 path_t q = p;
                                 if (key.is_string()) {
                                     q.emplace_back(std::string(key.get_string()));
                                 } else if (key.is_number()) {
                                     double d = to_double(key);
                                     if (!(std::fabs(d) < 9007199254740992.0)) return error();
                                     q.emplace_back(static_cast<std::int64_t>(d));
                                 } else {
                                     return error();
                                 }
                                 return index_into(v, key, [&](const json::value& e) {
                                     return out(q, e);
                                 });
                             });
            });
        case op::iterate:
            return paths(*n.kids[0], root, cur, prefix, [&](const path_t& p, const json::value& v) {
                if (v.is_array()) {
                    auto& arr = v.get_array();
                    for (std::size_t i = 0; i < arr.size(); ++i) {
                        path_t q = p;
                        q.emplace_back(static_cast<std::int64_t>(i));
                        if (!out(q, arr[i])) return false;
                    }
                    return true;
                }
                if (v.is_object()) {
                    for (auto& kv : v.get_object()) {
                        path_t q = p;
                        q.emplace_back(std::string(kv.key()));
                        if (!out(q, kv.value())) return false;
                    }
                    return true;
                }
                if (v.is_null()) return true;
                return error();
            });
        case op::pipe:
            return paths(*n.kids[0], root, cur, prefix, [&](const path_t& p, const json::value& v) {
                path_t q = p;
                return paths(*n.kids[1], root, v, q, out);
            });
        case op::comma:
            return paths(*n.kids[0], root, cur, prefix, out) &&
                   paths(*n.kids[1], root, cur, prefix, out);
        case op::call:
            if (n.name == "select") {
                return eval(*n.kids[0], cur, [&](const json::value& c) {
                    return truthy(c) ? out(prefix, cur) : true;
                });
            }
            if (n.name == "empty") return true;
            return error();
        default: return error();
        }
    }

    static constexpr std::int64_t max_array_index = 1 << 20;

    static bool set_path(json::value& root, const path_t& p, const json::value& v) {
        json::value* cur = &root;
        for (auto& e : p) {
            if (auto* key = std::get_if<std::string>(&e)) {
                if (cur->is_null()) *cur = json::object();
                if (!cur->is_object()) return false;
                cur = &cur->get_object()[*key];
            } else {
                auto i = std::get<std::int64_t>(e);
                if (cur->is_null()) *cur = json::array();
                if (!cur->is_array()) return false;
                auto& arr = cur->get_array();
                if (i < 0) i += static_cast<std::int64_t>(arr.size());
                // jq refuses indexes past 2^29 ("Array index too large"); filling millions of
                // nulls to reach one would take gigabytes here (jq_fuzz: a length_error).
                if (i < 0 || i >= max_array_index) return false;
                if (static_cast<std::size_t>(i) >= arr.size()) arr.resize(static_cast<std::size_t>(i) + 1);
                cur = &arr[static_cast<std::size_t>(i)];
            }
        }
        *cur = v;
        return true;
    }

    bool assign(const node& n, const json::value& in, emit_fn out) {
        return eval(*n.kids[1], in, [&](const json::value& v) {
            json::value result = in;
            path_t prefix;
            bool ok = paths(*n.kids[0], in, in, prefix, [&](const path_t& p, const json::value&) {
                return set_path(result, p, v) ? true : error();
            });
            if (!ok) return false;
            return out(result);
        });
    }
};

}  // namespace

int jq_compare(const json::value& a, const json::value& b) {
    int ra = type_rank(a), rb = type_rank(b);
    if (ra != rb) return ra < rb ? -1 : 1;
    switch (a.kind()) {
    case json::kind::null:
    case json::kind::bool_: return 0;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: {
        double x = to_double(a), y = to_double(b);
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    case json::kind::string: {
        int c = a.get_string().subview().compare(b.get_string().subview());
        return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case json::kind::array: {
        auto& x = a.get_array();
        auto& y = b.get_array();
        for (std::size_t i = 0; i < x.size() && i < y.size(); ++i)
            if (int c = jq_compare(x[i], y[i])) return c;
        return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
    }
    case json::kind::object: {
        auto& x = a.get_object();
        auto& y = b.get_object();
        auto kx = sorted_keys(x), ky = sorted_keys(y);
        if (kx != ky) return kx < ky ? -1 : 1;
        for (auto k : kx)
            if (int c = jq_compare(x.at(k), y.at(k))) return c;
        return 0;
    }
    }
    return 0;
}

jq_program jq_program::parse(std::string_view text) {
    jq_program p;
    p.root_ = parser(text).parse_all();
    p.text_ = std::string(text);
    return p;
}

std::optional<jq_program> jq_program::try_parse(std::string_view text, std::string* error) {
    try {
        return parse(text);
    } catch (const jq_parse_error& e) {
        if (error) *error = e.what();
        return std::nullopt;
    }
}

bool jq_program::run(const json::value& input, const emit_fn& emit,
                     std::string* budget_error) const {
    if (!root_) return emit(input);
    evaluator ev;
    bool ok = ev.eval(*root_, input, emit);
    if (ev.exhausted_ && budget_error)
        *budget_error = "jq: more than " + std::to_string(max_steps) +
                        " evaluation steps (outputs multiplied by `,` and `|`) in `" + text_ + "`";
    return ok || !ev.error_;
}

std::vector<json::value> jq_program::run(const json::value& input) const {
    std::vector<json::value> out;
    bool ok = run(input, [&](const json::value& v) {
        out.push_back(v);
        return true;
    });
    if (!ok) out.clear();
    return out;
}

std::optional<json::value> jq_program::first(const json::value& input) const {
    // Like kwok: every output is computed, so a later runtime error still makes it absent.
    auto all = run(input);
    if (all.empty()) return std::nullopt;
    return std::move(all.front());
}

}  // namespace ghost::lang
