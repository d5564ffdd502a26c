#include "kube/patch.hpp"

namespace ghost::kube {

namespace json = boost::json;

std::string_view content_type(patch_type t) noexcept {
    switch (t) {
    case patch_type::json: return "application/json-patch+json";
    case patch_type::merge: return "application/merge-patch+json";
    case patch_type::strategic: return "application/strategic-merge-patch+json";
    case patch_type::apply: return "application/apply-patch+yaml";
    }
    return "application/merge-patch+json";
}

json::object patch_add(std::string_view path, json::value value) {
    json::object o;
    o["op"] = "add";
    o["path"] = path;
    o["value"] = std::move(value);
    return o;
}

json::object patch_remove(std::string_view path) {
    json::object o;
    o["op"] = "remove";
    o["path"] = path;
    return o;
}

}  // namespace ghost::kube
