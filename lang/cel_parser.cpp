#include "lang/cel_parser.hpp"

#include <algorithm>

#include "lang/cel_lexer.hpp"

namespace ghost::lang::cel::detail {

namespace {

// Longest accepted text: keeps every pass linear-time and bounded.
constexpr std::size_t max_text_size = 100000;

class parser {
public:
    explicit parser(std::string_view text) : text_(text), lex_(text) { advance(); }

    node_ptr parse_all() {
        node_ptr n = expr();
        if (!n || failed_) return nullptr;  // a lexer error may follow a complete expression
        if (cur_.kind != tok::end) return fail(cur_.offset, "unexpected " + describe(cur_));
        return n;
    }

    std::string error() const {
        return "column " + std::to_string(column_of(text_, error_offset_)) + ": " + error_;
    }

private:
    void advance() {
        if (failed_) return;
        cur_ = lex_.next();
        if (cur_.kind == tok::error) fail(cur_.offset, cur_.text);
    }

    node_ptr fail(std::size_t offset, std::string what) {
        if (!failed_) {
            failed_ = true;
            error_ = std::move(what);
            error_offset_ = offset;
            cur_.kind = tok::end;
        }
        return nullptr;
    }

    static std::string describe(const token& t) {
        switch (t.kind) {
        case tok::end: return "end of expression";
        case tok::ident: return "identifier '" + t.text + "'";
        default: return "token";
        }
    }

    bool accept(tok k) {
        if (cur_.kind != k || failed_) return false;
        advance();
        return true;
    }

    bool expect(tok k, const char* what) {
        if (accept(k)) return true;
        if (!failed_) fail(cur_.offset, std::string("expected ") + what);
        return false;
    }

    node_ptr make(node_kind k, std::size_t offset, std::vector<node_ptr> args = {}) {
        auto n = std::make_unique<node>();
        n->kind = k;
        n->offset = static_cast<std::uint32_t>(offset);
        std::uint32_t h = 0;
        for (const auto& a : args) h = std::max(h, a->height);
        n->height = h + 1;
        n->args = std::move(args);
        if (n->height > max_tree_height) return fail(offset, "expression nests too deeply");
        return n;
    }

    node_ptr call(std::string name, std::size_t offset, std::vector<node_ptr> args,
                  bool member = false) {
        auto n = make(node_kind::call, offset, std::move(args));
        if (!n) return nullptr;
        n->name = std::move(name);
        n->member_call = member;
        return n;
    }

    static std::vector<node_ptr> two(node_ptr a, node_ptr b) {
        std::vector<node_ptr> v;
        v.push_back(std::move(a));
        v.push_back(std::move(b));
        return v;
    }

    node_ptr expr() {
        if (++depth_ > max_parse_depth) return fail(cur_.offset, "expression nests too deeply");
        node_ptr r = conditional();
        --depth_;
        return r;
    }

    node_ptr conditional() {
        node_ptr c = logical_or();
        if (!c) return nullptr;
        const std::size_t at = cur_.offset;
        if (!accept(tok::question)) return c;
        node_ptr a = logical_or();
        if (!a || !expect(tok::colon, "':'")) return nullptr;
        node_ptr b = expr();
        if (!b) return nullptr;
        std::vector<node_ptr> v = two(std::move(c), std::move(a));
        v.push_back(std::move(b));
        return make(node_kind::ternary, at, std::move(v));
    }

    node_ptr logical_or() {
        node_ptr l = logical_and();
        while (l && cur_.kind == tok::or_or) {
            const std::size_t at = cur_.offset;
            advance();
            node_ptr r = logical_and();
            if (!r) return nullptr;
            l = make(node_kind::logical_or, at, two(std::move(l), std::move(r)));
        }
        return l;
    }

    node_ptr logical_and() {
        node_ptr l = relation();
        while (l && cur_.kind == tok::and_and) {
            const std::size_t at = cur_.offset;
            advance();
            node_ptr r = relation();
            if (!r) return nullptr;
            l = make(node_kind::logical_and, at, two(std::move(l), std::move(r)));
        }
        return l;
    }

    node_ptr relation() {
        node_ptr l = addition();
        for (;;) {
            if (!l) return nullptr;
            const char* op = nullptr;
            switch (cur_.kind) {
            case tok::lt: op = "_<_"; break;
            case tok::le: op = "_<=_"; break;
            case tok::gt: op = "_>_"; break;
            case tok::ge: op = "_>=_"; break;
            case tok::eq: op = "_==_"; break;
            case tok::ne: op = "_!=_"; break;
            case tok::kw_in: op = "@in"; break;
            default: return l;
            }
            const std::size_t at = cur_.offset;
            advance();
            node_ptr r = addition();
            if (!r) return nullptr;
            l = call(op, at, two(std::move(l), std::move(r)));
        }
    }

    node_ptr addition() {
        node_ptr l = multiplication();
        for (;;) {
            if (!l) return nullptr;
            const char* op = nullptr;
            if (cur_.kind == tok::plus) op = "_+_";
            else if (cur_.kind == tok::minus) op = "_-_";
            else return l;
            const std::size_t at = cur_.offset;
            advance();
            node_ptr r = multiplication();
            if (!r) return nullptr;
            l = call(op, at, two(std::move(l), std::move(r)));
        }
    }

    node_ptr multiplication() {
        node_ptr l = unary();
        for (;;) {
            if (!l) return nullptr;
            const char* op = nullptr;
            if (cur_.kind == tok::star) op = "_*_";
            else if (cur_.kind == tok::slash) op = "_/_";
            else if (cur_.kind == tok::percent) op = "_%_";
            else return l;
            const std::size_t at = cur_.offset;
            advance();
            node_ptr r = unary();
            if (!r) return nullptr;
            l = call(op, at, two(std::move(l), std::move(r)));
        }
    }

    node_ptr unary() {
        std::vector<std::pair<tok, std::size_t>> ops;
        while (cur_.kind == tok::bang || cur_.kind == tok::minus) {
            if (ops.size() > static_cast<std::size_t>(max_parse_depth)) {
                return fail(cur_.offset, "expression nests too deeply");
            }
            ops.emplace_back(cur_.kind, cur_.offset);
            advance();
        }
        node_ptr n = member();
        if (!n) return nullptr;
        // A negated integer literal is one constant (so -9223372036854775808 is valid).
        if (!ops.empty() && ops.back().first == tok::minus && n->kind == node_kind::constant &&
            n->name == "#int") {
            n->constant = value::integer(static_cast<std::int64_t>(0 - literal_magnitude_));
            n->name.clear();
            ops.pop_back();
        } else if (!ops.empty() && ops.back().first == tok::minus &&
                   n->kind == node_kind::constant && n->name == "#double") {
            n->constant = value::real(-n->constant.as_double());
            n->name.clear();
            ops.pop_back();
        }
        if (n->kind == node_kind::constant && n->name == "#int") {
            if (literal_magnitude_ > 9223372036854775807ULL) {
                return fail(n->offset, "integer literal out of range");
            }
        }
        if (n->kind == node_kind::constant) n->name.clear();
        while (!ops.empty()) {
            auto [k, at] = ops.back();
            ops.pop_back();
            std::vector<node_ptr> v;
            v.push_back(std::move(n));
            n = call(k == tok::bang ? "!_" : "-_", at, std::move(v));
            if (!n) return nullptr;
        }
        return n;
    }

    bool args(tok close, std::vector<node_ptr>& out, const char* what) {
        if (accept(close)) return true;
        for (;;) {
            node_ptr a = expr();
            if (!a) return false;
            out.push_back(std::move(a));
            if (accept(tok::comma)) {
                if (close != tok::rparen && accept(close)) return true;  // trailing comma
                continue;
            }
            return expect(close, what);
        }
    }

    node_ptr member() {
        node_ptr n = primary();
        for (;;) {
            if (!n) return nullptr;
            if (cur_.kind == tok::dot) {
                advance();
                const bool quoted = cur_.kind == tok::quoted_ident;
                if (cur_.kind != tok::ident && !quoted) {
                    return fail(cur_.offset, "expected field name");
                }
                std::string field = cur_.text;
                const std::size_t at = cur_.offset;
                advance();
                if (!quoted && accept(tok::lparen)) {
                    std::vector<node_ptr> a;
                    a.push_back(std::move(n));
                    if (!args(tok::rparen, a, "')'")) return nullptr;
                    n = member_macro_or_call(std::move(field), at, std::move(a));
                } else {
                    std::vector<node_ptr> a;
                    a.push_back(std::move(n));
                    n = make(node_kind::select, at, std::move(a));
                    if (n) n->name = std::move(field);
                }
            } else if (cur_.kind == tok::lbracket) {
                const std::size_t at = cur_.offset;
                advance();
                node_ptr i = expr();
                if (!i || !expect(tok::rbracket, "']'")) return nullptr;
                n = call("_[_]", at, two(std::move(n), std::move(i)));
            } else if (cur_.kind == tok::lbrace && n->kind == node_kind::ident) {
                return fail(cur_.offset, "message construction is not supported");
            } else {
                return n;
            }
        }
    }

    node_ptr member_macro_or_call(std::string name, std::size_t at, std::vector<node_ptr> a) {
        const std::size_t argc = a.size() - 1;
        comp_kind ck{};
        bool macro = true;
        if (name == "all" && argc == 2) ck = comp_kind::all;
        else if (name == "exists" && argc == 2) ck = comp_kind::exists;
        else if (name == "exists_one" && argc == 2) ck = comp_kind::exists_one;
        else if (name == "map" && argc == 2) ck = comp_kind::map;
        else if (name == "map" && argc == 3) ck = comp_kind::map_filter;
        else if (name == "filter" && argc == 2) ck = comp_kind::filter;
        else macro = false;
        if (!macro) return call(std::move(name), at, std::move(a), true);
        if (a[1]->kind != node_kind::ident || a[1]->name.front() == '.') {
            return fail(a[1]->offset, "argument of " + name + "() must be a simple name");
        }
        std::string var = a[1]->name;
        std::vector<node_ptr> v;
        v.push_back(std::move(a[0]));
        for (std::size_t i = 2; i < a.size(); ++i) v.push_back(std::move(a[i]));
        node_ptr n = make(node_kind::comprehension, at, std::move(v));
        if (!n) return nullptr;
        n->comp = ck;
        n->name = std::move(var);
        return n;
    }

    node_ptr constant(value v, std::size_t at) {
        node_ptr n = make(node_kind::constant, at);
        n->constant = std::move(v);
        return n;
    }

    node_ptr primary() {
        const std::size_t at = cur_.offset;
        switch (cur_.kind) {
        case tok::int_lit: {
            literal_magnitude_ = cur_.u;
            node_ptr n = constant(value::integer(static_cast<std::int64_t>(cur_.u)), at);
            n->name = "#int";  // marks a bare literal for unary minus folding
            advance();
            return n;
        }
        case tok::uint_lit: {
            node_ptr n = constant(value::uinteger(cur_.u), at);
            advance();
            return n;
        }
        case tok::double_lit: {
            node_ptr n = constant(value::real(cur_.d), at);
            n->name = "#double";
            advance();
            return n;
        }
        case tok::string_lit: {
            node_ptr n = constant(value::string(std::move(cur_.text)), at);
            advance();
            return n;
        }
        case tok::bytes_lit: {
            node_ptr n = constant(value::bytes(std::move(cur_.text)), at);
            advance();
            return n;
        }
        case tok::kw_true: advance(); return constant(value::boolean(true), at);
        case tok::kw_false: advance(); return constant(value::boolean(false), at);
        case tok::kw_null: advance(); return constant(value::null(), at);
        case tok::lparen: {
            advance();
            node_ptr n = expr();
            if (!n || !expect(tok::rparen, "')'")) return nullptr;
            return n;
        }
        case tok::lbracket: {
            advance();
            std::vector<node_ptr> items;
            if (!args(tok::rbracket, items, "']'")) return nullptr;
            return make(node_kind::list, at, std::move(items));
        }
        case tok::lbrace: {
            advance();
            std::vector<node_ptr> items;
            if (!accept(tok::rbrace)) {
                for (;;) {
                    node_ptr k = expr();
                    if (!k || !expect(tok::colon, "':'")) return nullptr;
                    node_ptr v = expr();
                    if (!v) return nullptr;
                    items.push_back(std::move(k));
                    items.push_back(std::move(v));
                    if (accept(tok::comma)) {
                        if (accept(tok::rbrace)) break;
                        continue;
                    }
                    if (!expect(tok::rbrace, "'}'")) return nullptr;
                    break;
                }
            }
            return make(node_kind::map, at, std::move(items));
        }
        case tok::dot:
        case tok::ident: {
            std::string name;
            if (cur_.kind == tok::dot) {
                advance();
                if (cur_.kind != tok::ident) return fail(cur_.offset, "expected identifier");
                name = ".";
            }
            name += cur_.text;
            advance();
            if (accept(tok::lparen)) {
                std::vector<node_ptr> a;
                if (!args(tok::rparen, a, "')'")) return nullptr;
                if (name == "has") {
                    if (a.size() != 1 || a[0]->kind != node_kind::select) {
                        return fail(at, "invalid argument to has() macro");
                    }
                    node_ptr sel = std::move(a[0]);
                    node_ptr n = make(node_kind::has, at, std::move(sel->args));
                    if (n) n->name = std::move(sel->name);
                    return n;
                }
                if (name.front() == '.') name.erase(0, 1);
                return call(std::move(name), at, std::move(a));
            }
            node_ptr n = make(node_kind::ident, at);
            n->name = std::move(name);
            return n;
        }
        case tok::end:
            if (failed_) return nullptr;
            return fail(at, "unexpected end of expression");
        default: return fail(at, "unexpected token");
        }
    }

    std::string_view text_;
    lexer lex_;
    token cur_;
    bool failed_ = false;
    std::string error_;
    std::size_t error_offset_ = 0;
    int depth_ = 0;
    std::uint64_t literal_magnitude_ = 0;
};

}  // namespace

node_ptr parse(std::string_view text, std::string& error) {
    if (text.size() > max_text_size) {
        error = "column 1: expression longer than " + std::to_string(max_text_size) + " bytes";
        return nullptr;
    }
    parser p(text);
    node_ptr n = p.parse_all();
    if (!n) error = p.error();
    return n;
}

}  // namespace ghost::lang::cel::detail
