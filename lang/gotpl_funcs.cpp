// The Sprig v3 subset of template functions.

#include "lang/gotpl.hpp"
#include "lang/gotpl_format.hpp"
#include "lang/yaml_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace ghost::lang {

namespace json = boost::json;

namespace {

using args_t = std::span<const json::value>;
using res_t = boost::system::result<json::value>;

boost::system::error_code bad_args() {
    return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
}

// Sprig's strval: fmt.Sprintf("%v", v) for non-strings.
std::string strval(const json::value& v) {
    if (v.is_string()) return std::string(v.get_string());
    std::string s;
    gotpl_format::append_print(s, v);
    return s;
}

// cast.ToInt64 (lenient: failures are 0).
std::int64_t to_int64(const json::value& v) {
    switch (v.kind()) {
    case json::kind::int64: return v.get_int64();
    case json::kind::uint64: return std::int64_t(v.get_uint64());
    case json::kind::double_: return std::int64_t(std::trunc(v.get_double()));
    case json::kind::bool_: return v.get_bool() ? 1 : 0;
    case json::kind::string: {
        std::string_view s = v.get_string();
        // trimZeroDecimal: "5.0" -> "5"
        if (auto dot = s.find('.'); dot != std::string_view::npos &&
                                    s.find_first_not_of('0', dot + 1) == std::string_view::npos)
            s = s.substr(0, dot);
        auto r = resolve_plain_scalar(s);
        if (r.is_int64()) return r.get_int64();
        if (r.is_uint64()) return std::int64_t(r.get_uint64());
        return 0;
    }
    default: return 0;
    }
}

double to_float64(const json::value& v) {
    if (v.is_number()) return v.to_number<double>();
    if (v.is_bool()) return v.get_bool() ? 1 : 0;
    if (v.is_string()) {
        auto r = resolve_plain_scalar(v.get_string());
        if (r.is_number()) return r.to_number<double>();
    }
    return 0;
}

bool empty(const json::value& v) {
    switch (v.kind()) {
    case json::kind::null: return true;
    case json::kind::bool_: return !v.get_bool();
    case json::kind::int64: return v.get_int64() == 0;
    case json::kind::uint64: return v.get_uint64() == 0;
    case json::kind::double_: return v.get_double() == 0;
    case json::kind::string: return v.get_string().empty();
    case json::kind::array: return v.get_array().empty();
    case json::kind::object: return v.get_object().empty();
    }
    return true;
}

std::string str_arg(const json::value& v) { return v.is_string() ? strval(v) : strval(v); }

template <class F>
void add(func_map& m, const char* name, F f) {
    m.emplace(name, template_func(std::move(f)));
}

func_map make_sprig() {
    func_map m;
    add(m, "dict", [](args_t a) -> res_t {
        json::object o;
        for (std::size_t i = 0; i < a.size(); i += 2) {
            o[strval(a[i])] = i + 1 < a.size() ? a[i + 1] : json::value(json::string());
        }
        return json::value(std::move(o));
    });
    add(m, "list", [](args_t a) -> res_t {
        json::array arr;
        for (auto const& v : a) arr.push_back(v);
        return json::value(std::move(arr));
    });
    add(m, "default", [](args_t a) -> res_t {
        if (a.empty()) return bad_args();
        if (a.size() < 2 || empty(a[1])) return a[0];
        return a[1];
    });
    add(m, "empty", [](args_t a) -> res_t {
        if (a.size() != 1) return bad_args();
        return json::value(empty(a[0]));
    });
    add(m, "coalesce", [](args_t a) -> res_t {
        for (auto const& v : a)
            if (!empty(v)) return v;
        return json::value();
    });
    add(m, "ternary", [](args_t a) -> res_t {
        if (a.size() != 3) return bad_args();
        return a[2].is_bool() && a[2].get_bool() ? a[0] : a[1];
    });
    add(m, "has", [](args_t a) -> res_t {
        if (a.size() != 2) return bad_args();
        if (!a[1].is_array()) return json::value(false);
        for (auto const& v : a[1].get_array())
            if (v == a[0]) return json::value(true);
        return json::value(false);
    });
    add(m, "hasKey", [](args_t a) -> res_t {
        if (a.size() != 2) return bad_args();
        return json::value(a[0].is_object() && a[1].is_string() &&
                           a[0].get_object().contains(a[1].get_string()));
    });
    add(m, "get", [](args_t a) -> res_t {
        if (a.size() != 2) return bad_args();
        if (a[0].is_object() && a[1].is_string()) {
            if (auto* v = a[0].get_object().if_contains(a[1].get_string())) return *v;
        }
        return json::value(json::string());
    });
    // Go's set mutates the dict; with value semantics the updated copy is returned.
    add(m, "set", [](args_t a) -> res_t {
        if (a.size() != 3 || !a[0].is_object()) return bad_args();
        json::object o = a[0].get_object();
        o[strval(a[1])] = a[2];
        return json::value(std::move(o));
    });
    add(m, "unset", [](args_t a) -> res_t {
        if (a.size() != 2 || !a[0].is_object()) return bad_args();
        json::object o = a[0].get_object();
        o.erase(strval(a[1]));
        return json::value(std::move(o));
    });
    add(m, "keys", [](args_t a) -> res_t {
        std::vector<std::string> ks;
        for (auto const& d : a)
            if (d.is_object())
                for (auto const& kv : d.get_object()) ks.emplace_back(kv.key());
        std::sort(ks.begin(), ks.end());
        json::array arr;
        for (auto& k : ks) arr.emplace_back(json::string(k));
        return json::value(std::move(arr));
    });
    add(m, "first", [](args_t a) -> res_t {
        if (a.size() != 1) return bad_args();
        if (a[0].is_array() && !a[0].get_array().empty()) return a[0].get_array().front();
        return json::value();
    });
    add(m, "last", [](args_t a) -> res_t {
        if (a.size() != 1) return bad_args();
        if (a[0].is_array() && !a[0].get_array().empty()) return a[0].get_array().back();
        return json::value();
    });
    auto append = [](args_t a) -> res_t {
        if (a.size() != 2) return bad_args();
        json::array arr = a[0].is_array() ? a[0].get_array() : json::array();
        arr.push_back(a[1]);
        return json::value(std::move(arr));
    };
    add(m, "append", append);
    add(m, "push", append);
    add(m, "quote", [](args_t a) -> res_t {
        std::string s;
        bool first = true;
        for (auto const& v : a) {
            if (v.is_null()) continue;
            if (!first) s.push_back(' ');
            first = false;
            gotpl_format::append_go_quote(s, strval(v));
        }
        return json::value(json::string(s));
    });
    add(m, "squote", [](args_t a) -> res_t {
        std::string s;
        bool first = true;
        for (auto const& v : a) {
            if (v.is_null()) continue;
            if (!first) s.push_back(' ');
            first = false;
            s += "'" + strval(v) + "'";
        }
        return json::value(json::string(s));
    });
    add(m, "toJson", [](args_t a) -> res_t {
        if (a.size() != 1) return bad_args();
        return json::value(json::string(gotpl_format::to_json(a[0])));
    });
    auto to_string = [](args_t a) -> res_t {
        if (a.size() != 1) return bad_args();
        return json::value(json::string(strval(a[0])));
    };
    add(m, "toString", to_string);
    add(m, "toStr", to_string);
    add(m, "trim", [](args_t a) -> res_t {
        if (a.size() != 1) return bad_args();
        return json::value(json::string(trim_space(str_arg(a[0]))));
    });
    add(m, "trimPrefix", [](args_t a) -> res_t {
        if (a.size() != 2) return bad_args();
        std::string p = strval(a[0]), s = strval(a[1]);
        if (s.starts_with(p)) s.erase(0, p.size());
        return json::value(json::string(s));
    });
    add(m, "trimSuffix", [](args_t a) -> res_t {
        if (a.size() != 2) return bad_args();
        std::string p = strval(a[0]), s = strval(a[1]);
        if (s.ends_with(p)) s.resize(s.size() - p.size());
        return json::value(json::string(s));
    });
    add(m, "upper", [](args_t a) -> res_t {
        if (a.size() != 1) return bad_args();
        std::string s = strval(a[0]);
        for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
        return json::value(json::string(s));
    });
    add(m, "lower", [](args_t a) -> res_t {
        if (a.size() != 1) return bad_args();
        std::string s = strval(a[0]);
        for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
        return json::value(json::string(s));
    });
    add(m, "replace", [](args_t a) -> res_t {
        if (a.size() != 3) return bad_args();
        std::string from = strval(a[0]), to = strval(a[1]), s = strval(a[2]);
        if (from.empty()) return json::value(json::string(s));
        std::string out;
        std::size_t pos = 0;
        for (;;) {
            auto hit = s.find(from, pos);
            if (hit == std::string::npos) break;
            out.append(s, pos, hit - pos);
            out.append(to);
            pos = hit + from.size();
        }
        out.append(s, pos);
        return json::value(json::string(out));
    });
    add(m, "contains", [](args_t a) -> res_t {
        if (a.size() != 2) return bad_args();
        return json::value(strval(a[1]).find(strval(a[0])) != std::string::npos);
    });
    add(m, "hasPrefix", [](args_t a) -> res_t {
        if (a.size() != 2) return bad_args();
        return json::value(strval(a[1]).starts_with(strval(a[0])));
    });
    add(m, "hasSuffix", [](args_t a) -> res_t {
        if (a.size() != 2) return bad_args();
        return json::value(strval(a[1]).ends_with(strval(a[0])));
    });
    add(m, "splitList", [](args_t a) -> res_t {
        if (a.size() != 2) return bad_args();
        std::string sep = strval(a[0]), s = strval(a[1]);
        json::array arr;
        if (sep.empty()) {
            for (char c : s) arr.emplace_back(json::string(std::string(1, c)));
            return json::value(std::move(arr));
        }
        std::size_t pos = 0;
        for (;;) {
            auto hit = s.find(sep, pos);
            if (hit == std::string::npos) break;
            arr.emplace_back(json::string(s.substr(pos, hit - pos)));
            pos = hit + sep.size();
        }
        arr.emplace_back(json::string(s.substr(pos)));
        return json::value(std::move(arr));
    });
    add(m, "join", [](args_t a) -> res_t {
        if (a.size() != 2) return bad_args();
        std::string sep = strval(a[0]), out;
        if (a[1].is_array()) {
            bool first = true;
            for (auto const& v : a[1].get_array()) {
                if (!first) out += sep;
                first = false;
                out += strval(v);
            }
        } else {
            out = strval(a[1]);
        }
        return json::value(json::string(out));
    });
    add(m, "repeat", [](args_t a) -> res_t {
        if (a.size() != 2) return bad_args();
        std::string s = strval(a[1]), out;
        for (std::int64_t i = 0; i < to_int64(a[0]); ++i) out += s;
        return json::value(json::string(out));
    });
    add(m, "add", [](args_t a) -> res_t {
        std::int64_t r = 0;
        for (auto const& v : a) r += to_int64(v);
        return json::value(r);
    });
    add(m, "add1", [](args_t a) -> res_t {
        if (a.size() != 1) return bad_args();
        return json::value(to_int64(a[0]) + 1);
    });
    add(m, "sub", [](args_t a) -> res_t {
        if (a.size() != 2) return bad_args();
        return json::value(to_int64(a[0]) - to_int64(a[1]));
    });
    add(m, "mul", [](args_t a) -> res_t {
        std::int64_t r = 1;
        for (auto const& v : a) r *= to_int64(v);
        return json::value(r);
    });
    add(m, "div", [](args_t a) -> res_t {
        if (a.size() != 2 || to_int64(a[1]) == 0) return bad_args();
        return json::value(to_int64(a[0]) / to_int64(a[1]));
    });
    add(m, "mod", [](args_t a) -> res_t {
        if (a.size() != 2 || to_int64(a[1]) == 0) return bad_args();
        return json::value(to_int64(a[0]) % to_int64(a[1]));
    });
    add(m, "max", [](args_t a) -> res_t {
        if (a.empty()) return bad_args();
        std::int64_t r = to_int64(a[0]);
        for (auto const& v : a) r = std::max(r, to_int64(v));
        return json::value(r);
    });
    add(m, "min", [](args_t a) -> res_t {
        if (a.empty()) return bad_args();
        std::int64_t r = to_int64(a[0]);
        for (auto const& v : a) r = std::min(r, to_int64(v));
        return json::value(r);
    });
    auto to_int = [](args_t a) -> res_t {
        if (a.size() != 1) return bad_args();
        return json::value(to_int64(a[0]));
    };
    add(m, "int", to_int);
    add(m, "int64", to_int);
    add(m, "atoi", [](args_t a) -> res_t {
        if (a.size() != 1) return bad_args();
        std::string s = strval(a[0]);
        std::int64_t v = 0;
        auto r = std::from_chars(s.data(), s.data() + s.size(), v);
        if (r.ec != std::errc() || r.ptr != s.data() + s.size()) v = 0;
        return json::value(v);
    });
    add(m, "float64", [](args_t a) -> res_t {
        if (a.size() != 1) return bad_args();
        return json::value(to_float64(a[0]));
    });
    return m;
}

}  // namespace

const func_map& sprig_funcs() {
    static const func_map m = make_sprig();
    return m;
}


}  // namespace ghost::lang
