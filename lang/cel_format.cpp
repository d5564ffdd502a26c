#include "lang/cel_format.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "lang/cel_time.hpp"

namespace ghost::lang::cel::detail {

std::string format_double(double d) {
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    std::string_view sci(buf, static_cast<std::size_t>(r.ptr - buf));
    // sci: [-]D[.DDD]e[+-]XX
    std::string s;
    if (sci.front() == '-') {
        s += '-';
        sci.remove_prefix(1);
    }
    const auto e = sci.find('e');
    std::string mant;
    for (char c : sci.substr(0, e)) {
        if (c != '.') mant += c;
    }
    const int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
    if (exp < -4 || exp >= 21) {
        s += mant[0];
        if (mant.size() > 1) {
            s += '.';
            s.append(mant, 1);
        }
        char eb[16];
        std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        s += eb;
        return s;
    }
    if (exp < 0) {
        s += "0.";
        s.append(static_cast<std::size_t>(-exp - 1), '0');
        s += mant;
        return s;
    }
    const auto int_digits = static_cast<std::size_t>(exp + 1);
    if (mant.size() <= int_digits) {
        s += mant;
        s.append(int_digits - mant.size(), '0');
    } else {
        s.append(mant, 0, int_digits);
        s += '.';
        s.append(mant, int_digits);
    }
    return s;
}

std::string format_value(const value& v, bool quote) {
    switch (v.get_kind()) {
    case kind::null_: return "null";
    case kind::bool_: return v.as_bool() ? "true" : "false";
    case kind::int_: return std::to_string(v.as_int());
    case kind::uint_: return std::to_string(v.as_uint()) + (quote ? "u" : "");
    case kind::double_: return format_double(v.as_double());
    case kind::string_:
        return quote ? "\"" + std::string(v.as_string()) + "\"" : std::string(v.as_string());
    case kind::bytes_: return "b\"" + std::string(v.as_string()) + "\"";
    case kind::type: return std::string(v.as_string());
    case kind::error: return "error: " + std::string(v.as_string());
    case kind::timestamp: return "timestamp(\"" + format_timestamp(v.as_time()) + "\")";
    case kind::duration: return "duration(\"" + format_duration(v.as_time()) + "\")";
    case kind::opaque: return v.as_opaque()->debug_string();
    case kind::list: {
        std::string s = "[";
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i) s += ", ";
            s += format_value(v.list_at(i), true);
        }
        return s + "]";
    }
    case kind::map: {
        std::string s = "{";
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i) s += ", ";
            s += format_value(v.map_key_at(i), true) + ": " + format_value(v.map_value_at(i), true);
        }
        return s + "}";
    }
    case kind::dyn: return "dyn";
    }
    return "?";
}

}  // namespace ghost::lang::cel::detail
