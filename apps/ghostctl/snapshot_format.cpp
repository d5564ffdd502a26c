#include "apps/ghostctl/snapshot_format.hpp"

#include "lang/yaml_json.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <set>

namespace ghost::ghostctl {

namespace json = boost::json;

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string string_at(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

const json::object* object_at(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

// A resource answers to its plural, its singular (discovery's lower-case kind) or its kind.
bool names(const kube::api_resource& r, std::string_view name) {
    return r.ref.resource == name || lower(r.kind) == lower(name);
}

const kube::api_resource* find_in_group(const std::vector<kube::api_resource>& served,
                                        std::string_view group,
                                        std::optional<std::string_view> version,
                                        std::string_view name) {
    for (const auto& r : served) {
        if (r.ref.group != group) continue;
        if (version && r.ref.version != *version) continue;
        if (names(r, name)) return &r;
    }
    return nullptr;
}

// A YAML document marker: "---" (or "...") alone or followed by a space/tab (e.g. "--- # c").
bool is_document_marker(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() < 3) return false;
    if (line.substr(0, 3) != "---" && line.substr(0, 3) != "...") return false;
    return line.size() == 3 || line[3] == ' ' || line[3] == '\t';
}

bool blank_or_comment(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        auto end = text.find('\n', i);
        if (end == std::string_view::npos) end = text.size();
        auto line = text.substr(i, end - i);
        auto first = line.find_first_not_of(" \t\r");
        if (first != std::string_view::npos && line[first] != '#') return false;
        i = end + 1;
    }
    return true;
}

// The fields restore needs; "" when all are there, else what is wrong.
std::string missing_fields(const json::object& o) {
    if (string_at(o, "apiVersion").empty()) return "apiVersion: expected a non-empty string";
    if (string_at(o, "kind").empty()) return "kind: expected a non-empty string";
    const auto* meta = object_at(o, "metadata");
    if (meta == nullptr || string_at(*meta, "name").empty())
        return "metadata.name: expected a non-empty string";
    return {};
}

}  // namespace

const std::vector<std::string>& default_snapshot_filters() {
    static const std::vector<std::string> v{
        "namespace",
        "node",
        "serviceaccount",
        "configmap",
        "secret",
        "limitrange",
        "runtimeclass.node.k8s.io",
        "priorityclass.scheduling.k8s.io",
        "clusterrolebindings.rbac.authorization.k8s.io",
        "clusterroles.rbac.authorization.k8s.io",
        "rolebindings.rbac.authorization.k8s.io",
        "roles.rbac.authorization.k8s.io",
        "daemonset.apps",
        "deployment.apps",
        "replicaset.apps",
        "statefulset.apps",
        "cronjob.batch",
        "job.batch",
        "persistentvolumeclaim",
        "persistentvolume",
        "pod",
        "service",
        "endpoints",
    };
    return v;
}

const kube::api_resource* resolve_filter(std::string_view filter,
                                         const std::vector<kube::api_resource>& served) {
    if (filter.empty()) return nullptr;
    auto dot = filter.find('.');
    std::string_view name = filter.substr(0, dot);
    std::string_view rest =
        dot == std::string_view::npos ? std::string_view() : filter.substr(dot + 1);
    if (auto dot2 = rest.find('.'); dot2 != std::string_view::npos) {
        auto version = rest.substr(0, dot2);
        if (const auto* r = find_in_group(served, rest.substr(dot2 + 1), version, name)) return r;
    }
    return find_in_group(served, rest, std::nullopt, name);
}

std::string api_version_of(const kube::resource_ref& r) {
    return r.group.empty() ? r.version : r.group + "/" + r.version;
}

void prepare_for_snapshot(json::object& item, std::string_view api_version, std::string_view kind) {
    item["apiVersion"] = api_version;
    item["kind"] = kind;
    if (auto* meta = item.if_contains("metadata"); meta != nullptr && meta->is_object())
        meta->get_object().erase("resourceVersion");
}

std::string snapshot_document(const json::object& object, bool first) {
    std::string out = first ? std::string() : std::string("---\n");
    out += lang::json_to_yaml(object);
    return out;
}

snapshot_contents read_snapshot_text(std::string_view text, std::string_view source) {
    snapshot_contents out;
    std::size_t doc_number = 0;
    auto take = [&](std::string_view doc, std::size_t line) {
        if (blank_or_comment(doc)) return;
        ++doc_number;
        ++out.documents;
        std::string where = std::string(source) + ":" + std::to_string(line) + ": document " +
                            std::to_string(doc_number) + ": ";
        std::string error;
        auto parsed = lang::yaml_to_json(doc, &error);
        if (!parsed) {
            // One printable line, whatever bytes the parser quoted from a corrupt file.
            for (auto& c : error) {
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
            }
            out.errors.push_back(where + (error.empty() ? "invalid YAML" : error));
            return;
        }
        if (parsed->is_null()) return;
        if (!parsed->is_object()) {
            out.errors.push_back(where + "expected a Kubernetes object (a mapping)");
            return;
        }
        auto& obj = parsed->get_object();
        auto kind = string_at(obj, "kind");
        if (is_resource_patch(obj)) {
            std::string error;
            auto p = decode_resource_patch(obj, &error);
            if (!p) {
                out.errors.push_back(where + "ResourcePatch: " + error);
                return;
            }
            out.patches.push_back({std::move(*p), doc_number, line});
            return;
        }
        // A List (kubectl get -o yaml) holds its objects in items, as kwok's decoder reads it.
        if (kind.ends_with("List") && obj.contains("items")) {
            const auto* items = obj.if_contains("items");
            if (!items->is_array()) {
                out.errors.push_back(where + "items: expected a list");
                return;
            }
            std::size_t i = 0;
            for (const auto& item : items->get_array()) {
                std::string at = where + "items[" + std::to_string(i++) + "]: ";
                if (!item.is_object()) {
                    out.errors.push_back(at + "expected a Kubernetes object (a mapping)");
                    continue;
                }
                if (auto m = missing_fields(item.get_object()); !m.empty()) {
                    out.errors.push_back(at + m);
                    continue;
                }
                out.objects.push_back({item.get_object(), line});
            }
            return;
        }
        if (auto m = missing_fields(obj); !m.empty()) {
            out.errors.push_back(where + m);
            return;
        }
        out.objects.push_back({std::move(obj), line});
    };

    std::size_t doc_start = 0, doc_line = 1, line_no = 1, i = 0;
    while (i <= text.size()) {
        auto end = text.find('\n', i);
        if (end == std::string_view::npos) end = text.size();
        if (is_document_marker(text.substr(i, end - i))) {
            take(text.substr(doc_start, i - doc_start), doc_line);
            doc_start = std::min(end + 1, text.size());
            doc_line = line_no + 1;
        }
        if (end == text.size()) break;
        i = end + 1;
        ++line_no;
    }
    take(text.substr(doc_start), doc_line);
    return out;
}

object_key key_of_object(const json::object& object) {
    object_key k{string_at(object, "apiVersion"), string_at(object, "kind"), {}, {}};
    if (const auto* meta = object_at(object, "metadata")) {
        k.name = string_at(*meta, "name");
        k.uid = string_at(*meta, "uid");
    }
    return k;
}

object_key key_of_owner(const json::object& ref) {
    return {string_at(ref, "apiVersion"), string_at(ref, "kind"), string_at(ref, "name"),
            string_at(ref, "uid")};
}

std::string describe(const object_key& k) { return k.api_version + " " + k.kind + " " + k.name; }

namespace {

std::vector<object_key> owners_of(const json::object& object) {
    std::vector<object_key> out;
    const auto* meta = object_at(object, "metadata");
    if (meta == nullptr) return out;
    const auto* refs = meta->if_contains("ownerReferences");
    if (refs == nullptr || !refs->is_array()) return out;
    for (const auto& r : refs->get_array()) {
        if (!r.is_object()) continue;
        auto k = key_of_owner(r.get_object());
        if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(std::move(k));
    }
    return out;
}

}  // namespace

void restore_plan::add(json::object object) {
    entry e{std::move(object), 0, false};
    std::vector<object_key> missing;
    for (auto& k : owners_of(e.object)) {
        if (!new_uids_.count(k)) missing.push_back(std::move(k));
    }
    if (missing.empty()) {
        release(e);
        return;
    }
    e.missing = missing.size();
    waiting_.push_back(std::move(e));
    for (auto& k : missing) waiters_[k].push_back(waiting_.size() - 1);
}

void restore_plan::release(entry& e) {
    e.released = true;
    if (auto* meta = e.object.if_contains("metadata"); meta != nullptr && meta->is_object()) {
        if (auto* refs = meta->get_object().if_contains("ownerReferences");
            refs != nullptr && refs->is_array()) {
            for (auto& r : refs->get_array()) {
                if (!r.is_object()) continue;
                auto it = new_uids_.find(key_of_owner(r.get_object()));
                if (it != new_uids_.end()) r.get_object()["uid"] = it->second;
            }
        }
    }
    ready_.push_back(std::move(e.object));
}

std::optional<json::object> restore_plan::next_ready() {
    if (ready_.empty()) return std::nullopt;
    auto o = std::move(ready_.front());
    ready_.pop_front();
    return o;
}

const std::string* restore_plan::new_uid(std::string_view old_uid) const {
    auto it = by_old_uid_.find(old_uid);
    return it == by_old_uid_.end() ? nullptr : &it->second;
}

void restore_plan::created(const object_key& key, std::string new_uid) {
    if (!key.uid.empty()) by_old_uid_[key.uid] = new_uid;
    new_uids_[key] = std::move(new_uid);
    auto it = waiters_.find(key);
    if (it == waiters_.end()) return;
    for (auto index : it->second) {
        auto& e = waiting_[index];
        if (!e.released && --e.missing == 0) release(e);
    }
    waiters_.erase(it);
}

std::vector<std::pair<json::object, std::vector<object_key>>> restore_plan::waiting() const {
    std::vector<std::pair<json::object, std::vector<object_key>>> out;
    for (const auto& e : waiting_) {
        if (e.released) continue;
        std::vector<object_key> missing;
        for (auto& k : owners_of(e.object)) {
            if (!new_uids_.count(k)) missing.push_back(k);
        }
        out.emplace_back(e.object, std::move(missing));
    }
    return out;
}

}  // namespace ghost::ghostctl
