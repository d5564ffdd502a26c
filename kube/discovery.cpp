#include "kube/discovery.hpp"

#include <boost/json/parse.hpp>

namespace ghost::kube {

std::pair<std::string, std::string> split_group_version(std::string_view gv) {
    auto slash = gv.find('/');
    if (slash == std::string_view::npos) return {"", std::string(gv)};
    return {std::string(gv.substr(0, slash)), std::string(gv.substr(slash + 1))};
}

std::string discovery_path(std::string_view gv) {
    auto [group, version] = split_group_version(gv);
    return group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
}

std::optional<std::vector<api_resource>> parse_api_resource_list(std::string_view body,
                                                                 std::string_view gv,
                                                                 std::string* error) {
    auto fail = [&](std::string what) -> std::optional<std::vector<api_resource>> {
        if (error) *error = "discovery " + std::string(gv) + ": " + what;
        return std::nullopt;
    };
    boost::system::error_code ec;
    auto doc = boost::json::parse(body, ec);
    if (ec || !doc.is_object()) return fail("expected an APIResourceList object");
    auto* list = doc.as_object().if_contains("resources");
    if (!list || !list->is_array()) return fail("expected a resources list");
    auto [group, version] = split_group_version(gv);
    std::vector<api_resource> out;
    std::vector<std::string> with_status;
    for (const auto& item : list->as_array()) {
        auto* o = item.if_object();
        if (!o) continue;
        auto* name = o->if_contains("name");
        auto* kind = o->if_contains("kind");
        if (!name || !name->is_string() || !kind || !kind->is_string()) continue;
        std::string_view n = name->get_string();
        if (auto slash = n.find('/'); slash != std::string_view::npos) {
            if (n.substr(slash + 1) == "status") with_status.emplace_back(n.substr(0, slash));
            continue;
        }
        api_resource r;
        r.ref.group = group;
        r.ref.version = version;
        r.ref.resource = std::string(n);
        auto* ns = o->if_contains("namespaced");
        r.ref.namespaced = ns && ns->is_bool() && ns->get_bool();
        r.kind = std::string(kind->get_string());
        out.push_back(std::move(r));
    }
    for (auto& r : out) {
        for (const auto& s : with_status) r.has_status = r.has_status || s == r.ref.resource;
    }
    return out;
}

const api_resource* find_kind(const std::vector<api_resource>& list, std::string_view kind) {
    for (const auto& r : list) {
        if (r.kind == kind) return &r;
    }
    return nullptr;
}

}  // namespace ghost::kube
