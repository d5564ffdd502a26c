// kwok's default template functions (pkg/utils/gotpl): the template engine knows none of them.

#include "stages/template_funcs.hpp"

#include "lang/gotpl_format.hpp"
#include "lang/yaml_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <optional>

namespace ghost::stages {

namespace json = boost::json;
namespace gotpl_format = lang::gotpl_format;
using lang::func_map;

namespace {

using args_t = std::span<const json::value>;
using res_t = boost::system::result<json::value>;

boost::system::error_code bad_args() {
    return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
}

void add(func_map& m, const char* name, lang::template_func f) { m.emplace(name, std::move(f)); }

// YAML's indent: a whole number (Go's int parameter takes 2 and 2.0, not 2.5), not negative
// (Go's strings.Repeat panics), and bounded so that a typo cannot ask for gigabytes of spaces.
std::optional<int> indent_arg(const json::value& v) {
    constexpr double max_indent = 1024;
    double n = -1;
    if (v.is_int64()) n = static_cast<double>(v.get_int64());
    else if (v.is_uint64()) n = static_cast<double>(v.get_uint64());
    else if (v.is_double()) n = v.get_double();
    if (!(n >= 0 && n <= max_indent) || n != static_cast<double>(static_cast<int>(n)))
        return std::nullopt;
    return static_cast<int>(n);
}

}  // namespace

std::string kwok_quote(const json::value& v) {
    std::string text = gotpl_format::to_json(v);
    if (!text.empty() && text[0] == '"') return text;
    std::string out;
    gotpl_format::append_go_quote(out, text);
    return out;
}

bool is_kwok_template_function(std::string_view name) {
    static constexpr std::string_view names[] = {
        "Quote",  "YAML",        "Version",     "NodeConditions", "Now",        "StartTime",
        "NodeIP", "NodeName",    "NodePort",    "NodeIPWith",     "NodeIPsWith", "PodIP",
        "PodIPWith", "PodIPsWith"};
    for (auto n : names) {
        if (n == name) return true;
    }
    return false;
}

const json::value& default_node_conditions() {
    static const json::value conditions = [] {
        struct c {
            const char* type;
            const char* status;
            const char* reason;
            const char* message;
        };
        static const c list[] = {
            {"Ready", "True", "KubeletReady", "kubelet is posting ready status"},
            {"MemoryPressure", "False", "KubeletHasSufficientMemory",
             "kubelet has sufficient memory available"},
            {"DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
            {"PIDPressure", "False", "KubeletHasSufficientPID",
             "kubelet has sufficient PID available"},
            {"NetworkUnavailable", "False", "RouteCreated", "RouteController created a route"},
        };
        json::array arr;
        for (auto const& e : list) {
            arr.emplace_back(json::object{{"type", e.type},
                                          {"status", e.status},
                                          {"reason", e.reason},
                                          {"message", e.message}});
        }
        return json::value(std::move(arr));
    }();
    return conditions;
}

func_map kwok_default_funcs(std::string version, std::function<std::string()> now,
                            std::function<std::string()> start_time) {
    func_map m;
    add(m, "Quote", [](args_t a) -> res_t {
        if (a.size() != 1) return bad_args();
        return json::value(json::string(kwok_quote(a[0])));
    });
    add(m, "YAML", [](args_t a) -> res_t {
        if (a.empty() || a.size() > 2) return bad_args();
        auto indent = a.size() == 2 ? indent_arg(a[1]) : std::optional<int>(0);
        if (!indent) return bad_args();
        return json::value(json::string(lang::json_to_yaml(a[0], *indent)));
    });
    add(m, "Version", [version = std::move(version)](args_t) -> res_t {
        return json::value(json::string(version));
    });
    add(m, "NodeConditions", [](args_t) -> res_t { return default_node_conditions(); });
    if (now) {
        add(m, "Now", [now = std::move(now)](args_t) -> res_t {
            return json::value(json::string(now()));
        });
    }
    if (start_time) {
        add(m, "StartTime", [st = std::move(start_time)](args_t) -> res_t {
            return json::value(json::string(st()));
        });
    }
    return m;
}

}  // namespace ghost::stages
