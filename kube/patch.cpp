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

std::string escape_pointer_token(std::string_view token) {
    std::string out;
    out.reserve(token.size());
    for (char c : token) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}

std::string json_pointer(std::initializer_list<std::string_view> tokens) {
    std::string out;
    for (auto t : tokens) {
        out += '/';
        out += escape_pointer_token(t);
    }
    return out;
}

namespace {
json::object op(std::string_view name, std::string_view path) {
    json::object o;
    o["op"] = name;
    o["path"] = path;
    return o;
}
}  // namespace

json::object patch_add(std::string_view path, json::value value) {
    auto o = op("add", path);
    o["value"] = std::move(value);
    return o;
}

json::object patch_replace(std::string_view path, json::value value) {
    auto o = op("replace", path);
    o["value"] = std::move(value);
    return o;
}

json::object patch_remove(std::string_view path) { return op("remove", path); }

json::object patch_test(std::string_view path, json::value value) {
    auto o = op("test", path);
    o["value"] = std::move(value);
    return o;
}

namespace {

// A patch object applied to a non-object target starts from {} with nulls dropped.
json::value strip_nulls(const json::value& patch) {
    if (!patch.is_object()) return patch;
    json::object out;
    for (const auto& kv : patch.get_object()) {
        if (kv.value().is_null()) continue;
        out[kv.key()] = strip_nulls(kv.value());
    }
    return out;
}

}  // namespace

bool apply_merge_patch(json::value& target, const json::value& patch) {
    if (!patch.is_object()) {
        if (target == patch) return false;
        target = patch;
        return true;
    }
    bool changed = false;
    if (!target.is_object()) {
        target = json::object();
        changed = true;
    }
    auto& obj = target.get_object();
    for (const auto& kv : patch.get_object()) {
        if (kv.value().is_null()) {
            changed |= obj.erase(kv.key()) > 0;
            continue;
        }
        auto it = obj.find(kv.key());
        if (it == obj.end()) {
            obj[kv.key()] = strip_nulls(kv.value());
            changed = true;
        } else {
            changed |= apply_merge_patch(it->value(), kv.value());
        }
    }
    return changed;
}

json::value merge_patch(const json::value& target, const json::value& patch) {
    json::value out = target;
    apply_merge_patch(out, patch);
    return out;
}

bool merge_patch_changes(const json::value& target, const json::value& patch) {
    if (!patch.is_object()) return target != patch;
    if (!target.is_object()) return true;
    const auto& obj = target.get_object();
    for (const auto& kv : patch.get_object()) {
        auto* cur = obj.if_contains(kv.key());
        if (kv.value().is_null()) {
            if (cur) return true;
            continue;
        }
        if (!cur) return true;
        if (merge_patch_changes(*cur, kv.value())) return true;
    }
    return false;
}

}  // namespace ghost::kube
