#include "lang/cel.hpp"

#include <boost/json/value.hpp>

#include "lang/cel_stdlib.hpp"

namespace ghost::lang::cel {

bool type_spec::matches(const value& v) const noexcept {
    if (k == kind::dyn) return true;
    if (v.get_kind() != k) return false;
    return k != kind::opaque || opaque_name.empty() || v.as_opaque()->type_name() == opaque_name;
}

bool type_spec::admits(const type_spec& t) const noexcept {
    if (k == kind::dyn || t.k == kind::dyn) return true;
    if (k != t.k) return false;
    return k != kind::opaque || opaque_name.empty() || t.opaque_name.empty() ||
           opaque_name == t.opaque_name;
}

std::string type_spec::name() const {
    if (k == kind::opaque && !opaque_name.empty()) return opaque_name;
    return std::string(kind_name(k));
}

environment::environment() : functions_(detail::standard_functions()) {}

void environment::declare_variable(std::string name, type_spec type) {
    variables_[std::move(name)] = std::move(type);
}

void environment::add_function(std::string_view name, std::vector<overload> overloads,
                               function_options options) {
    // Copy on write: compiled programs keep the declaration they resolved.
    auto decl = std::make_shared<detail::function_decl>();
    decl->name = std::string(name);
    decl->options = options;
    if (auto it = functions_.find(name); it != functions_.end()) {
        decl->overloads = it->second->overloads;
        decl->options.global = decl->options.global || it->second->options.global;
        decl->options.member = decl->options.member || it->second->options.member;
    }
    for (auto& o : overloads) decl->overloads.push_back(std::move(o));
    functions_[std::string(name)] = std::move(decl);
}

const detail::function_decl* environment::find_function(std::string_view name) const noexcept {
    auto it = functions_.find(name);
    return it == functions_.end() ? nullptr : it->second.get();
}

std::shared_ptr<const detail::function_decl> environment::function_ptr(
    std::string_view name) const {
    auto it = functions_.find(name);
    return it == functions_.end() ? nullptr : it->second;
}

const type_spec* environment::find_variable(std::string_view name) const noexcept {
    auto it = variables_.find(name);
    return it == variables_.end() ? nullptr : &it->second;
}

void activation::bind(std::string_view name, value v) {
    for (auto& [n, existing] : vars_) {
        if (n == name) {
            existing = std::move(v);
            return;
        }
    }
    vars_.emplace_back(std::string(name), std::move(v));
}

void activation::bind_json(std::string_view name, const boost::json::value& doc) {
    bind(name, value::json(doc));
}

const value* activation::find(std::string_view name) const noexcept {
    for (const auto& [n, v] : vars_) {
        if (n == name) return &v;
    }
    return nullptr;
}

}  // namespace ghost::lang::cel
