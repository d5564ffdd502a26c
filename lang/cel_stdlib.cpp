#include "lang/cel_stdlib.hpp"

#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <mutex>
#include <unordered_map>

#include "lang/cel_format.hpp"
#include "lang/cel_heap.hpp"
#include "lang/cel_lexer.hpp"
#include "lang/cel_time.hpp"

namespace ghost::lang::cel::detail {

namespace {

using args_t = std::span<const value>;

value err(std::string s) { return value::error(std::move(s)); }

class builder {
public:
    explicit builder(function_map& m) : m_(m) {}

    builder& fn(std::string name, function_options opts = {}) {
        auto& slot = m_[name];
        if (!slot) {
            auto d = std::make_shared<function_decl>();
            d->name = name;
            d->options = opts;
            slot = d;
        }
        cur_ = std::const_pointer_cast<function_decl>(slot);
        return *this;
    }

    builder& o(std::vector<kind> params, kind result, function_impl impl) {
        overload ov;
        for (kind k : params) ov.params.push_back(type_spec::of(k));
        ov.result = type_spec::of(result);
        ov.impl = std::move(impl);
        cur_->overloads.push_back(std::move(ov));
        return *this;
    }

private:
    function_map& m_;
    std::shared_ptr<function_decl> cur_;
};

constexpr function_options global_fn{true, false};
constexpr function_options member_fn{false, true};
constexpr function_options both_fn{true, true};

constexpr kind I = kind::int_, U = kind::uint_, D = kind::double_, S = kind::string_,
               B = kind::bytes_, L = kind::list, M = kind::map, T = kind::timestamp,
               Du = kind::duration, Bo = kind::bool_, Dy = kind::dyn, Ty = kind::type;

value overflow() { return err("integer overflow"); }

value concat_lists(const value& a, const value& b) {
    std::vector<value> items;
    items.reserve(a.size() + b.size());
    for (std::size_t i = 0; i < a.size(); ++i) items.push_back(a.list_at(i));
    for (std::size_t i = 0; i < b.size(); ++i) items.push_back(b.list_at(i));
    return value::list(std::move(items));
}

value make_timestamp(std::int64_t s, std::int64_t nanos) {
    time_parts t = normalize_timestamp(s, nanos);
    if (!timestamp_in_range(t)) return err("timestamp overflow");
    return value::timestamp(t);
}

value make_duration(std::int64_t s, std::int64_t nanos) {
    std::int64_t sum = 0;
    if (__builtin_add_overflow(s, nanos / 1000000000, &sum)) return err("duration overflow");
    time_parts d = normalize_duration(sum, nanos % 1000000000);
    if (!duration_in_range(d)) return err("duration overflow");
    return value::duration(d);
}

std::int64_t utf8_length(std::string_view s) {
    std::int64_t n = 0;
    for (char c : s) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    }
    return n;
}

bool compare_result(const value& a, const value& b, bool (*pred)(int)) {
    auto c = compare(a, b);
    return c && pred(*c);
}

void add_operators(builder& b) {
    b.fn("_+_")
        .o({I, I}, I,
           [](args_t a) {
               std::int64_t r;
               if (__builtin_add_overflow(a[0].as_int(), a[1].as_int(), &r)) return overflow();
               return value::integer(r);
           })
        .o({U, U}, U,
           [](args_t a) {
               std::uint64_t r;
               if (__builtin_add_overflow(a[0].as_uint(), a[1].as_uint(), &r)) return overflow();
               return value::uinteger(r);
           })
        .o({D, D}, D, [](args_t a) { return value::real(a[0].as_double() + a[1].as_double()); })
        .o({S, S}, S,
           [](args_t a) {
               std::string s(a[0].as_string());
               s += a[1].as_string();
               return value::string(std::move(s));
           })
        .o({B, B}, B,
           [](args_t a) {
               std::string s(a[0].as_string());
               s += a[1].as_string();
               return value::bytes(std::move(s));
           })
        .o({L, L}, L, [](args_t a) { return concat_lists(a[0], a[1]); })
        .o({T, Du}, T,
           [](args_t a) {
               std::int64_t s;
               if (__builtin_add_overflow(a[0].as_time().seconds, a[1].as_time().seconds, &s)) {
                   return err("timestamp overflow");
               }
               return make_timestamp(s, a[0].as_time().nanos + a[1].as_time().nanos);
           })
        .o({Du, T}, T,
           [](args_t a) {
               std::int64_t s;
               if (__builtin_add_overflow(a[0].as_time().seconds, a[1].as_time().seconds, &s)) {
                   return err("timestamp overflow");
               }
               return make_timestamp(s, a[0].as_time().nanos + a[1].as_time().nanos);
           })
        .o({Du, Du}, Du, [](args_t a) {
            std::int64_t s;
            if (__builtin_add_overflow(a[0].as_time().seconds, a[1].as_time().seconds, &s)) {
                return err("duration overflow");
            }
            return make_duration(s, a[0].as_time().nanos + a[1].as_time().nanos);
        });
    b.fn("_-_")
        .o({I, I}, I,
           [](args_t a) {
               std::int64_t r;
               if (__builtin_sub_overflow(a[0].as_int(), a[1].as_int(), &r)) return overflow();
               return value::integer(r);
           })
        .o({U, U}, U,
           [](args_t a) {
               std::uint64_t r;
               if (__builtin_sub_overflow(a[0].as_uint(), a[1].as_uint(), &r)) return overflow();
               return value::uinteger(r);
           })
        .o({D, D}, D, [](args_t a) { return value::real(a[0].as_double() - a[1].as_double()); })
        .o({T, T}, Du,
           [](args_t a) {
               std::int64_t s;
               if (__builtin_sub_overflow(a[0].as_time().seconds, a[1].as_time().seconds, &s)) {
                   return err("duration overflow");
               }
               return make_duration(s, a[0].as_time().nanos - a[1].as_time().nanos);
           })
        .o({T, Du}, T,
           [](args_t a) {
               std::int64_t s;
               if (__builtin_sub_overflow(a[0].as_time().seconds, a[1].as_time().seconds, &s)) {
                   return err("timestamp overflow");
               }
               return make_timestamp(s, a[0].as_time().nanos - a[1].as_time().nanos);
           })
        .o({Du, Du}, Du, [](args_t a) {
            std::int64_t s;
            if (__builtin_sub_overflow(a[0].as_time().seconds, a[1].as_time().seconds, &s)) {
                return err("duration overflow");
            }
            return make_duration(s, a[0].as_time().nanos - a[1].as_time().nanos);
        });
    b.fn("_*_")
        .o({I, I}, I,
           [](args_t a) {
               std::int64_t r;
               if (__builtin_mul_overflow(a[0].as_int(), a[1].as_int(), &r)) return overflow();
               return value::integer(r);
           })
        .o({U, U}, U,
           [](args_t a) {
               std::uint64_t r;
               if (__builtin_mul_overflow(a[0].as_uint(), a[1].as_uint(), &r)) return overflow();
               return value::uinteger(r);
           })
        .o({D, D}, D, [](args_t a) { return value::real(a[0].as_double() * a[1].as_double()); });
    b.fn("_/_")
        .o({I, I}, I,
           [](args_t a) {
               if (a[1].as_int() == 0) return err("division by zero");
               if (a[0].as_int() == INT64_MIN && a[1].as_int() == -1) return overflow();
               return value::integer(a[0].as_int() / a[1].as_int());
           })
        .o({U, U}, U,
           [](args_t a) {
               if (a[1].as_uint() == 0) return err("division by zero");
               return value::uinteger(a[0].as_uint() / a[1].as_uint());
           })
        .o({D, D}, D, [](args_t a) { return value::real(a[0].as_double() / a[1].as_double()); });
    b.fn("_%_")
        .o({I, I}, I,
           [](args_t a) {
               if (a[1].as_int() == 0) return err("modulus by zero");
               if (a[0].as_int() == INT64_MIN && a[1].as_int() == -1) return overflow();
               return value::integer(a[0].as_int() % a[1].as_int());
           })
        .o({U, U}, U, [](args_t a) {
            if (a[1].as_uint() == 0) return err("modulus by zero");
            return value::uinteger(a[0].as_uint() % a[1].as_uint());
        });
    b.fn("-_")
        .o({I}, I,
           [](args_t a) {
               if (a[0].as_int() == INT64_MIN) return overflow();
               return value::integer(-a[0].as_int());
           })
        .o({D}, D, [](args_t a) { return value::real(-a[0].as_double()); });
    b.fn("!_").o({Bo}, Bo, [](args_t a) { return value::boolean(!a[0].as_bool()); });
    b.fn("_==_").o({Dy, Dy}, Bo, [](args_t a) { return value::boolean(equal(a[0], a[1])); });
    b.fn("_!=_").o({Dy, Dy}, Bo, [](args_t a) { return value::boolean(!equal(a[0], a[1])); });

    struct rel {
        const char* name;
        bool (*pred)(int);
    };
    static constexpr rel rels[] = {
        {"_<_", [](int c) { return c < 0; }},
        {"_<=_", [](int c) { return c <= 0; }},
        {"_>_", [](int c) { return c > 0; }},
        {"_>=_", [](int c) { return c >= 0; }},
    };
    for (const auto& r : rels) {
        auto impl = [pred = r.pred](args_t a) {
            return value::boolean(compare_result(a[0], a[1], pred));
        };
        b.fn(r.name);
        for (kind x : {I, U, D}) {
            for (kind y : {I, U, D}) b.o({x, y}, Bo, impl);
        }
        for (kind x : {S, B, Bo, T, Du}) b.o({x, x}, Bo, impl);
    }

    b.fn("@in")
        .o({Dy, L}, Bo,
           [](args_t a) {
               const std::size_t n = a[1].size();
               for (std::size_t i = 0; i < n; ++i) {
                   if (equal(a[0], a[1].list_at(i))) return value::boolean(true);
               }
               return value::boolean(false);
           })
        .o({Dy, M}, Bo, [](args_t a) { return value::boolean(a[1].map_find(a[0]).has_value()); });

    auto list_index = [](const value& l, std::int64_t i) {
        if (i < 0 || static_cast<std::uint64_t>(i) >= l.size()) {
            return err("index out of bounds: " + std::to_string(i));
        }
        return l.list_at(static_cast<std::size_t>(i));
    };
    b.fn("_[_]")
        .o({L, I}, Dy, [list_index](args_t a) { return list_index(a[0], a[1].as_int()); })
        .o({L, U}, Dy,
           [list_index](args_t a) {
               if (a[1].as_uint() > static_cast<std::uint64_t>(INT64_MAX)) {
                   return err("index out of bounds");
               }
               return list_index(a[0], static_cast<std::int64_t>(a[1].as_uint()));
           })
        .o({L, D}, Dy,
           [list_index](args_t a) {
               const double d = a[1].as_double();
               if (!(d >= -9.2e18 && d <= 9.2e18) || std::trunc(d) != d) {
                   return err("invalid list index: " + format_double(d));
               }
               return list_index(a[0], static_cast<std::int64_t>(d));
           })
        .o({M, Dy}, Dy, [](args_t a) {
            if (auto v = a[0].map_find(a[1])) return *v;
            return err("no such key: " + format_value(a[1], false));
        });
}

void add_strings(builder& b) {
    b.fn("size", both_fn)
        .o({S}, I, [](args_t a) { return value::integer(utf8_length(a[0].as_string())); })
        .o({B}, I,
           [](args_t a) {
               return value::integer(static_cast<std::int64_t>(a[0].as_string().size()));
           })
        .o({L}, I, [](args_t a) { return value::integer(static_cast<std::int64_t>(a[0].size())); })
        .o({M}, I, [](args_t a) { return value::integer(static_cast<std::int64_t>(a[0].size())); });
    b.fn("contains", member_fn).o({S, S}, Bo, [](args_t a) {
        return value::boolean(a[0].as_string().find(a[1].as_string()) != std::string_view::npos);
    });
    b.fn("startsWith", member_fn).o({S, S}, Bo, [](args_t a) {
        return value::boolean(a[0].as_string().starts_with(a[1].as_string()));
    });
    b.fn("endsWith", member_fn).o({S, S}, Bo, [](args_t a) {
        return value::boolean(a[0].as_string().ends_with(a[1].as_string()));
    });
    b.fn("matches", both_fn).o({S, S}, Bo, [](args_t a) {
        return regex_matches(a[0].as_string(), a[1].as_string());
    });
}

value int_from_double(double d) {
    // Open range as cel-go: -2^63 itself is rejected too; NaN fails both comparisons.
    if (!(d > -9223372036854775808.0 && d < 9223372036854775808.0)) {
        return err("integer overflow converting double to int");
    }
    return value::integer(static_cast<std::int64_t>(d));
}

template <class N>
bool parse_whole(std::string_view s, N& out) {
    if (s.empty()) return false;
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

void add_conversions(builder& b) {
    b.fn("int", global_fn)
        .o({I}, I, [](args_t a) { return a[0]; })
        .o({U}, I,
           [](args_t a) {
               if (a[0].as_uint() > static_cast<std::uint64_t>(INT64_MAX)) return overflow();
               return value::integer(static_cast<std::int64_t>(a[0].as_uint()));
           })
        .o({D}, I, [](args_t a) { return int_from_double(a[0].as_double()); })
        .o({S}, I,
           [](args_t a) {
               std::int64_t v;
               if (!parse_whole(a[0].as_string(), v)) return err("cannot convert string to int");
               return value::integer(v);
           })
        .o({T}, I, [](args_t a) { return value::integer(a[0].as_time().seconds); });
    b.fn("uint", global_fn)
        .o({U}, U, [](args_t a) { return a[0]; })
        .o({I}, U,
           [](args_t a) {
               if (a[0].as_int() < 0) return err("integer overflow converting int to uint");
               return value::uinteger(static_cast<std::uint64_t>(a[0].as_int()));
           })
        .o({D}, U,
           [](args_t a) {
               const double d = a[0].as_double();
               if (!(d >= 0 && d < 18446744073709551616.0)) {
                   return err("integer overflow converting double to uint");
               }
               return value::uinteger(static_cast<std::uint64_t>(d));
           })
        .o({S}, U, [](args_t a) {
            std::uint64_t v;
            if (!parse_whole(a[0].as_string(), v)) return err("cannot convert string to uint");
            return value::uinteger(v);
        });
    b.fn("double", global_fn)
        .o({D}, D, [](args_t a) { return a[0]; })
        .o({I}, D, [](args_t a) { return value::real(static_cast<double>(a[0].as_int())); })
        .o({U}, D, [](args_t a) { return value::real(static_cast<double>(a[0].as_uint())); })
        .o({S}, D, [](args_t a) {
            std::string s(a[0].as_string());
            // from_chars has no sign, infinity or NaN spelled the Go way; strtod covers them
            char* end = nullptr;
            const double d = std::strtod(s.c_str(), &end);
            if (s.empty() || end != s.c_str() + s.size() ||
                std::isspace(static_cast<unsigned char>(s[0]))) {
                return err("cannot convert string to double");
            }
            return value::real(d);
        });
    b.fn("string", global_fn)
        .o({S}, S, [](args_t a) { return a[0]; })
        .o({I}, S, [](args_t a) { return value::string(std::to_string(a[0].as_int())); })
        .o({U}, S, [](args_t a) { return value::string(std::to_string(a[0].as_uint())); })
        .o({D}, S, [](args_t a) { return value::string(format_double(a[0].as_double())); })
        .o({Bo}, S, [](args_t a) { return value::string(a[0].as_bool() ? "true" : "false"); })
        .o({B}, S,
           [](args_t a) {
               if (!valid_utf8(a[0].as_string())) return err("invalid UTF-8 in bytes");
               return value::string(std::string(a[0].as_string()));
           })
        .o({T}, S, [](args_t a) { return value::string(format_timestamp(a[0].as_time())); })
        .o({Du}, S, [](args_t a) { return value::string(format_duration(a[0].as_time())); });
    b.fn("bytes", global_fn)
        .o({B}, B, [](args_t a) { return a[0]; })
        .o({S}, B, [](args_t a) { return value::bytes(std::string(a[0].as_string())); });
    b.fn("bool", global_fn)
        .o({Bo}, Bo, [](args_t a) { return a[0]; })
        .o({S}, Bo, [](args_t a) {
            const std::string_view s = a[0].as_string();
            if (s == "true" || s == "TRUE" || s == "True" || s == "t" || s == "1") {
                return value::boolean(true);
            }
            if (s == "false" || s == "FALSE" || s == "False" || s == "f" || s == "0") {
                return value::boolean(false);
            }
            return err("cannot convert string to bool");
        });
    b.fn("timestamp", global_fn)
        .o({T}, T, [](args_t a) { return a[0]; })
        .o({I}, T, [](args_t a) { return make_timestamp(a[0].as_int(), 0); })
        .o({S}, T, [](args_t a) {
            time_parts t;
            if (!parse_timestamp(a[0].as_string(), t)) return err("invalid timestamp");
            return value::timestamp(t);
        });
    b.fn("duration", global_fn)
        .o({Du}, Du, [](args_t a) { return a[0]; })
        .o({I}, Du, [](args_t a) { return make_duration(0, a[0].as_int()); })
        .o({S}, Du, [](args_t a) {
            time_parts d;
            if (!parse_duration(a[0].as_string(), d)) return err("invalid duration");
            return value::duration(d);
        });
    b.fn("dyn", global_fn).o({Dy}, Dy, [](args_t a) { return a[0]; });
    b.fn("type", global_fn).o({Dy}, Ty, [](args_t a) {
        if (a[0].is(kind::opaque)) return value::type_named(std::string(a[0].type_name()));
        return value::type_of_kind(a[0].get_kind());
    });
}

// Calendar field of a timestamp in a zone.
template <class F>
function_impl ts_field(F field) {
    return [field](args_t a) -> value {
        const time_parts t = a[0].as_time();
        std::int64_t offset = 0;
        if (a.size() > 1 && !zone_offset(a[1].as_string(), t.seconds, offset)) {
            return err("unknown time zone: " + std::string(a[1].as_string()));
        }
        return value::integer(field(to_civil(t.seconds + offset), t));
    };
}

void add_time(builder& b) {
    struct acc {
        const char* name;
        std::int64_t (*field)(const civil_time&, time_parts);
    };
    static constexpr acc accessors[] = {
        {"getFullYear", [](const civil_time& c, time_parts) -> std::int64_t { return c.year; }},
        {"getMonth", [](const civil_time& c, time_parts) -> std::int64_t { return c.month - 1; }},
        {"getDate", [](const civil_time& c, time_parts) -> std::int64_t { return c.day; }},
        {"getDayOfMonth",
         [](const civil_time& c, time_parts) -> std::int64_t { return c.day - 1; }},
        {"getDayOfWeek",
         [](const civil_time& c, time_parts) -> std::int64_t { return c.day_of_week; }},
        {"getDayOfYear",
         [](const civil_time& c, time_parts) -> std::int64_t { return c.day_of_year; }},
        {"getHours", [](const civil_time& c, time_parts) -> std::int64_t { return c.hour; }},
        {"getMinutes", [](const civil_time& c, time_parts) -> std::int64_t { return c.minute; }},
        {"getSeconds", [](const civil_time& c, time_parts) -> std::int64_t { return c.second; }},
        {"getMilliseconds",
         [](const civil_time&, time_parts t) -> std::int64_t { return t.nanos / 1000000; }},
    };
    for (const auto& a : accessors) {
        b.fn(a.name, member_fn).o({T}, I, ts_field(a.field)).o({T, S}, I, ts_field(a.field));
    }
    b.fn("getHours", member_fn).o({Du}, I, [](args_t a) {
        return value::integer(a[0].as_time().seconds / 3600);
    });
    b.fn("getMinutes", member_fn).o({Du}, I, [](args_t a) {
        return value::integer(a[0].as_time().seconds / 60);
    });
    b.fn("getSeconds", member_fn).o({Du}, I, [](args_t a) {
        return value::integer(a[0].as_time().seconds);
    });
    b.fn("getMilliseconds", member_fn).o({Du}, I, [](args_t a) {
        return value::integer(a[0].as_time().nanos / 1000000);
    });
}

std::shared_ptr<const RE2> compile_regex(std::string_view pattern, std::string& error) {
    RE2::Options opts;
    opts.set_log_errors(false);
    auto re = std::make_shared<const RE2>(re2::StringPiece(pattern.data(), pattern.size()), opts);
    if (!re->ok()) {
        error = "invalid regular expression: " + re->error();
        return nullptr;
    }
    return re;
}

}  // namespace

value regex_matches(std::string_view text, std::string_view pattern) {
    static std::mutex mutex;
    static std::unordered_map<std::string, std::shared_ptr<const RE2>> cache;
    std::shared_ptr<const RE2> re;
    {
        std::lock_guard lock(mutex);
        if (auto it = cache.find(std::string(pattern)); it != cache.end()) re = it->second;
    }
    if (!re) {
        std::string error;
        re = compile_regex(pattern, error);
        if (!re) return err(error);
        std::lock_guard lock(mutex);
        if (cache.size() >= 256) cache.clear();  // bounded: patterns computed from data
        cache.emplace(std::string(pattern), re);
    }
    return value::boolean(RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *re));
}

function_impl make_matcher(std::string_view pattern, std::string& error) {
    auto re = compile_regex(pattern, error);
    if (!re) return nullptr;
    return [re](args_t a) {
        const std::string_view s = a[0].as_string();
        return value::boolean(RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *re));
    };
}

const function_map& standard_functions() {
    static const function_map fns = [] {
        function_map m;
        builder b(m);
        add_operators(b);
        add_strings(b);
        add_conversions(b);
        add_time(b);
        return m;
    }();
    return fns;
}

}  // namespace ghost::lang::cel::detail
