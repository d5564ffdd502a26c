#include "lang/cel_check.hpp"

#include <vector>

#include "lang/cel_lexer.hpp"
#include "lang/cel_stdlib.hpp"

namespace ghost::lang::cel::detail {

namespace {

bool type_name_kind(std::string_view name, kind& k) {
    static constexpr std::pair<std::string_view, kind> names[] = {
        {"int", kind::int_},
        {"uint", kind::uint_},
        {"double", kind::double_},
        {"bool", kind::bool_},
        {"string", kind::string_},
        {"bytes", kind::bytes_},
        {"list", kind::list},
        {"map", kind::map},
        {"null_type", kind::null_},
        {"type", kind::type},
        {"google.protobuf.Timestamp", kind::timestamp},
        {"google.protobuf.Duration", kind::duration},
    };
    for (const auto& [n, kk] : names) {
        if (n == name) {
            k = kk;
            return true;
        }
    }
    return false;
}

class checker {
public:
    checker(std::string_view text, const environment& env) : text_(text), env_(env) {}

    bool run(node_ptr& n) { return visit(n); }
    const std::string& error() const { return error_; }

private:
    bool fail(const node& n, std::string what) {
        if (error_.empty()) {
            error_ = "column " + std::to_string(column_of(text_, n.offset)) + ": " + what;
        }
        return false;
    }

    bool checks() const { return env_.type_checks(); }

    // "a.b.c" for a chain of plain identifiers and selects, else empty.
    static std::string qualified(const node& n) {
        if (n.kind == node_kind::ident) return n.name;
        if (n.kind == node_kind::select && n.args.size() == 1) {
            std::string left = qualified(*n.args[0]);
            if (!left.empty()) return left + "." + n.name;
        }
        return {};
    }

    bool is_local(std::string_view name) const {
        for (const auto& s : scopes_) {
            if (s == name) return true;
        }
        return false;
    }

    // Replaces n by an ident if its qualified name is a declared variable.
    bool resolve_qualified(node_ptr& n) {
        if (n->kind != node_kind::select) return false;
        std::string q = qualified(*n);
        if (q.empty()) return false;
        const bool rooted = q.front() == '.';
        if (rooted) q.erase(0, 1);
        const auto first = q.substr(0, q.find('.'));
        if (!rooted && is_local(first)) return false;
        if (const type_spec* t = env_.find_variable(q)) {
            auto id = std::make_unique<node>();
            id->kind = node_kind::ident;
            id->offset = n->offset;
            id->name = q;
            id->type = *t;
            n = std::move(id);
            return true;
        }
        kind k{};
        if (type_name_kind(q, k)) {
            const auto at = n->offset;
            n = std::make_unique<node>();
            n->kind = node_kind::constant;
            n->offset = at;
            n->constant = value::type_of_kind(k);
            n->type = type_spec::of(kind::type);
            return true;
        }
        return false;
    }

    bool visit(node_ptr& p) {
        node& n = *p;
        switch (n.kind) {
        case node_kind::constant: n.type = type_spec::of(n.constant.get_kind()); return true;
        case node_kind::local: return true;
        case node_kind::ident: return visit_ident(n);
        case node_kind::select: {
            if (resolve_qualified(p)) return true;
            if (!visit(n.args[0])) return false;
            const type_spec& t = n.args[0]->type;
            if (checks() && t.k != kind::dyn && t.k != kind::map) {
                return fail(n, "type '" + t.name() + "' does not support field selection");
            }
            n.constant = value::string(n.name);
            n.type = type_spec::dyn();
            return true;
        }
        case node_kind::has: {
            if (!visit(n.args[0])) return false;
            const type_spec& t = n.args[0]->type;
            if (checks() && t.k != kind::dyn && t.k != kind::map) {
                return fail(n, "invalid argument to has(): type '" + t.name() +
                                   "' does not support field selection");
            }
            n.type = type_spec::of(kind::bool_);
            return true;
        }
        case node_kind::call: return visit_call(p);
        case node_kind::list: return visit_list(n);
        case node_kind::map: return visit_map(n);
        case node_kind::logical_and:
        case node_kind::logical_or:
            for (auto& a : n.args) {
                if (!visit(a)) return false;
                if (checks() && !type_spec::of(kind::bool_).admits(a->type)) {
                    return fail(n, std::string("found no matching overload for '") +
                                       (n.kind == node_kind::logical_and ? "_&&_" : "_||_") +
                                       "' applied to '" + a->type.name() + "'");
                }
            }
            n.type = type_spec::of(kind::bool_);
            return true;
        case node_kind::ternary: {
            for (auto& a : n.args) {
                if (!visit(a)) return false;
            }
            if (checks() && !type_spec::of(kind::bool_).admits(n.args[0]->type)) {
                return fail(n, "found no matching overload for '_?_:_' applied to '(" +
                                   n.args[0]->type.name() + ", ...)'");
            }
            const type_spec& a = n.args[1]->type;
            const type_spec& b = n.args[2]->type;
            n.type = (a.k == b.k && a.opaque_name == b.opaque_name) ? a : type_spec::dyn();
            return true;
        }
        case node_kind::comprehension: {
            if (!visit(n.args[0])) return false;
            const type_spec& r = n.args[0]->type;
            if (checks() && r.k != kind::dyn && r.k != kind::list && r.k != kind::map) {
                return fail(n, "expression of type '" + r.name() + "' cannot be the range of a " +
                                   "comprehension (must be list or map)");
            }
            scopes_.push_back(n.name);
            for (std::size_t i = 1; i < n.args.size(); ++i) {
                if (!visit(n.args[i])) return false;
            }
            scopes_.pop_back();
            const bool is_bool = n.comp == comp_kind::all || n.comp == comp_kind::exists ||
                                 n.comp == comp_kind::exists_one;
            if (checks()) {
                const bool has_predicate = n.comp != comp_kind::map;
                if (has_predicate && !type_spec::of(kind::bool_).admits(n.args[1]->type)) {
                    return fail(*n.args[1], "predicate must be bool, not '" +
                                                n.args[1]->type.name() + "'");
                }
            }
            n.type = type_spec::of(is_bool ? kind::bool_ : kind::list);
            return true;
        }
        }
        return true;
    }

    bool visit_ident(node& n) {
        std::string_view name = n.name;
        const bool rooted = name.front() == '.';
        if (rooted) name.remove_prefix(1);
        if (!rooted) {
            for (std::size_t i = scopes_.size(); i-- > 0;) {
                if (scopes_[i] == name) {
                    n.kind = node_kind::local;
                    n.local_depth = static_cast<std::uint32_t>(scopes_.size() - 1 - i);
                    n.type = type_spec::dyn();
                    return true;
                }
            }
        }
        if (const type_spec* t = env_.find_variable(name)) {
            n.name = std::string(name);
            n.type = *t;
            return true;
        }
        kind k{};
        if (type_name_kind(name, k)) {
            n.kind = node_kind::constant;
            n.constant = value::type_of_kind(k);
            n.type = type_spec::of(kind::type);
            return true;
        }
        if (checks() && !env_.undeclared_variables_allowed()) {
            return fail(n, "undeclared reference to '" + std::string(name) + "'");
        }
        n.name = std::string(name);
        n.type = type_spec::dyn();
        return true;
    }

    bool visit_list(node& n) {
        bool all_const = true;
        for (auto& a : n.args) {
            if (!visit(a)) return false;
            all_const = all_const && a->kind == node_kind::constant;
        }
        n.type = type_spec::of(kind::list);
        if (all_const) {
            // Literal lists are built once, not per evaluation.
            std::vector<value> items;
            items.reserve(n.args.size());
            for (auto& a : n.args) items.push_back(a->constant);
            n.constant = value::list(std::move(items));
            n.kind = node_kind::constant;
            n.args.clear();
        }
        return true;
    }

    bool visit_map(node& n) {
        bool all_const = true;
        for (std::size_t i = 0; i < n.args.size(); ++i) {
            if (!visit(n.args[i])) return false;
            all_const = all_const && n.args[i]->kind == node_kind::constant;
            if (i % 2 == 0 && checks()) {
                const kind k = n.args[i]->type.k;
                if (k != kind::dyn && k != kind::int_ && k != kind::uint_ && k != kind::bool_ &&
                    k != kind::string_) {
                    return fail(*n.args[i], "unsupported map key type '" +
                                                n.args[i]->type.name() + "'");
                }
            }
        }
        n.type = type_spec::of(kind::map);
        if (!all_const) return true;
        std::vector<std::pair<value, value>> entries;
        for (std::size_t i = 0; i + 1 < n.args.size(); i += 2) {
            const value& k = n.args[i]->constant;
            const kind kk = k.get_kind();
            if (kk != kind::int_ && kk != kind::uint_ && kk != kind::bool_ &&
                kk != kind::string_) {
                return true;  // the evaluator reports it
            }
            for (const auto& e : entries) {
                if (equal(e.first, k)) return true;  // duplicate: run-time error
            }
            entries.emplace_back(k, n.args[i + 1]->constant);
        }
        n.constant = value::map(std::move(entries));
        n.kind = node_kind::constant;
        n.args.clear();
        return true;
    }

    bool visit_call(node_ptr& p) {
        node& n = *p;
        // Qualified function names (ns.f(x)) written as member calls on a non-variable.
        if (n.member_call) {
            std::string q = qualified(*n.args[0]);
            if (!q.empty() && q.front() != '.' && !is_local(q.substr(0, q.find('.'))) &&
                !env_.find_variable(q) && env_.find_function(q + "." + n.name)) {
                n.name = q + "." + n.name;
                n.args.erase(n.args.begin());
                n.member_call = false;
            }
        }
        for (auto& a : n.args) {
            if (!visit(a)) return false;
        }
        n.fn = env_.function_ptr(n.name);
        if (!n.fn && !checks()) {
            n.type = type_spec::dyn();  // an error value at run time
            return true;
        }
        if (!n.fn) return fail(n, "undeclared reference to '" + n.name + "'");
        if (n.member_call && !n.fn->options.member) {
            return fail(n, "function '" + n.name + "' cannot be called as a method");
        }
        if (!n.member_call && !n.fn->options.global) {
            return fail(n, "function '" + n.name + "' can only be called as a method");
        }
        const overload* only = nullptr;
        bool same_result = true;
        std::size_t matched = 0;
        for (const auto& o : n.fn->overloads) {
            if (o.params.size() != n.args.size()) continue;
            bool ok = true;
            for (std::size_t i = 0; i < o.params.size() && ok; ++i) {
                ok = o.params[i].admits(n.args[i]->type);
            }
            if (!ok) continue;
            if (only && (only->result.k != o.result.k ||
                         only->result.opaque_name != o.result.opaque_name)) {
                same_result = false;
            }
            if (!only) only = &o;
            ++matched;
        }
        bool arity_ok = false;
        for (const auto& o : n.fn->overloads) {
            arity_ok = arity_ok || o.params.size() == n.args.size();
        }
        if (matched == 0 && (checks() || !arity_ok)) {
            std::string sig = "(";
            for (std::size_t i = 0; i < n.args.size(); ++i) {
                if (i) sig += ", ";
                sig += n.args[i]->type.name();
            }
            sig += ")";
            return fail(n, "found no matching overload for '" + n.name + "' applied to '" + sig +
                               "'");
        }
        n.type = (only && same_result) ? only->result : type_spec::dyn();
        if (n.name == "matches" && n.args.size() == 2 && n.args[1]->kind == node_kind::constant &&
            n.args[1]->constant.is(kind::string_) &&
            n.fn.get() == standard_functions().at("matches").get()) {
            std::string err;
            n.direct = make_matcher(n.args[1]->constant.as_string(), err);
            if (!n.direct) return fail(*n.args[1], err);
        }
        return true;
    }

    std::string_view text_;
    const environment& env_;
    std::string error_;
    std::vector<std::string> scopes_;
};

}  // namespace

bool check(node_ptr& root, std::string_view text, const environment& env, std::string& error) {
    checker c(text, env);
    if (c.run(root)) return true;
    error = c.error();
    return false;
}

}  // namespace ghost::lang::cel::detail
