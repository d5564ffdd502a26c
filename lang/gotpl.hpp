#pragma once
// Go text/template subset plus Sprig, as kwok Stage templates use it (kwok's own functions are
// declared by stages/template_funcs.hpp).
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
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ghost::lang {

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

    // The render plan alone (what render_to_json tries first): the JSON built while the
    // template runs, without rendered text. False when the plan does not take this output
    // (render_to_json then renders text and parses it as YAML) or the template fails. For
    // tests and benchmarks that compare both paths.
    bool render_plan(const boost::json::value& dot, const func_map& funcs, boost::json::value& out,
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
    enum class plan_outcome { taken, not_taken, failed };
    plan_outcome run_plan(const boost::json::value& dot, const func_map& funcs, std::string* error,
                          boost::json::storage_ptr sp, boost::json::value& out) const;

    std::unique_ptr<gotpl_detail::tree> tree_;
};

// strings.TrimSpace.
std::string_view trim_space(std::string_view s);

// The Sprig v3 subset (dict, list, default, empty, has, hasKey, get, set, quote, squote, toJson,
// toString, trim, upper, lower, replace, contains, hasPrefix, hasSuffix, splitList, join, add,
// sub, mul, div, mod, int, int64, atoi, ternary, coalesce, ...). Consulted after the caller's map.
const func_map& sprig_funcs();

}  // namespace ghost::lang
