#pragma once
// Text forms of generic JSON data as Go prints them: fmt's %v, strconv.Quote, JSON encoding
// (with Go's float formatting). Shared by the template engine and the YAML writer.

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace ghost::lang::gotpl_format {

// Integers in decimal; doubles as Go's strconv.FormatFloat(f, 'g', -1, 64) (e.g. 1e+06, 0.5).
std::string number_text(const boost::json::value& number);
void append_number(std::string& out, const boost::json::value& number);

// fmt.Sprint of the value: strings raw, nil as <nil>, arrays [a b], objects map[k:v] sorted.
void append_print(std::string& out, const boost::json::value& v);

// JSON string literal with the usual escapes (also a valid YAML double-quoted scalar).
void append_json_string(std::string& out, std::string_view s);
// UTF-8 encoding of one code point (template string escapes and YAML \u escapes).
void append_utf8(std::string& out, std::uint32_t cp);

// A parsed integer literal as JSON, the way Go and go-yaml keep it: int64 when it fits, else
// uint64 for positives; false when a negative magnitude does not fit int64.
bool integer_value(bool negative, std::uint64_t magnitude, boost::json::value& out);

// Compact JSON encoding (objects keep their order, numbers as number_text).
void append_json(std::string& out, const boost::json::value& v);
std::string to_json(const boost::json::value& v);

// strconv.Quote.
void append_go_quote(std::string& out, std::string_view s);

}  // namespace ghost::lang::gotpl_format
