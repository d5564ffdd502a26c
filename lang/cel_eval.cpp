#include "lang/cel_eval.hpp"

#include <array>

#include "lang/cel_check.hpp"
#include "lang/cel_parser.hpp"

namespace ghost::lang::cel::detail {

value no_matching_overload(std::string_view name, std::span<const value> args) {
    std::string s = "no matching overload for '" + std::string(name) + "' applied to (";
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (i) s += ", ";
        s += args[i].type_name();
    }
    s += ")";
    return value::error(std::move(s));
}

value dispatch(const function_decl& fn, std::span<const value> args) noexcept {
    for (const auto& o : fn.overloads) {
        if (o.params.size() != args.size()) continue;
        bool ok = true;
        for (std::size_t i = 0; i < args.size() && ok; ++i) ok = o.params[i].matches(args[i]);
        if (!ok) continue;
        try {
            return o.impl(args);
        } catch (const std::exception& e) {
            return value::error(std::string(fn.name) + ": " + e.what());
        } catch (...) {
            return value::error(std::string(fn.name) + ": failed");
        }
    }
    try {
        return no_matching_overload(fn.name, args);
    } catch (...) {
        return value::error({});
    }
}

namespace {

// Comprehension variables: one frame per enclosing macro, innermost first.
struct frame {
    const frame* parent;
    const value* current;
};

class evaluator {
public:
    explicit evaluator(const activation& vars) : vars_(vars) {}

    value eval(const node& n, const frame* f) const {
        switch (n.kind) {
        case node_kind::constant: return n.constant.borrow();  // the program outlives results
        case node_kind::ident: {
            if (const value* v = vars_.find(n.name)) return *v;
            return value::error("unknown variable: " + n.name);
        }
        case node_kind::local: {
            const frame* fr = f;
            for (std::uint32_t i = 0; i < n.local_depth && fr; ++i) fr = fr->parent;
            return fr ? *fr->current : value::error("unbound comprehension variable");
        }
        case node_kind::select: {
            value target = eval(*n.args[0], f);
            if (target.is_error()) return target;
            if (!target.is(kind::map)) {
                return value::error("type '" + std::string(target.type_name()) +
                                    "' does not support field selection");
            }
            if (auto v = target.map_find_string(n.name)) return *v;
            return value::error("no such key: " + n.name);
        }
        case node_kind::has: {
            value target = eval(*n.args[0], f);
            if (target.is_error()) return target;
            if (!target.is(kind::map)) {
                return value::error("invalid argument to has(): type '" +
                                    std::string(target.type_name()) + "'");
            }
            return value::boolean(target.map_find_string(n.name).has_value());
        }
        case node_kind::call: return eval_call(n, f);
        case node_kind::list: {
            std::vector<value> items;
            items.reserve(n.args.size());
            for (const auto& a : n.args) {
                value v = eval(*a, f);
                if (v.is_error()) return v;
                items.push_back(std::move(v));
            }
            return value::list(std::move(items));
        }
        case node_kind::map: return eval_map(n, f);
        case node_kind::logical_and:
        case node_kind::logical_or: return eval_logic(n, f);
        case node_kind::ternary: {
            value c = eval(*n.args[0], f);
            if (c.is_error()) return c;
            if (!c.is(kind::bool_)) {
                return value::error("no matching overload for '_?_:_' applied to (" +
                                    std::string(c.type_name()) + ")");
            }
            return eval(*n.args[c.as_bool() ? 1 : 2], f);
        }
        case node_kind::comprehension: return eval_comprehension(n, f);
        }
        return value::error("bad node");
    }

private:
    value eval_call(const node& n, const frame* f) const {
        const std::size_t argc = n.args.size();
        // Arguments live on the stack for the usual small arities: no allocation per call.
        std::array<value, 4> small;
        std::vector<value> big;
        value* argv = small.data();
        if (argc > small.size()) {
            big.resize(argc);
            argv = big.data();
        }
        for (std::size_t i = 0; i < argc; ++i) {
            argv[i] = eval(*n.args[i], f);
            if (argv[i].is_error()) return argv[i];
        }
        std::span<const value> args(argv, argc);
        if (n.direct) {
            if (args[0].is(kind::string_) && args[1].is(kind::string_)) return n.direct(args);
            return no_matching_overload(n.name, args);
        }
        if (!n.fn) return value::error("unbound function: " + n.name);
        return dispatch(*n.fn, args);
    }

    value eval_map(const node& n, const frame* f) const {
        std::vector<std::pair<value, value>> entries;
        entries.reserve(n.args.size() / 2);
        for (std::size_t i = 0; i + 1 < n.args.size(); i += 2) {
            value k = eval(*n.args[i], f);
            if (k.is_error()) return k;
            const kind kk = k.get_kind();
            if (kk != kind::int_ && kk != kind::uint_ && kk != kind::bool_ &&
                kk != kind::string_) {
                return value::error("unsupported key type: " + std::string(k.type_name()));
            }
            value v = eval(*n.args[i + 1], f);
            if (v.is_error()) return v;
            for (const auto& e : entries) {
                if (equal(e.first, k)) return value::error("Failed with repeated key");
            }
            entries.emplace_back(std::move(k), std::move(v));
        }
        return value::map(std::move(entries));
    }

    // Errors are absorbed when the other side decides the result (commutatively).
    value eval_logic(const node& n, const frame* f) const {
        const bool is_and = n.kind == node_kind::logical_and;
        value l = eval(*n.args[0], f);
        if (l.is(kind::bool_) && l.as_bool() != is_and) return l;
        value r = eval(*n.args[1], f);
        if (r.is(kind::bool_) && r.as_bool() != is_and) return r;
        if (l.is(kind::bool_) && r.is(kind::bool_)) return r;
        if (l.is_error()) return l;
        if (r.is_error()) return r;
        const value pair[2] = {l, r};
        return no_matching_overload(is_and ? "_&&_" : "_||_", pair);
    }

    value eval_comprehension(const node& n, const frame* f) const {
        value range = eval(*n.args[0], f);
        if (range.is_error()) return range;
        const bool is_map = range.is(kind::map);
        if (!is_map && !range.is(kind::list)) {
            return value::error("expression of type '" + std::string(range.type_name()) +
                                "' cannot be range of a comprehension");
        }
        const std::size_t size = range.size();
        value err;
        bool have_err = false;
        std::size_t count = 0;
        std::vector<value> out;
        for (std::size_t i = 0; i < size; ++i) {
            const value item = is_map ? range.map_key_at(i) : range.list_at(i);
            const frame fr{f, &item};
            switch (n.comp) {
            case comp_kind::all:
            case comp_kind::exists: {
                const bool stop_on = n.comp == comp_kind::exists;
                value p = eval(*n.args[1], &fr);
                if (p.is(kind::bool_)) {
                    if (p.as_bool() == stop_on) return p;
                } else if (!have_err) {
                    err = p.is_error() ? p : no_matching_overload("_&&_", std::span(&p, 1));
                    have_err = true;
                }
                break;
            }
            case comp_kind::exists_one: {
                value p = eval(*n.args[1], &fr);
                if (p.is_error()) return p;
                if (!p.is(kind::bool_)) return no_matching_overload("exists_one", std::span(&p, 1));
                if (p.as_bool()) ++count;
                break;
            }
            case comp_kind::map: {
                value t = eval(*n.args[1], &fr);
                if (t.is_error()) return t;
                out.push_back(std::move(t));
                break;
            }
            case comp_kind::filter:
            case comp_kind::map_filter: {
                value p = eval(*n.args[1], &fr);
                if (p.is_error()) return p;
                if (!p.is(kind::bool_)) return no_matching_overload("filter", std::span(&p, 1));
                if (!p.as_bool()) break;
                if (n.comp == comp_kind::filter) {
                    out.push_back(item);
                } else {
                    value t = eval(*n.args[2], &fr);
                    if (t.is_error()) return t;
                    out.push_back(std::move(t));
                }
                break;
            }
            }
        }
        switch (n.comp) {
        case comp_kind::all: return have_err ? err : value::boolean(true);
        case comp_kind::exists: return have_err ? err : value::boolean(false);
        case comp_kind::exists_one: return value::boolean(count == 1);
        default: return value::list(std::move(out));
        }
    }

    const activation& vars_;
};

}  // namespace

value evaluate(const node& root, const activation& vars) noexcept {
    try {
        return evaluator(vars).eval(root, nullptr);
    } catch (const std::exception& e) {
        try {
            return value::error(e.what());
        } catch (...) {
        }
    } catch (...) {
    }
    return value::error({});  // may itself fail only when memory is exhausted
}

}  // namespace ghost::lang::cel::detail

namespace ghost::lang::cel {

boost::system::result<program> program::compile(std::string_view text, const environment& env,
                                                 std::string* error) {
    std::string err;
    try {
        detail::node_ptr root = detail::parse(text, err);
        if (root && detail::check(root, text, env, err)) {
            auto data = std::make_shared<detail::program_data>();
            data->root = std::move(root);
            return program(std::move(data));
        }
    } catch (const std::exception& e) {
        err = std::string("column 1: ") + e.what();
    }
    if (error) *error = std::move(err);
    return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
}

value program::evaluate(const activation& vars) const {
    return detail::evaluate(*data_->root, vars);
}

type_spec program::result_type() const { return data_->root->type; }

}  // namespace ghost::lang::cel
