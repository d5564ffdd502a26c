#pragma once
// Reading the kwok documents' fields with one-line errors (internal to usage/).

#include "usage/resource_usage.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace ghost::usage::detail {

/// Where a field sits: "spec.metrics[2].value". Throws usage_error with `prefix` in front.
struct field_reader {
    std::string prefix;  ///< `src: Metric "x": `

    [[noreturn]] void fail(const std::string& field, const std::string& what) const {
        throw usage_error(prefix + field + ": " + what);
    }
    static std::string got(const boost::json::value& v);

    const boost::json::object& object(const boost::json::value& v, const std::string& field) const {
        if (!v.is_object()) fail(field, "expected an object, got " + got(v));
        return v.get_object();
    }
    /// Absent or null = an empty array.
    const boost::json::array& array(const boost::json::object& o, std::string_view key,
                                    const std::string& field) const;
    /// Absent or null = nullptr.
    const boost::json::value* find(const boost::json::object& o, std::string_view key) const {
        auto* v = o.if_contains(key);
        return v && !v->is_null() ? v : nullptr;
    }
    std::string string(const boost::json::object& o, std::string_view key, const std::string& field,
                       bool required) const;
};

}  // namespace ghost::usage::detail
