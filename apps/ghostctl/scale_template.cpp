#include "apps/ghostctl/scale_template.hpp"

#include "engine/ip_address.hpp"
#include "kube/time.hpp"
#include "stages/template_funcs.hpp"

#include <stdexcept>

namespace ghost::ghostctl {
namespace json = boost::json;

namespace {

using args_t = std::span<const json::value>;
using res_t = boost::system::result<json::value>;

constexpr std::string_view scale_functions[] = {"Name", "Namespace", "Index", "AddCIDR",
                                                "AddIP"};

// What Go's template passes for an int parameter: a whole, non-negative number.
std::uint64_t index_arg(const char* fn, const json::value& v) {
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
    if (v.is_double() && v.get_double() >= 0 &&
        v.get_double() == static_cast<double>(static_cast<std::uint64_t>(v.get_double())))
        return static_cast<std::uint64_t>(v.get_double());
    throw std::invalid_argument(std::string(fn) + ": expected a whole number >= 0 as the index");
}

std::string string_arg(const char* fn, const json::value& v) {
    if (!v.is_string()) throw std::invalid_argument(std::string(fn) + ": expected a string");
    return std::string(v.get_string());
}

}  // namespace

std::string add_cidr(std::string_view cidr, std::uint64_t index) {
    auto p = engine::parse_cidr(cidr);
    if (!p) throw std::invalid_argument("invalid CIDR address: " + std::string(cidr));
    return engine::to_string(engine::nth_subnet(*p, index));
}

std::string add_ip(std::string_view ip, std::uint64_t index) {
    auto a = engine::parse_ip(ip);
    if (!a) throw std::invalid_argument("invalid ip \"" + std::string(ip) + "\"");
    return engine::to_string(engine::add(*a, index));
}

scale_template::scale_template(std::string_view text) {
    std::string error;
    auto parsed = lang::compiled_template::parse(lang::trim_space(text), &error);
    if (!parsed) throw std::invalid_argument(error);
    auto unknown = (*parsed)->check_functions([](std::string_view name) {
        if (stages::is_kwok_template_function(name)) return true;
        for (auto f : scale_functions)
            if (f == name) return true;
        return false;
    });
    if (!unknown.empty()) throw std::invalid_argument(unknown);
    tpl_ = std::move(*parsed);
}

json::object scale_template::render(const json::value& parameters, const std::string& name,
                                    const std::string& ns, std::size_t index) const {
    // Built per object: Name, Namespace and Index answer for this one.
    static const std::string started = kube::format_rfc3339_nano(kube::wall_clock::now());
    auto funcs = stages::kwok_default_funcs(
        "v" GHOST_VERSION, [] { return kube::format_rfc3339_nano(kube::wall_clock::now()); },
        [] { return started; });
    funcs.emplace("Name", [name](args_t) -> res_t { return json::value(json::string(name)); });
    funcs.emplace("Namespace", [ns](args_t) -> res_t { return json::value(json::string(ns)); });
    funcs.emplace("Index", [index](args_t) -> res_t {
        return json::value(static_cast<std::int64_t>(index));
    });
    funcs.emplace("AddCIDR", [](args_t a) -> res_t {
        if (a.size() != 2) throw std::invalid_argument("AddCIDR: expected a CIDR and an index");
        return json::value(json::string(add_cidr(string_arg("AddCIDR", a[0]),
                                                 index_arg("AddCIDR", a[1]))));
    });
    funcs.emplace("AddIP", [](args_t a) -> res_t {
        if (a.size() != 2) throw std::invalid_argument("AddIP: expected an IP and an index");
        return json::value(
            json::string(add_ip(string_arg("AddIP", a[0]), index_arg("AddIP", a[1]))));
    });
    std::string error;
    auto out = tpl_->render_to_json(parameters, funcs, &error);
    if (!out) throw std::invalid_argument(error.empty() ? out.error().message() : error);
    if (!out->is_object())
        throw std::invalid_argument("the template's output is not a YAML mapping (an object)");
    return std::move(out->get_object());
}

}  // namespace ghost::ghostctl
