#include "sim/patch_effect.hpp"

#include <boost/container/small_vector.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>

namespace ghost::sim {

namespace json = boost::json;

namespace {

constexpr std::string_view status_conditions[] = {"status", "conditions"};
constexpr std::string_view status_host_ips[] = {"status", "hostIPs"};
constexpr std::string_view status_pod_ips[] = {"status", "podIPs"};
constexpr std::string_view status_addresses[] = {"status", "addresses"};

constexpr list_merge_key pod_keys[] = {
    {status_conditions, "type"}, {status_host_ips, "ip"}, {status_pod_ips, "ip"}};
constexpr list_merge_key node_keys[] = {{status_conditions, "type"},
                                        {status_addresses, "type"}};

// Set by the API server (or a precondition when sent): a patch naming one is always sent.
bool server_owned(std::string_view metadata_field) {
    static constexpr std::string_view fields[] = {
        "resourceVersion", "uid",           "generation",        "creationTimestamp",
        "deletionTimestamp", "managedFields", "selfLink", "deletionGracePeriodSeconds"};
    return std::find(std::begin(fields), std::end(fields), metadata_field) != std::end(fields);
}

class walker {
public:
    walker(bool strategic, std::span<const list_merge_key> keys)
        : strategic_(strategic), keys_(keys) {}

    // Would merging `patch` into `target` (nullptr: absent) change it?
    bool changes(const json::value* target, const json::value& patch) {
        if (patch.is_object()) {
            if (!target || !target->is_object()) return true;
            return object_changes(target->get_object(), patch.get_object());
        }
        if (!target) return true;
        if (strategic_ && patch.is_array()) {
            if (const list_merge_key* k = merge_key_here()) {
                return keyed_list_changes(*target, patch.get_array(), k->key);
            }
        }
        return *target != patch;
    }

private:
    bool object_changes(const json::object& target, const json::object& patch) {
        const bool in_metadata = path_.size() == 1 && path_[0] == "metadata";
        for (const auto& kv : patch) {
            std::string_view key = kv.key();
            if (strategic_ && key.starts_with('$')) return true;  // a directive: not modelled
            if (in_metadata && server_owned(key)) return true;
            const json::value* current = target.if_contains(key);
            if (kv.value().is_null()) {  // removes the field
                if (current) return true;
                continue;
            }
            path_.push_back(key);
            bool changed = changes(current, kv.value());
            path_.pop_back();
            if (changed) return true;
        }
        return false;
    }

    const list_merge_key* merge_key_here() const {
        for (const auto& k : keys_) {
            if (std::equal(k.path.begin(), k.path.end(), path_.begin(), path_.end())) return &k;
        }
        return nullptr;
    }

    // Strategic merge of a keyed list: each patch element merges into the target's element
    // with the same key; a missing one is added. An empty patch list only matches an empty
    // list (its strategic meaning is not modelled).
    bool keyed_list_changes(const json::value& target, const json::array& patch,
                            std::string_view key) {
        if (!target.is_array()) return true;
        const json::array& current = target.get_array();
        if (patch.empty()) return !current.empty();
        for (const auto& elem : patch) {
            const json::object* p = elem.if_object();
            const json::value* id = p ? p->if_contains(key) : nullptr;
            if (!id || !id->is_string()) return true;
            const json::value* match = nullptr;
            for (const auto& c : current) {
                const json::object* co = c.if_object();
                const json::value* cid = co ? co->if_contains(key) : nullptr;
                if (cid && *cid == *id) {
                    match = &c;
                    break;
                }
            }
            if (!match) return true;
            path_.push_back("[]");  // below a list element: no merge keys modelled
            bool changed = changes(match, elem);
            path_.pop_back();
            if (changed) return true;
        }
        return false;
    }

    bool strategic_;
    std::span<const list_merge_key> keys_;
    boost::container::small_vector<std::string_view, 8> path_;
};

}  // namespace

std::span<const list_merge_key> pod_merge_keys() { return pod_keys; }
std::span<const list_merge_key> node_merge_keys() { return node_keys; }

bool patch_changes(const json::value& object, const json::value& patch, kube::patch_type type,
                   std::span<const list_merge_key> keys) {
    if (type != kube::patch_type::merge && type != kube::patch_type::strategic) return true;
    // A patch that is not an object replaces the whole object (merge) or is invalid.
    if (!patch.is_object()) return true;
    walker w(type == kube::patch_type::strategic, keys);
    return w.changes(&object, patch);
}

}  // namespace ghost::sim
