#pragma once

// CEL (Common Expression Language) interpreter: compile an expression once into a checked tree,
// evaluate it many times (concurrently) against variables, including boost::json documents bound
// by reference.
//
//   cel::environment env;                      // standard library
//   env.declare_variable("self");              // dyn: checks on `self` defer to run time
//   std::string err;
//   auto prog = cel::program::compile("self.status.phase != 'Bound'", env, &err);
//   cel::activation vars;
//   vars.bind_json("self", pod_json);          // no copy; pod_json must outlive the evaluation
//   cel::value v = prog->evaluate(vars);       // bool, or an error value

#include <boost/system/result.hpp>

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lang/cel_value.hpp"

namespace ghost::lang::cel {

// Parameter / static type of an overload: a kind, dyn (anything), or a named opaque host type.
struct type_spec {
    kind k = kind::dyn;
    std::string opaque_name;  // kind::opaque only; empty matches every opaque type

    static type_spec dyn() { return {}; }
    static type_spec of(kind k) { return {k, {}}; }
    static type_spec opaque_type(std::string name) { return {kind::opaque, std::move(name)}; }
    bool matches(const value& v) const noexcept;
    // Could a value of static type `t` be accepted? (dyn on either side: yes)
    bool admits(const type_spec& t) const noexcept;
    std::string name() const;
};

// Arguments arrive evaluated and never as errors (calls are strict); return a value or
// value::error(...). Must not throw (a throw becomes an error value, but costs).
using function_impl = std::function<value(std::span<const value>)>;

struct overload {
    std::vector<type_spec> params;
    type_spec result;
    function_impl impl;
};

struct function_options {
    bool global = true;  // f(x, a)
    bool member = false;  // x.f(a), the same overloads with x as the first argument
};

namespace detail {
struct function_decl {
    std::string name;
    function_options options;
    std::vector<overload> overloads;
};
struct program_data;
}  // namespace detail

class environment {
public:
    environment();  // the CEL standard library, no variables

    // Variables the expressions may name; undeclared names are compile errors (unless allowed).
    void declare_variable(std::string name, type_spec type = type_spec::dyn());
    // Adds overloads to a function or operator ("_+_", "_-_", "_*_", "_/_", "_%_", "-_",
    // "_<_", "_<=_", "_>_", "_>=_", "_==_" ...). Standard overloads are tried first, so an
    // operator overload on an opaque type never changes what the standard types do. Options of
    // an existing function are widened (global/member or-ed).
    void add_function(std::string_view name, std::vector<overload> overloads,
                      function_options options = {});
    // Like the conformance suite's disable_check: only syntax and names of functions are checked
    // at compile time, everything else at run time.
    void set_type_checks(bool enabled) { checks_ = enabled; }
    // Undeclared identifiers resolve at run time (an error value if unbound).
    void allow_undeclared_variables(bool allow) { undeclared_ok_ = allow; }

    const detail::function_decl* find_function(std::string_view name) const noexcept;
    const type_spec* find_variable(std::string_view name) const noexcept;
    bool type_checks() const noexcept { return checks_; }
    bool undeclared_variables_allowed() const noexcept { return undeclared_ok_; }
    std::shared_ptr<const detail::function_decl> function_ptr(std::string_view name) const;

private:
    std::map<std::string, std::shared_ptr<const detail::function_decl>, std::less<>> functions_;
    std::map<std::string, type_spec, std::less<>> variables_;
    bool checks_ = true;
    bool undeclared_ok_ = false;
};

class activation {
public:
    // Replaces an earlier binding of the same name.
    void bind(std::string_view name, value v);
    // By reference: the document must outlive every evaluation and result using it.
    void bind_json(std::string_view name, const boost::json::value& doc);
    const value* find(std::string_view name) const noexcept;
    void clear() noexcept { vars_.clear(); }

private:
    std::vector<std::pair<std::string, value>> vars_;
};

class program {
public:
    // On failure the result holds errc::invalid_argument and *error (if given) says
    // "column N: what is wrong" (N is 1-based, in code points).
    static boost::system::result<program> compile(std::string_view text, const environment& env,
                                                  std::string* error = nullptr);

    // Never throws; run-time failures are error values (value::is_error()). Results may borrow
    // from the bound JSON documents and from the program.
    value evaluate(const activation& vars) const;
    // Static type of the result (dyn when not known at compile time).
    type_spec result_type() const;

private:
    explicit program(std::shared_ptr<const detail::program_data> d) : data_(std::move(d)) {}
    std::shared_ptr<const detail::program_data> data_;
};

}  // namespace ghost::lang::cel
