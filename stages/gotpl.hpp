#pragma once
// Go text/template subset (plus Sprig and kwok functions) as used by kwok Stage templates.
//
// Semantics follow Go's text/template with default options: a missing map key is nil and prints
// as "<no value>", and/or return the deciding operand and short-circuit, `eq` with a nil operand
// is false, `range` over a map walks the keys in sorted order, `$x = v` inside a range updates
// the outer variable. The data (`.`) is generic JSON. Templates are parsed once into an immutable
// tree that can be executed concurrently.

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ghost::stages {

// A template function: receives its evaluated arguments (missing values as null) and returns a
// value or an error (which aborts the execution, like a Go function returning an error).
using template_func = std::function<boost::system::result<boost::json::value>(
    std::span<const boost::json::value> args)>;
using func_map = std::unordered_map<std::string, template_func>;

namespace gotpl_detail {
struct tree;
}

// A parsed template. Immutable; share it with shared_ptr and execute it as often as needed.
class compiled_template {
public:
    // Parses `text` as is (callers that want kwok's behaviour trim first). Errors carry
    // "template:LINE:COL: message" in `error`.
    static boost::system::result<std::shared_ptr<const compiled_template>> parse(
        std::string_view text, std::string* error = nullptr);

    // Appends the output to `out`. Functions are looked up in `funcs`, then Sprig, then the
    // text/template builtins (and, or, not, eq, ne, lt, le, gt, ge, len, index, print, printf,
    // println, html, js, urlquery); the builtins cannot be overridden.
    boost::system::error_code execute(std::string& out, const boost::json::value& dot,
                                      const func_map& funcs, std::string* error = nullptr) const;

    boost::system::result<std::string> render(const boost::json::value& dot, const func_map& funcs,
                                              std::string* error = nullptr) const;

    // Renders, then parses the output as YAML (sigs.k8s.io/yaml rules) like kwok does. The
    // result's values are made in `sp` (default: the heap).
    boost::system::result<boost::json::value> render_to_json(const boost::json::value& dot,
                                                             const func_map& funcs,
                                                             std::string* error = nullptr,
                                                             boost::json::storage_ptr sp = {}) const;

    std::string_view text() const;

    // Go rejects a template calling an undefined function when it is parsed; this engine looks
    // functions up when they run. This walks every branch and returns
    // "template:LINE:COL: function \"X\" not defined" for the first function that is neither a
    // builtin, nor Sprig, nor accepted by `is_known`; empty when all resolve.
    std::string check_functions(const std::function<bool(std::string_view)>& is_known) const;

    explicit compiled_template(std::unique_ptr<gotpl_detail::tree> t);
    ~compiled_template();

private:
    std::unique_ptr<gotpl_detail::tree> tree_;
};

// Parsed templates keyed by their trimmed text (kwok trims before parsing). Thread-safe.
class template_cache {
public:
    boost::system::result<std::shared_ptr<const compiled_template>> get(
        std::string_view text, std::string* error = nullptr);

    boost::system::result<std::string> render(std::string_view text,
                                              const boost::json::value& dot, const func_map& funcs,
                                              std::string* error = nullptr);

    // trim, render, YAML -> JSON.
    boost::system::result<boost::json::value> render_to_json(std::string_view text,
                                                             const boost::json::value& dot,
                                                             const func_map& funcs,
                                                             std::string* error = nullptr,
                                                             boost::json::storage_ptr sp = {});

    std::size_t size() const;

private:
    struct hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<const compiled_template>, hash,
                       std::equal_to<>>
        cache_;
};

// Convenience over a cache: trim, render, YAML -> JSON.
boost::system::result<boost::json::value> render_to_json(template_cache& cache,
                                                         std::string_view text,
                                                         const boost::json::value& dot,
                                                         const func_map& funcs,
                                                         std::string* error = nullptr);

// strings.TrimSpace.
std::string_view trim_space(std::string_view s);

// The Sprig v3 subset (dict, list, default, empty, has, hasKey, get, set, quote, squote, toJson,
// toString, trim, upper, lower, replace, contains, hasPrefix, hasSuffix, splitList, join, add,
// sub, mul, div, mod, int, int64, atoi, ternary, coalesce, ...). Consulted after the caller's map.
const func_map& sprig_funcs();

// kwok's default functions: Quote, YAML, Version (returns `version`), NodeConditions, and Now /
// StartTime when the callbacks are given (they return RFC3339Nano text).
func_map kwok_default_funcs(std::string version, std::function<std::string()> now = {},
                            std::function<std::string()> start_time = {});

// The five conditions a healthy kubelet reports (type, status, reason, message).
const boost::json::value& default_node_conditions();

// kwok's Quote: JSON-encode; a JSON string is used as is, anything else is wrapped in quotes.
std::string kwok_quote(const boost::json::value& v);

}  // namespace ghost::stages
