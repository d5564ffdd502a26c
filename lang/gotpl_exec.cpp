// Execution of parsed templates: a tree walker over pointers into the data. Values produced
// during execution (function results, literals' conversions) live in a per-execution arena so
// variables can hold plain pointers; the input is never copied.

#include "engine/error.hpp"
#include "lang/gotpl.hpp"
#include "lang/gotpl_ast.hpp"
#include "lang/gotpl_format.hpp"
#include "lang/gotpl_plan.hpp"
#include "lang/yaml_json.hpp"

#include <boost/container/small_vector.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <deque>
#include <exception>

namespace ghost::lang {

namespace json = boost::json;

namespace gotpl_detail {
namespace {

using vp = const json::value*;  // nullptr: Go's invalid value (missing key, nil)

vp bool_value(bool b) {
    static const json::value t(true), f(false);
    return b ? &t : &f;
}

const char* type_name(vp v) {
    if (!v) return "<nil>";
    switch (v->kind()) {
    case json::kind::null: return "interface {}";
    case json::kind::bool_: return "bool";
    case json::kind::int64: return "int";
    case json::kind::uint64: return "uint64";
    case json::kind::double_: return "float64";
    case json::kind::string: return "string";
    case json::kind::array: return "[]interface {}";
    case json::kind::object: return "map[string]interface {}";
    }
    return "?";
}

bool is_true(vp v) {
    if (!v) return false;
    switch (v->kind()) {
    case json::kind::null: return false;
    case json::kind::bool_: return v->get_bool();
    case json::kind::int64: return v->get_int64() != 0;
    case json::kind::uint64: return v->get_uint64() != 0;
    case json::kind::double_: return v->get_double() != 0;
    case json::kind::string: return !v->get_string().empty();
    case json::kind::array: return !v->get_array().empty();
    case json::kind::object: return !v->get_object().empty();
    }
    return false;
}

bool is_number(vp v) { return v && v->is_number(); }
bool is_nil(vp v) { return !v || v->is_null(); }

// -1, 0, 1 for two numbers of any JSON number kind.
int compare_numbers(const json::value& a, const json::value& b) {
    if (a.is_double() || b.is_double()) {
        double x = a.to_number<double>(), y = b.to_number<double>();
        return x < y ? -1 : x > y ? 1 : 0;
    }
    if (a.is_int64() && b.is_int64()) {
        auto x = a.get_int64(), y = b.get_int64();
        return x < y ? -1 : x > y ? 1 : 0;
    }
    if (a.is_uint64() && b.is_uint64()) {
        auto x = a.get_uint64(), y = b.get_uint64();
        return x < y ? -1 : x > y ? 1 : 0;
    }
    if (a.is_int64()) {  // b uint64
        if (a.get_int64() < 0) return -1;
        auto x = std::uint64_t(a.get_int64()), y = b.get_uint64();
        return x < y ? -1 : x > y ? 1 : 0;
    }
    return -compare_numbers(b, a);
}

bool to_index(const json::value& v, std::int64_t& out) {
    if (v.is_int64()) {
        out = v.get_int64();
        return true;
    }
    if (v.is_uint64()) {
        out = v.get_uint64() > std::uint64_t(INT64_MAX) ? -1 : std::int64_t(v.get_uint64());
        return true;
    }
    return false;
}

// Go's fmt.Sprint over values.
void sprint(std::string& out, std::span<const vp> args) {
    bool prev_string = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        bool is_string = args[i] && args[i]->is_string();
        if (i > 0 && !is_string && !prev_string) out.push_back(' ');
        if (!args[i]) out.append("<nil>");
        else gotpl_format::append_print(out, *args[i]);
        prev_string = is_string;
    }
}

void append_bad_verb(std::string& out, char verb, vp v) {
    out.append("%!");
    out.push_back(verb);
    out.push_back('(');
    if (!v || v->is_null()) {
        out.append("<nil>");
    } else {
        out.append(type_name(v));
        out.push_back('=');
        gotpl_format::append_print(out, *v);
    }
    out.push_back(')');
}

void pad(std::string& out, std::string_view s, int width, bool minus, bool zero) {
    int n = int(s.size());
    if (width <= n) {
        out.append(s);
        return;
    }
    if (minus) {
        out.append(s);
        out.append(std::size_t(width - n), ' ');
    } else if (zero) {
        std::size_t sign = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
        out.append(s.substr(0, sign));
        out.append(std::size_t(width - n), '0');
        out.append(s.substr(sign));
    } else {
        out.append(std::size_t(width - n), ' ');
        out.append(s);
    }
}

// fmt.Sprintf for the common verbs.
void sprintf(std::string& out, std::string_view f, std::span<const vp> args) {
    std::size_t argi = 0;
    for (std::size_t i = 0; i < f.size();) {
        char c = f[i];
        if (c != '%') {
            out.push_back(c);
            ++i;
            continue;
        }
        ++i;
        if (i >= f.size()) {
            out.append("%!(NOVERB)");
            break;
        }
        bool minus = false, plus = false, zero = false, sharp = false, space = false;
        for (; i < f.size(); ++i) {
            char fl = f[i];
            if (fl == '-') minus = true;
            else if (fl == '+') plus = true;
            else if (fl == '0') zero = true;
            else if (fl == '#') sharp = true;
            else if (fl == ' ') space = true;
            else break;
        }
        int width = -1, prec = -1;
        while (i < f.size() && f[i] >= '0' && f[i] <= '9') {
            width = (width < 0 ? 0 : width * 10) + (f[i] - '0');
            ++i;
        }
        if (i < f.size() && f[i] == '.') {
            ++i;
            prec = 0;
            while (i < f.size() && f[i] >= '0' && f[i] <= '9') prec = prec * 10 + (f[i++] - '0');
        }
        if (i >= f.size()) {
            out.append("%!(NOVERB)");
            break;
        }
        char verb = f[i++];
        if (verb == '%') {
            out.push_back('%');
            continue;
        }
        if (argi >= args.size()) {
            out.append("%!");
            out.push_back(verb);
            out.append("(MISSING)");
            continue;
        }
        vp v = args[argi++];
        std::string s;
        switch (verb) {
        case 'v':
            if (!v) s = "<nil>";
            else if (v->is_string() && sharp) gotpl_format::append_go_quote(s, v->get_string());
            else gotpl_format::append_print(s, *v);
            break;
        case 's':
            if (!v || v->is_null()) {
                append_bad_verb(s, verb, v);
            } else if (v->is_bool()) {
                append_bad_verb(s, verb, v);
            } else {
                gotpl_format::append_print(s, *v);
                if (prec >= 0 && v->is_string() && std::size_t(prec) < s.size()) s.resize(prec);
            }
            break;
        case 'q':
            if (v && v->is_string()) gotpl_format::append_go_quote(s, v->get_string());
            else if (v && (v->is_int64() || v->is_uint64())) {
                std::string ch = "'";
                auto cp = v->to_number<std::int64_t>();
                if (cp >= 0x20 && cp < 0x7f) ch.push_back(char(cp));
                ch.push_back('\'');
                s = ch;
            } else append_bad_verb(s, verb, v);
            break;
        case 't':
            if (v && v->is_bool()) s = v->get_bool() ? "true" : "false";
            else append_bad_verb(s, verb, v);
            break;
        case 'd': case 'x': case 'X': case 'o': case 'b': case 'c': {
            if (v && (v->is_int64() || v->is_uint64())) {
                if (verb == 'c') {
                    auto cp = std::uint32_t(v->to_number<std::int64_t>());
                    char buf[8];
                    std::size_t n = 0;
                    if (cp < 0x80) buf[n++] = char(cp);
                    else if (cp < 0x800) {
                        buf[n++] = char(0xC0 | (cp >> 6));
                        buf[n++] = char(0x80 | (cp & 0x3F));
                    } else {
                        buf[n++] = char(0xE0 | (cp >> 12));
                        buf[n++] = char(0x80 | ((cp >> 6) & 0x3F));
                        buf[n++] = char(0x80 | (cp & 0x3F));
                    }
                    s.assign(buf, n);
                    break;
                }
                bool neg = v->is_int64() && v->get_int64() < 0;
                std::uint64_t mag = v->is_int64()
                                        ? (neg ? 0 - std::uint64_t(v->get_int64())
                                               : std::uint64_t(v->get_int64()))
                                        : v->get_uint64();
                int base = verb == 'd' ? 10 : verb == 'o' ? 8 : verb == 'b' ? 2 : 16;
                char buf[80];
                auto r = std::to_chars(buf, buf + sizeof buf, mag, base);
                std::string digits(buf, r.ptr);
                if (verb == 'X')
                    for (auto& ch : digits) ch = char(std::toupper(static_cast<unsigned char>(ch)));
                if (prec >= 0 && int(digits.size()) < prec)
                    digits.insert(0, std::size_t(prec) - digits.size(), '0');
                if (sharp && base == 16) digits.insert(0, verb == 'X' ? "0X" : "0x");
                if (sharp && base == 8) digits.insert(0, "0");
                s = neg ? "-" + digits : plus ? "+" + digits : space ? " " + digits : digits;
            } else if (v && v->is_string() && (verb == 'x' || verb == 'X')) {
                static const char* lower = "0123456789abcdef";
                static const char* upper = "0123456789ABCDEF";
                const char* hx = verb == 'x' ? lower : upper;
                for (unsigned char ch : v->get_string()) {
                    s.push_back(hx[ch >> 4]);
                    s.push_back(hx[ch & 15]);
                }
            } else {
                append_bad_verb(s, verb, v);
            }
            break;
        }
        case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': {
            if (!is_number(v)) {
                append_bad_verb(s, verb, v);
                break;
            }
            double d = v->to_number<double>();
            if (verb == 'g' && prec < 0) {
                if (plus && d >= 0) s.push_back('+');
                gotpl_format::append_number(s, json::value(d));
                break;
            }
            std::string spec = "%";
            if (plus) spec.push_back('+');
            if (space) spec.push_back(' ');
            if (sharp) spec.push_back('#');
            spec.push_back('.');
            spec += std::to_string(prec < 0 ? 6 : prec);
            spec.push_back(verb == 'F' ? 'f' : verb);
            char buf[512];
            int n = std::snprintf(buf, sizeof buf, spec.c_str(), d);
            if (n > 0) s.assign(buf, std::size_t(std::min(n, int(sizeof buf) - 1)));
            break;
        }
        default:
            append_bad_verb(s, verb, v);
        }
        pad(out, s, width, minus, zero && verb != 's' && verb != 'v' && verb != 'q');
    }
    if (argi < args.size()) {
        out.append("%!(EXTRA ");
        for (std::size_t k = argi; k < args.size(); ++k) {
            if (k > argi) out.append(", ");
            out.append(type_name(args[k]));
            out.push_back('=');
            if (args[k]) gotpl_format::append_print(out, *args[k]);
            else out.append("<nil>");
        }
        out.push_back(')');
    }
}

void html_escape(std::string& out, std::string_view s) {
    for (char c : s) {
        switch (c) {
        case '"': out.append("&#34;"); break;
        case '\'': out.append("&#39;"); break;
        case '&': out.append("&amp;"); break;
        case '<': out.append("&lt;"); break;
        case '>': out.append("&gt;"); break;
        case '\0': out.append("\uFFFD"); break;
        default: out.push_back(c);
        }
    }
}

void js_escape(std::string& out, std::string_view s) {
    static const char* hx = "0123456789ABCDEF";
    for (char ch : s) {
        unsigned char c = static_cast<unsigned char>(ch);
        switch (c) {
        case '\\': out.append("\\\\"); break;
        case '\'': out.append("\\'"); break;
        case '"': out.append("\\\""); break;
        case '<': out.append("\\u003C"); break;
        case '>': out.append("\\u003E"); break;
        case '&': out.append("\\u0026"); break;
        case '=': out.append("\\u003D"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        default:
            if (c < 0x20) {
                out.append("\\u00");
                out.push_back(hx[c >> 4]);
                out.push_back(hx[c & 15]);
            } else {
                out.push_back(ch);
            }
        }
    }
}

void query_escape(std::string& out, std::string_view s) {
    static const char* hx = "0123456789ABCDEF";
    for (char ch : s) {
        unsigned char c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(ch);
        } else if (c == ' ') {
            out.push_back('+');
        } else {
            out.push_back('%');
            out.push_back(hx[c >> 4]);
            out.push_back(hx[c & 15]);
        }
    }
}

enum class flow { normal, break_, continue_, error };

class executor {
public:
    executor(const tree& t, const func_map& funcs, std::string& out)
        : tree_(t), funcs_(funcs), out_(out) {
        vars_.reserve(t.max_vars + 4);
    }
    // The output goes to the render plan's feed instead of `out`.
    executor(const tree& t, const func_map& funcs, line_feed& feed, std::string& scratch)
        : executor(t, funcs, scratch) {
        feed_ = &feed;
    }

    bool run(const json::value& dot, std::string& error) {
        vars_.push_back(&dot);
        flow f = walk(tree_.root, &dot);
        if (f == flow::error) {
            error = std::move(err_);
            return false;
        }
        return true;
    }

private:
    vp keep(json::value v) {
        arena_.push_back(std::move(v));
        return &arena_.back();
    }

    std::nullptr_t fail(std::uint32_t pos, std::string msg) {
        if (!failed_) {
            failed_ = true;
            err_ = location(tree_.text, pos) + std::move(msg);
        }
        return nullptr;
    }

    // Go has no limit; a stage's template runs on the reactor, so a runaway one ("range 27"
    // nested eight deep: found by gotpl_fuzz, out of memory) must end in an error.
    static constexpr std::uint64_t max_steps = 1'000'000;
    static constexpr std::uint64_t max_output = 16u << 20;

    bool over_budget(const node& nd) {
        if (++steps_ <= max_steps && emitted_ <= max_output) return false;
        fail(nd.pos, steps_ > max_steps ? "template execution exceeded " +
                                              std::to_string(max_steps) + " steps"
                                        : "template output exceeded " +
                                              std::to_string(max_output >> 20) + " MiB");
        return true;
    }

    flow walk(const node_list& list, vp dot) {
        for (auto const& nd : list) {
            if (over_budget(nd)) return flow::error;
            switch (nd.k) {
            case node::kind::text:
                emitted_ += nd.text.size();
                if (feed_) feed_->text(nd);
                else out_.append(nd.text);
                break;
            case node::kind::action: {
                vp v = eval_pipeline(dot, *nd.pipe);
                if (failed_) return flow::error;
                if (!nd.pipe->decl.empty()) break;
                if (feed_) {
                    if (!v) {
                        feed_->dynamic("<no value>");
                    } else if (v->is_string()) {
                        emitted_ += v->get_string().size();
                        feed_->dynamic(v->get_string());
                    } else {
                        out_.clear();
                        gotpl_format::append_print(out_, *v);
                        emitted_ += out_.size();
                        feed_->dynamic(out_);
                    }
                } else if (!v) {
                    out_.append("<no value>");
                } else {
                    const std::size_t before = out_.size();
                    gotpl_format::append_print(out_, *v);
                    emitted_ += out_.size() - before;
                }
                break;
            }
            case node::kind::if_:
            case node::kind::with: {
                std::size_t mark = vars_.size();
                vp v = eval_pipeline(dot, *nd.pipe);
                if (failed_) return flow::error;
                flow f = flow::normal;
                if (is_true(v)) f = walk(nd.list, nd.k == node::kind::with ? v : dot);
                else if (!nd.else_list.empty()) f = walk(nd.else_list, dot);
                vars_.resize(mark);
                if (f != flow::normal) return f;
                break;
            }
            case node::kind::range: {
                flow f = walk_range(nd, dot);
                if (f == flow::error) return f;
                break;
            }
            case node::kind::break_: return flow::break_;
            case node::kind::continue_: return flow::continue_;
            }
        }
        return flow::normal;
    }

    flow walk_range(const node& nd, vp dot) {
        std::size_t mark = vars_.size();
        vp v = eval_pipeline(dot, *nd.pipe);
        if (failed_) return flow::error;
        const auto& decl = nd.pipe->decl;
        std::size_t body_mark = vars_.size();
        bool ran = false;
        // Returns false to stop iterating.
        auto one = [&](vp key, vp elem, flow& f) {
            if (over_budget(nd)) {  // an iteration is a step, even with an empty body
                f = flow::error;
                return false;
            }
            ran = true;
            if (decl.size() == 1) {
                vars_[decl[0]] = elem;
            } else if (decl.size() == 2) {
                vars_[decl[0]] = key;
                vars_[decl[1]] = elem;
            }
            f = walk(nd.list, elem);
            vars_.resize(body_mark);
            return f == flow::normal || f == flow::continue_;
        };
        flow f = flow::normal;
        if (v && v->is_array()) {
            const auto& arr = v->get_array();
            for (std::size_t i = 0; i < arr.size(); ++i) {
                vp key = decl.size() == 2 ? keep(std::int64_t(i)) : nullptr;
                if (!one(key, &arr[i], f)) break;
            }
        } else if (v && v->is_object()) {
            const auto& obj = v->get_object();
            boost::container::small_vector<const json::key_value_pair*, 16> items;
            for (auto const& kv : obj) items.push_back(&kv);
            std::sort(items.begin(), items.end(),
                      [](auto* a, auto* b) { return a->key() < b->key(); });
            for (auto* kv : items) {
                vp key = decl.size() == 2 ? keep(json::string(kv->key())) : nullptr;
                if (!one(key, &kv->value(), f)) break;
            }
        } else if (v && (v->is_int64() || v->is_uint64())) {
            std::int64_t n = v->to_number<std::int64_t>();
            for (std::int64_t i = 0; i < n; ++i) {
                vp elem = keep(i);
                if (!one(decl.size() == 2 ? elem : nullptr, elem, f)) break;
            }
        } else if (v && !v->is_null()) {
            fail(nd.pos, std::string("range can't iterate over ") +
                             (v->is_string() ? std::string(v->get_string())
                                             : std::string(type_name(v))));
            return flow::error;
        }
        if (f == flow::error) return f;
        if (!ran && !nd.else_list.empty()) {
            f = walk(nd.else_list, dot);
            if (f == flow::error) return f;
        }
        vars_.resize(mark);
        return flow::normal;
    }

    vp eval_pipeline(vp dot, const pipeline& p) {
        vp value = nullptr;
        for (std::size_t i = 0; i < p.cmds.size(); ++i) {
            value = eval_command(dot, p.cmds[i], i > 0, value);
            if (failed_) return nullptr;
        }
        if (value && value->is_null()) value = nullptr;  // an interface holding nil is "no value"
        for (auto slot : p.decl) {
            if (p.assign) {
                vars_[slot] = value;
            } else {
                vars_.resize(slot);
                vars_.push_back(value);
            }
        }
        return value;
    }

    vp field_chain(vp r, const std::vector<std::string>& fields, std::uint32_t pos) {
        for (auto const& name : fields) {
            if (!r) return nullptr;
            if (r->is_object()) {
                const auto& obj = r->get_object();
                auto it = obj.find(name);
                r = it == obj.end() ? nullptr : &it->value();
            } else if (r->is_null()) {
                return fail(pos, "nil pointer evaluating interface {}." + name);
            } else {
                return fail(pos, "can't evaluate field " + name + " in type " + type_name(r));
            }
        }
        return r;
    }

    vp eval_command(vp dot, const command& cmd, bool has_final, vp final) {
        const operand& first = cmd.args[0];
        bool extra = cmd.args.size() > 1 || has_final;
        std::span<const operand> rest(cmd.args.data() + 1, cmd.args.size() - 1);
        switch (first.k) {
        case operand::kind::function:
            if (first.fields.empty()) return call(dot, first, rest, has_final, final);
            if (extra)
                return fail(first.pos, first.fields.back() + " is not a method but has arguments");
            return eval_arg(dot, first);
        case operand::kind::field:
        case operand::kind::sub:
            if (extra && (first.k == operand::kind::field || !first.fields.empty()))
                return fail(first.pos, first.fields.back() + " is not a method but has arguments");
            if (extra) return fail(first.pos, "can't give argument to non-function");
            return eval_arg(dot, first);
        case operand::kind::variable:
            if (extra)
                return fail(first.pos, first.fields.empty()
                                           ? "can't give argument to non-function " + first.name
                                           : first.fields.back() +
                                                 " is not a method but has arguments");
            return eval_arg(dot, first);
        case operand::kind::nil: return fail(first.pos, "nil is not a command");
        case operand::kind::dot:
        case operand::kind::literal:
            if (extra) return fail(first.pos, "can't give argument to non-function");
            return eval_arg(dot, first);
        }
        return nullptr;
    }

    vp eval_arg(vp dot, const operand& op) {
        switch (op.k) {
        case operand::kind::dot: return dot;
        case operand::kind::field: return field_chain(dot, op.fields, op.pos);
        case operand::kind::variable:
            return field_chain(op.slot < vars_.size() ? vars_[op.slot] : nullptr, op.fields,
                               op.pos);
        case operand::kind::literal: return &op.literal;
        case operand::kind::nil: return nullptr;
        case operand::kind::function: {
            vp v = call(dot, op, {}, false, nullptr);
            if (failed_ || op.fields.empty()) return v;
            return field_chain(v, op.fields, op.pos);
        }
        case operand::kind::sub: {
            vp v = eval_pipeline(dot, *op.sub);
            if (failed_ || op.fields.empty()) return v;
            return field_chain(v, op.fields, op.pos);
        }
        }
        return nullptr;
    }

    using arg_values = boost::container::small_vector<vp, 8>;

    bool eval_args(vp dot, std::span<const operand> args, bool has_final, vp final,
                   arg_values& out) {
        for (auto const& a : args) {
            out.push_back(eval_arg(dot, a));
            if (failed_) return false;
        }
        if (has_final) out.push_back(final);
        return true;
    }

    vp call(vp dot, const operand& fn, std::span<const operand> args, bool has_final, vp final) {
        if (fn.fn != builtin::none) return call_builtin(dot, fn, args, has_final, final);
        const template_func* f = nullptr;
        if (auto it = funcs_.find(fn.name); it != funcs_.end()) {
            f = &it->second;
        } else {
            const auto& sprig = sprig_funcs();
            if (auto sit = sprig.find(fn.name); sit != sprig.end()) f = &sit->second;
        }
        if (!f || !*f) return fail(fn.pos, "function \"" + fn.name + "\" not defined");
        boost::container::small_vector<json::value, 6> argv;
        for (auto const& a : args) {
            vp v = eval_arg(dot, a);
            if (failed_) return nullptr;
            // Copies of the arguments live in the execution's scratch arena, not the heap.
            argv.push_back(v ? json::value(*v, scratch_) : json::value());
        }
        if (has_final) argv.push_back(final ? json::value(*final, scratch_) : json::value());
        try {
            auto r = (*f)(std::span<const json::value>(argv.data(), argv.size()));
            if (!r) return fail(fn.pos, "error calling " + fn.name + ": " + r.error().message());
            return keep(std::move(*r));
        } catch (const std::exception& e) {
            return fail(fn.pos, "error calling " + fn.name + ": " + e.what());
        }
    }

    vp call_builtin(vp dot, const operand& fn, std::span<const operand> args, bool has_final,
                    vp final) {
        std::size_t argc = args.size() + (has_final ? 1 : 0);
        auto need = [&](std::size_t n) {
            if (argc == n) return true;
            fail(fn.pos, "wrong number of args for " + fn.name + ": want " + std::to_string(n) +
                             " got " + std::to_string(argc));
            return false;
        };
        switch (fn.fn) {
        case builtin::and_:
        case builtin::or_: {
            if (argc == 0) {
                return fail(fn.pos, "wrong number of args for " + fn.name +
                                        ": want at least 1 got 0");
            }
            bool want = fn.fn == builtin::or_;
            vp v = nullptr;
            for (auto const& a : args) {
                v = eval_arg(dot, a);
                if (failed_) return nullptr;
                if (is_true(v) == want) return v;
            }
            if (has_final) v = final;
            return v;
        }
        default: break;
        }
        arg_values av;
        if (!eval_args(dot, args, has_final, final, av)) return nullptr;
        switch (fn.fn) {
        case builtin::not_:
            if (!need(1)) return nullptr;
            return bool_value(!is_true(av[0]));
        case builtin::eq: {
            if (argc < 2) return fail(fn.pos, "missing argument for comparison");
            bool r = false;
            for (std::size_t i = 1; i < av.size() && !r; ++i) {
                int c = 0;
                if (!compare(fn, av[0], av[i], true, c)) return nullptr;
                r = c == 0;
            }
            return bool_value(r);
        }
        case builtin::ne:
        case builtin::lt:
        case builtin::le:
        case builtin::gt:
        case builtin::ge: {
            if (!need(2)) return nullptr;
            int c = 0;
            if (!compare(fn, av[0], av[1], fn.fn == builtin::ne, c)) return nullptr;
            switch (fn.fn) {
            case builtin::ne: return bool_value(c != 0);
            case builtin::lt: return bool_value(c < 0);
            case builtin::le: return bool_value(c <= 0);
            case builtin::gt: return bool_value(c > 0);
            default: return bool_value(c >= 0);
            }
        }
        case builtin::len: {
            if (!need(1)) return nullptr;
            vp v = av[0];
            if (is_nil(v)) return fail(fn.pos, "error calling len: len of nil pointer");
            if (v->is_string()) return keep(std::int64_t(v->get_string().size()));
            if (v->is_array()) return keep(std::int64_t(v->get_array().size()));
            if (v->is_object()) return keep(std::int64_t(v->get_object().size()));
            return fail(fn.pos, std::string("error calling len: len of type ") + type_name(v));
        }
        case builtin::index: {
            if (argc < 1) return fail(fn.pos, "wrong number of args for index: want at least 1");
            vp item = av[0];
            for (std::size_t i = 1; i < av.size(); ++i) {
                vp key = av[i];
                if (is_nil(item)) return fail(fn.pos, "error calling index: index of untyped nil");
                if (item->is_object()) {
                    if (!key || !key->is_string())
                        return fail(fn.pos, std::string("error calling index: value has type ") +
                                                type_name(key) + "; should be string");
                    const auto& obj = item->get_object();
                    auto it = obj.find(key->get_string());
                    item = it == obj.end() ? nullptr : &it->value();
                } else if (item->is_array() || item->is_string()) {
                    std::int64_t idx = 0;
                    if (!key || !to_index(*key, idx))
                        return fail(fn.pos, std::string("error calling index: cannot index slice/"
                                                        "array with type ") +
                                                type_name(key));
                    std::size_t size = item->is_array() ? item->get_array().size()
                                                        : item->get_string().size();
                    if (idx < 0 || std::uint64_t(idx) >= size)
                        return fail(fn.pos, "error calling index: index out of range: " +
                                                std::to_string(idx));
                    if (item->is_array()) {
                        item = &item->get_array()[std::size_t(idx)];
                    } else {
                        item = keep(std::int64_t(
                            static_cast<unsigned char>(item->get_string()[std::size_t(idx)])));
                    }
                } else {
                    return fail(fn.pos, std::string("error calling index: can't index item of "
                                                    "type ") +
                                            type_name(item));
                }
            }
            return item;
        }
        case builtin::print:
        case builtin::println: {
            std::string s;
            if (fn.fn == builtin::print) {
                sprint(s, av);
            } else {
                for (std::size_t i = 0; i < av.size(); ++i) {
                    if (i > 0) s.push_back(' ');
                    if (av[i]) gotpl_format::append_print(s, *av[i]);
                    else s.append("<nil>");
                }
                s.push_back('\n');
            }
            return keep(json::string(s));
        }
        case builtin::printf: {
            if (argc < 1) return fail(fn.pos, "wrong number of args for printf: want at least 1");
            if (!av[0] || !av[0]->is_string())
                return fail(fn.pos, std::string("wrong type for value; expected string; got ") +
                                        type_name(av[0]));
            std::string s;
            sprintf(s, av[0]->get_string(), std::span<const vp>(av.data() + 1, av.size() - 1));
            return keep(json::string(s));
        }
        case builtin::html:
        case builtin::js:
        case builtin::urlquery: {
            std::string in;
            if (av.size() == 1 && av[0] && av[0]->is_string()) in = av[0]->get_string();
            else sprint(in, av);
            std::string s;
            if (fn.fn == builtin::html) html_escape(s, in);
            else if (fn.fn == builtin::js) js_escape(s, in);
            else query_escape(s, in);
            return keep(json::string(s));
        }
        default: return nullptr;
        }
    }

    // Go's eq/lt comparison rules (numbers of any kind compare by value). Sets c to -1/0/1;
    // for `equality` only, mismatched nil operands compare unequal instead of failing.
    bool compare(const operand& fn, vp a, vp b, bool equality, int& c) {
        bool an = is_nil(a), bn = is_nil(b);
        if (an || bn) {
            if (!equality) {
                fail(fn.pos, "error calling " + fn.name + ": invalid type for comparison");
                return false;
            }
            c = an && bn ? 0 : 1;
            return true;
        }
        if (a->is_number() && b->is_number()) {
            c = compare_numbers(*a, *b);
            return true;
        }
        if (a->kind() != b->kind()) {
            fail(fn.pos, "error calling " + fn.name + ": incompatible types for comparison");
            return false;
        }
        if (a->is_string()) {
            int r = std::string_view(a->get_string()).compare(std::string_view(b->get_string()));
            c = r < 0 ? -1 : r > 0 ? 1 : 0;
            return true;
        }
        if (a->is_bool()) {
            if (!equality) {
                fail(fn.pos, "error calling " + fn.name + ": invalid type for comparison");
                return false;
            }
            c = a->get_bool() == b->get_bool() ? 0 : 1;
            return true;
        }
        fail(fn.pos, std::string("error calling ") + fn.name + ": non-comparable type " +
                         type_name(a));
        return false;
    }

    const tree& tree_;
    const func_map& funcs_;
    std::string& out_;  // with feed_: scratch space for printing a value
    line_feed* feed_ = nullptr;
    std::vector<vp> vars_;
    // Argument copies for function calls (first block on the stack, freed with the executor;
    // declared before arena_, which may hold values made from them, so it outlives them).
    unsigned char scratch_block_[2048];
    json::monotonic_resource scratch_resource_{scratch_block_, sizeof scratch_block_};
    json::storage_ptr scratch_{&scratch_resource_};
    std::deque<json::value> arena_;
    std::uint64_t steps_ = 0;    ///< nodes walked (over_budget)
    std::uint64_t emitted_ = 0;  ///< output bytes
    bool failed_ = false;
    std::string err_;
};

}  // namespace
}  // namespace gotpl_detail

// ---------------------------------------------------------------------------------------------

compiled_template::compiled_template(std::unique_ptr<gotpl_detail::tree> t) : tree_(std::move(t)) {}
compiled_template::~compiled_template() = default;

std::string_view compiled_template::text() const { return tree_->text; }

namespace {

struct function_checker {
    const std::function<bool(std::string_view)>& is_known;
    const std::string& text;
    std::string error;

    void pipe(const gotpl_detail::pipeline* p) {
        if (!p) return;
        for (const auto& cmd : p->cmds) {
            for (const auto& arg : cmd.args) {
                if (!error.empty()) return;
                using k = gotpl_detail::operand::kind;
                if (arg.k == k::function && arg.fn == gotpl_detail::builtin::none &&
                    !sprig_funcs().count(arg.name) && !is_known(arg.name)) {
                    error = gotpl_detail::location(text, arg.pos) + "function \"" + arg.name +
                            "\" not defined";
                }
                if (arg.k == k::sub) pipe(arg.sub.get());
            }
        }
    }
    void nodes(const gotpl_detail::node_list& list) {
        for (const auto& n : list) {
            if (!error.empty()) return;
            pipe(n.pipe.get());
            nodes(n.list);
            nodes(n.else_list);
        }
    }
};

}  // namespace

std::string compiled_template::check_functions(
    const std::function<bool(std::string_view)>& is_known) const {
    function_checker c{is_known, tree_->text, {}};
    c.nodes(tree_->root);
    return c.error;
}

boost::system::result<std::shared_ptr<const compiled_template>> compiled_template::parse(
    std::string_view text, std::string* error) {
    try {
        auto t = std::make_unique<gotpl_detail::tree>();
        t->text = std::string(text);
        std::string err;
        if (!gotpl_detail::parse_tree(*t, err)) {
            if (error) *error = std::move(err);
            return engine::make_error_code(engine::errc::parse_error);
        }
        gotpl_detail::compile_plan(*t);
        return std::make_shared<const compiled_template>(std::move(t));
    } catch (const std::exception& e) {
        if (error) *error = std::string("template: ") + e.what();
        return engine::make_error_code(engine::errc::parse_error);
    }
}

boost::system::error_code compiled_template::execute(std::string& out, const json::value& dot,
                                                     const func_map& funcs,
                                                     std::string* error) const {
    try {
        gotpl_detail::executor ex(*tree_, funcs, out);
        std::string err;
        if (!ex.run(dot, err)) {
            if (error) *error = std::move(err);
            return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
        }
        return {};
    } catch (const std::exception& e) {
        if (error) *error = std::string("template: ") + e.what();
        return boost::system::errc::make_error_code(boost::system::errc::not_enough_memory);
    }
}

boost::system::result<std::string> compiled_template::render(const json::value& dot,
                                                             const func_map& funcs,
                                                             std::string* error) const {
    std::string out;
    out.reserve(tree_->text.size() + 256);
    if (auto ec = execute(out, dot, funcs, error)) return ec;
    return out;
}

namespace {

// Buffers reused across renders on a thread (they keep their capacity); a render from inside
// a template function gets its own.
struct render_buffers {
    yaml_line::builder builder{{}};
    std::string line;
    std::string text;
    bool busy = false;
};

class borrowed_buffers {
public:
    borrowed_buffers() : buf_(shared().busy ? own_ : shared()) { buf_.busy = true; }
    ~borrowed_buffers() {
        buf_.builder.reset({});  // drops what was built in the caller's arena
        buf_.busy = false;
    }
    render_buffers* operator->() { return &buf_; }

private:
    static render_buffers& shared() {
        thread_local render_buffers b;
        return b;
    }
    render_buffers own_;
    render_buffers& buf_;
};

}  // namespace

compiled_template::plan_outcome compiled_template::run_plan(const json::value& dot,
                                                            const func_map& funcs,
                                                            std::string* error,
                                                            json::storage_ptr sp,
                                                            json::value& out) const {
    if (!tree_->plan_ok) return plan_outcome::not_taken;
    borrowed_buffers buf;
    buf->builder.reset(sp);
    gotpl_detail::line_feed feed(*tree_, buf->builder, buf->line);
    try {
        gotpl_detail::executor ex(*tree_, funcs, feed, buf->text);
        std::string err;
        if (!ex.run(dot, err)) {
            if (error) *error = std::move(err);
            return plan_outcome::failed;
        }
    } catch (const std::exception& e) {
        if (error) *error = std::string("template: ") + e.what();
        return plan_outcome::failed;
    }
    json::value v(sp);
    if (!feed.finish(v)) return plan_outcome::not_taken;
    out = std::move(v);
    return plan_outcome::taken;
}

boost::system::result<json::value> compiled_template::render_to_json(const json::value& dot,
                                                                     const func_map& funcs,
                                                                     std::string* error,
                                                                     json::storage_ptr sp) const {
    // The render plan first: a template error is final (the YAML path would fail the same
    // way); output the plan does not take goes the YAML way.
    json::value out(sp);
    switch (run_plan(dot, funcs, error, sp, out)) {
    case plan_outcome::taken: return out;
    case plan_outcome::failed:
        return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
    case plan_outcome::not_taken: break;
    }
    borrowed_buffers buf;
    buf->text.clear();
    if (auto ec = execute(buf->text, dot, funcs, error)) return ec;
    return yaml_to_json(trim_space(buf->text), std::move(sp), error);
}

bool compiled_template::render_plan(const json::value& dot, const func_map& funcs,
                                    json::value& out, json::storage_ptr sp) const {
    return run_plan(dot, funcs, nullptr, std::move(sp), out) == plan_outcome::taken;
}

std::string_view trim_space(std::string_view s) {
    auto sp = [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
    };
    while (!s.empty() && sp(s.front())) s.remove_prefix(1);
    while (!s.empty() && sp(s.back())) s.remove_suffix(1);
    return s;
}


}  // namespace ghost::lang
