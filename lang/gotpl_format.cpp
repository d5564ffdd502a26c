#include "lang/gotpl_format.hpp"

#include <boost/json/object.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

namespace ghost::lang::gotpl_format {

namespace json = boost::json;

namespace {

void append_double(std::string& out, double d) {
    if (std::isnan(d)) {
        out.append("NaN");
        return;
    }
    if (std::isinf(d)) {
        out.append(d > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (d == 0) {
        out.append(std::signbit(d) ? "-0" : "0");
        return;
    }
    // Shortest round-trip digits, then Go's shortest 'g' layout: %e when exp < -4 || exp >= 6.
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    std::string_view sci(buf, std::size_t(res.ptr - buf));
    bool neg = sci[0] == '-';
    if (neg) sci.remove_prefix(1);
    auto epos = sci.find('e');
    std::string digits;
    digits.push_back(sci[0]);
    if (epos > 1) digits.append(sci.substr(2, epos - 2));
    int exp = 0;
    std::from_chars(sci.data() + epos + 1 + (sci[epos + 1] == '+'), sci.data() + sci.size(), exp);
    if (neg) out.push_back('-');
    int nd = int(digits.size());
    if (exp < -4 || exp >= 6) {
        // d.ddde+XX with at least two exponent digits.
        out.push_back(digits[0]);
        if (nd > 1) {
            out.push_back('.');
            out.append(digits, 1);
        }
        out.push_back('e');
        out.push_back(exp < 0 ? '-' : '+');
        int a = exp < 0 ? -exp : exp;
        if (a < 10) out.push_back('0');
        out.append(std::to_string(a));
        return;
    }
    if (exp < 0) {
        out.append("0.");
        out.append(std::size_t(-exp - 1), '0');
        out.append(digits);
    } else if (exp + 1 >= nd) {
        out.append(digits);
        out.append(std::size_t(exp + 1 - nd), '0');
    } else {
        out.append(digits, 0, std::size_t(exp + 1));
        out.push_back('.');
        out.append(digits, std::size_t(exp + 1));
    }
}

const char hex_digits[] = "0123456789abcdef";

}  // namespace

void append_number(std::string& out, const json::value& v) {
    char buf[32];
    switch (v.kind()) {
    case json::kind::int64: {
        auto r = std::to_chars(buf, buf + sizeof buf, v.get_int64());
        out.append(buf, r.ptr);
        break;
    }
    case json::kind::uint64: {
        auto r = std::to_chars(buf, buf + sizeof buf, v.get_uint64());
        out.append(buf, r.ptr);
        break;
    }
    case json::kind::double_: append_double(out, v.get_double()); break;
    default: break;
    }
}

std::string number_text(const json::value& v) {
    std::string s;
    append_number(s, v);
    return s;
}

void append_print(std::string& out, const json::value& v) {
    switch (v.kind()) {
    case json::kind::null: out.append("<nil>"); break;
    case json::kind::bool_: out.append(v.get_bool() ? "true" : "false"); break;
    case json::kind::string: out.append(v.get_string()); break;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: append_number(out, v); break;
    case json::kind::array: {
        out.push_back('[');
        bool first = true;
        for (auto const& item : v.get_array()) {
            if (!first) out.push_back(' ');
            first = false;
            append_print(out, item);
        }
        out.push_back(']');
        break;
    }
    case json::kind::object: {
        const auto& obj = v.get_object();
        std::vector<const json::key_value_pair*> items;
        items.reserve(obj.size());
        for (auto const& kv : obj) items.push_back(&kv);
        std::sort(items.begin(), items.end(),
                  [](auto* a, auto* b) { return a->key() < b->key(); });
        out.append("map[");
        bool first = true;
        for (auto* kv : items) {
            if (!first) out.push_back(' ');
            first = false;
            out.append(kv->key());
            out.push_back(':');
            append_print(out, kv->value());
        }
        out.push_back(']');
        break;
    }
    }
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(char(cp));
    } else if (cp < 0x800) {
        out.push_back(char(0xC0 | (cp >> 6)));
        out.push_back(char(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(char(0xE0 | (cp >> 12)));
        out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(char(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(char(0xF0 | (cp >> 18)));
        out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(char(0x80 | (cp & 0x3F)));
    }
}

bool integer_value(bool negative, std::uint64_t magnitude, json::value& out) {
    constexpr auto int64_max = std::uint64_t(std::numeric_limits<std::int64_t>::max());
    if (negative) {
        if (magnitude > int64_max + 1) return false;
        out = magnitude == 0 ? std::int64_t(0) : std::int64_t(0 - magnitude);
    } else if (magnitude <= int64_max) {
        out = std::int64_t(magnitude);
    } else {
        out = magnitude;
    }
    return true;
}

void append_json_string(std::string& out, std::string_view s) {
    out.reserve(out.size() + s.size() + 2);
    out.push_back('"');
    std::size_t run = 0;  // start of the characters taken as they are, appended in one go
    for (std::size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        char ch = s[i];
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        default:
            if (c < 0x20 || c == 0x7f) {
                out.append("\\u00");
                out.push_back(hex_digits[c >> 4]);
                out.push_back(hex_digits[c & 15]);
            } else {
                out.push_back(ch);
            }
        }
    }
    out.append(s.data() + run, s.size() - run);
    out.push_back('"');
}

void append_json(std::string& out, const json::value& v) {
    switch (v.kind()) {
    case json::kind::null: out.append("null"); break;
    case json::kind::bool_: out.append(v.get_bool() ? "true" : "false"); break;
    case json::kind::string: append_json_string(out, v.get_string()); break;
    case json::kind::int64:
    case json::kind::uint64: append_number(out, v); break;
    case json::kind::double_: {
        double d = v.get_double();
        if (std::isnan(d) || std::isinf(d)) {
            out.append("null");
        } else {
            char buf[64];
            auto r = std::to_chars(buf, buf + sizeof buf, d);
            out.append(buf, r.ptr);
        }
        break;
    }
    case json::kind::array: {
        out.push_back('[');
        bool first = true;
        for (auto const& item : v.get_array()) {
            if (!first) out.push_back(',');
            first = false;
            append_json(out, item);
        }
        out.push_back(']');
        break;
    }
    case json::kind::object: {
        out.push_back('{');
        bool first = true;
        for (auto const& kv : v.get_object()) {
            if (!first) out.push_back(',');
            first = false;
            append_json_string(out, kv.key());
            out.push_back(':');
            append_json(out, kv.value());
        }
        out.push_back('}');
        break;
    }
    }
}

std::string to_json(const json::value& v) {
    std::string s;
    append_json(s, v);
    return s;
}

void append_go_quote(std::string& out, std::string_view s) {
    out.push_back('"');
    for (char ch : s) {
        unsigned char c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\a': out.append("\\a"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\v': out.append("\\v"); break;
        default:
            if (c < 0x20 || c == 0x7f) {
                out.append("\\x");
                out.push_back(hex_digits[c >> 4]);
                out.push_back(hex_digits[c & 15]);
            } else {
                out.push_back(ch);
            }
        }
    }
    out.push_back('"');
}

}  // namespace ghost::lang::gotpl_format
