#include "kube/strategic_patch.hpp"

#include "engine/error.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace ghost::kube {

namespace json = boost::json;

namespace {

const json::object* object_at(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

// RFC 6901 token decoding: ~1 is '/', ~0 is '~'.
std::string decode_pointer_token(std::string_view t) {
    std::string out;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '~' && i + 1 < t.size() && (t[i + 1] == '0' || t[i + 1] == '1')) {
            out += t[i + 1] == '1' ? '/' : '~';
            ++i;
        } else {
            out += t[i];
        }
    }
    return out;
}

bool has_type(const json::object& schema) {
    const auto* t = schema.if_contains("type");
    if (t == nullptr) return false;
    if (t->is_string()) return !t->get_string().empty();
    return t->is_array() && !t->get_array().empty();
}

bool type_is_array(const json::object& schema) {
    const auto* t = schema.if_contains("type");
    if (t == nullptr) return false;
    if (t->is_string()) return t->get_string() == "array";
    if (!t->is_array()) return false;
    const auto& a = t->get_array();
    return std::any_of(a.begin(), a.end(), [](const json::value& v) {
        return v.is_string() && v.get_string() == "array";
    });
}

patch_field_meta meta_of(const json::object& property) {
    patch_field_meta m;
    if (const auto* s = property.if_contains("x-kubernetes-patch-strategy"); s && s->is_string()) {
        std::string_view all = s->get_string();
        while (!all.empty()) {
            auto comma = all.find(',');
            auto one = all.substr(0, comma);
            if (one != "retainKeys" && m.strategy.empty()) m.strategy = std::string(one);
            all = comma == std::string_view::npos ? std::string_view() : all.substr(comma + 1);
        }
    }
    if (const auto* k = property.if_contains("x-kubernetes-patch-merge-key"); k && k->is_string())
        m.merge_key = std::string(k->get_string());
    return m;
}

// ---- the diff ---------------------------------------------------------------------------------

// Go's reflect types after apimachinery's JSON decoding: integers int64, other numbers float64.
enum class value_type { null, boolean, integer, floating, string, array, object };

value_type type_of(const json::value& v) {
    switch (v.kind()) {
    case json::kind::null: return value_type::null;
    case json::kind::bool_: return value_type::boolean;
    case json::kind::int64:
    case json::kind::uint64: return value_type::integer;
    case json::kind::double_: return value_type::floating;
    case json::kind::string: return value_type::string;
    case json::kind::array: return value_type::array;
    case json::kind::object: return value_type::object;
    }
    return value_type::null;
}

// fmt's %v of a scalar: the sort key of scalar lists and of merge keys.
std::string sort_key(const json::value& v) {
    if (v.is_string()) return std::string(v.get_string());
    if (v.is_null()) return "<nil>";
    return json::serialize(v);
}

// One diff; the first error found stops it (and names the list).
class differ {
public:
    std::string error;

    json::object maps(const json::object& original, const json::object& modified,
                      const patch_schema* schema) {
        json::object patch;
        for (const auto& [k, mv] : modified) {
            if (!error.empty()) return patch;
            const std::string key(k);
            const auto* ov = original.if_contains(k);
            if (ov == nullptr) {
                patch[key] = mv;
            } else if (key == "$patch") {
                if (ov->is_string() && mv.is_string() && *ov != mv) patch[key] = mv;
            } else {
                field(key, *ov, mv, schema, patch);
            }
        }
        for (const auto& [k, _] : original) {
            if (!modified.contains(k)) patch[k] = nullptr;
        }
        return patch;
    }

private:
    struct list_diff {
        json::array patch;
        json::array deletions;   // scalars only: $deleteFromPrimitiveList
        json::array set_order;   // $setElementOrder
    };

    bool fail(std::string_view key, std::string what) {
        if (error.empty()) error = std::string(key) + ": " + std::move(what);
        return false;
    }

    // sliceElementType: one type for every element of both lists, and not a list.
    bool element_type(const json::array& a, const json::array& b, std::string_view key,
                      value_type& out) {
        std::optional<value_type> t;
        for (const auto* list : {&a, &b}) {
            for (const auto& v : *list) {
                auto vt = type_of(v);
                if (!t) t = vt;
                if (*t != vt) return fail(key, "list element types are not identical");
            }
        }
        if (t == value_type::array) return fail(key, "lists of lists are not supported");
        out = t.value_or(value_type::null);
        return true;
    }

    // The elements ordered by their merge key's %v; false when one has no merge key.
    bool sorted_by_key(const json::array& list, const std::string& merge_key,
                       std::string_view key,
                       std::vector<std::pair<std::string, const json::value*>>& out) {
        for (const auto& v : list) {
            const auto* mk = v.get_object().if_contains(merge_key);
            if (mk == nullptr)
                return fail(key, "an element has no merge key \"" + merge_key + "\"");
            out.emplace_back(sort_key(*mk), &v);
        }
        std::stable_sort(out.begin(), out.end(),
                         [](const auto& x, const auto& y) { return x.first < y.first; });
        return true;
    }

    // Sorts `list` stably by each element's position in `order` (normalizeSliceOrder).
    static void order_like(json::array& list, const json::array& order,
                           const std::string& merge_key, bool maps) {
        auto position = [&](const json::value& v) {
            for (std::size_t i = 0; i < order.size(); ++i) {
                if (maps ? order[i].get_object().at(merge_key) == v.get_object().at(merge_key)
                         : order[i] == v)
                    return i;
            }
            return order.size();
        };
        std::vector<std::pair<std::size_t, json::value>> keyed;
        for (auto& v : list) keyed.emplace_back(position(v), std::move(v));
        std::stable_sort(keyed.begin(), keyed.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        list.clear();
        for (auto& [_, v] : keyed) list.push_back(std::move(v));
    }

    list_diff lists_of_maps(const json::array& original, const json::array& modified,
                            const patch_schema* items, const std::string& merge_key,
                            std::string_view key) {
        list_diff d;
        std::vector<std::pair<std::string, const json::value*>> o, m;
        if (!sorted_by_key(original, merge_key, key, o) ||
            !sorted_by_key(modified, merge_key, key, m))
            return d;
        json::array deletes;
        std::size_t i = 0, j = 0;
        while (i < o.size() || j < m.size()) {
            if (i < o.size() && j < m.size() && o[i].first == m[j].first) {
                auto p = maps(o[i].second->get_object(), m[j].second->get_object(), items);
                if (!p.empty()) {
                    p[merge_key] = m[j].second->get_object().at(merge_key);
                    d.patch.push_back(std::move(p));
                }
                ++i;
                ++j;
            } else if (i >= o.size() || (j < m.size() && o[i].first > m[j].first)) {
                d.patch.push_back(*m[j++].second);   // added
            } else {
                json::object del;
                del["$patch"] = "delete";
                del[merge_key] = o[i++].second->get_object().at(merge_key);
                deletes.push_back(std::move(del));
            }
        }
        order_like(d.patch, modified, merge_key, true);
        bool same_order = original.size() == modified.size();
        for (std::size_t k = 0; same_order && k < modified.size(); ++k) {
            same_order = original[k].get_object().at(merge_key) ==
                         modified[k].get_object().at(merge_key);
        }
        for (auto& del : deletes) d.patch.push_back(std::move(del));
        if (!d.patch.empty() || !same_order) {
            for (const auto& v : modified) {
                json::object only_key;
                only_key[merge_key] = v.get_object().at(merge_key);
                d.set_order.push_back(std::move(only_key));
            }
        }
        return d;
    }

    static list_diff lists_of_scalars(const json::array& original, const json::array& modified) {
        auto sorted = [](const json::array& a) {
            std::vector<std::pair<std::string, const json::value*>> s;
            for (const auto& v : a) s.emplace_back(sort_key(v), &v);
            std::stable_sort(s.begin(), s.end(),
                             [](const auto& x, const auto& y) { return x.first < y.first; });
            return s;
        };
        list_diff d;
        auto o = sorted(original);
        auto m = sorted(modified);
        std::size_t i = 0, j = 0;
        while (i < o.size() || j < m.size()) {
            if (i < o.size() && j < m.size() && o[i].first == m[j].first) {
                ++i;
                ++j;
            } else if (i >= o.size() || (j < m.size() && o[i].first > m[j].first)) {
                d.patch.push_back(*m[j++].second);
            } else {
                const auto& gone = *o[i++].second;
                if (std::find(d.deletions.begin(), d.deletions.end(), gone) == d.deletions.end())
                    d.deletions.push_back(gone);
            }
        }
        order_like(d.patch, modified, {}, false);
        if (!d.deletions.empty() || original != modified) d.set_order = modified;
        return d;
    }

    void list(const std::string& key, const json::array& o, const json::array& m,
              const patch_schema& items, const std::string& merge_key, json::object& patch) {
        if (o.empty()) {
            if (!m.empty()) patch[key] = m;
            return;
        }
        value_type t{};
        if (!element_type(o, m, key, t)) return;
        list_diff d = t == value_type::object ? lists_of_maps(o, m, &items, merge_key, key)
                                              : lists_of_scalars(o, m);
        if (!error.empty()) return;
        if (!d.patch.empty()) patch[key] = std::move(d.patch);
        if (!d.deletions.empty()) patch["$deleteFromPrimitiveList/" + key] = std::move(d.deletions);
        if (!d.set_order.empty()) patch["$setElementOrder/" + key] = std::move(d.set_order);
    }

    void field(const std::string& key, const json::value& original, const json::value& modified,
               const patch_schema* schema, json::object& patch) {
        if (type_of(original) != type_of(modified)) {
            patch[key] = modified;
        } else if (modified.is_object()) {
            auto f = schema != nullptr ? schema->field(key) : std::nullopt;
            if (f && f->second.strategy == "replace") {
                if (original != modified) patch[key] = modified;
                return;
            }
            auto p = maps(original.get_object(), modified.get_object(), f ? &f->first : nullptr);
            if (!p.empty()) patch[key] = std::move(p);
        } else if (modified.is_array()) {
            auto f = schema != nullptr ? schema->list_field(key) : std::nullopt;
            if (f && f->second.strategy == "merge") {
                list(key, original.get_array(), modified.get_array(), f->first,
                     f->second.merge_key, patch);
            } else if (original != modified) {
                patch[key] = modified;
            }
        } else if (original != modified) {
            patch[key] = modified;
        }
    }
};

}  // namespace

std::string openapi_v3_key(std::string_view group, std::string_view version) {
    if (group.empty()) return "api/" + std::string(version);
    return "apis/" + std::string(group) + "/" + std::string(version);
}

std::optional<patch_schema> patch_schema::resolved(const json::object* node, int hops) const {
    while (node != nullptr && !has_type(*node)) {
        if (hops-- <= 0) return std::nullopt;
        if (const auto* ref = node->if_contains("$ref"); ref && ref->is_string()) {
            std::string_view r = ref->get_string();
            if (r.empty() || r.front() != '#') return std::nullopt;
            auto name = decode_pointer_token(r.substr(r.rfind('/') + 1));
            const auto* components = object_at(doc_->as_object(), "components");
            const auto* schemas = components ? object_at(*components, "schemas") : nullptr;
            node = schemas ? object_at(*schemas, name) : nullptr;
            continue;
        }
        const json::object* next = nullptr;
        for (const char* k : {"allOf", "oneOf", "anyOf"}) {
            const auto* a = node->if_contains(k);
            if (a != nullptr && a->is_array() && !a->get_array().empty()) {
                const auto& first = a->get_array().front();
                next = first.is_object() ? &first.get_object() : nullptr;
                break;
            }
        }
        if (next == nullptr) return std::nullopt;
        node = next;
    }
    if (node == nullptr) return std::nullopt;
    return patch_schema(doc_, node);
}

std::optional<patch_schema> patch_schema::for_resource(std::shared_ptr<const json::value> doc,
                                                       std::string_view resource,
                                                       std::string* error) {
    auto fail = [&](std::string what) -> std::optional<patch_schema> {
        if (error != nullptr) *error = "openapi: " + std::move(what);
        return std::nullopt;
    };
    if (!doc || !doc->is_object()) return fail("the document is not an object");
    const auto* paths = object_at(doc->get_object(), "paths");
    if (paths == nullptr) return fail("the document has no paths");
    const std::string suffix = "/" + std::string(resource) + "/{name}";
    const json::object* path = nullptr;
    std::string found;
    for (const auto& [p, item] : *paths) {
        std::string_view s = p;
        if (!s.ends_with(suffix) || !item.is_object()) continue;
        if (s.substr(0, s.size() - suffix.size() + 1).find("/watch/") != std::string_view::npos)
            continue;
        if (path != nullptr) {
            return fail("several paths for " + std::string(resource) + ": " + found + ", " +
                        std::string(s));
        }
        path = &item.get_object();
        found = std::string(s);
    }
    if (path == nullptr) return fail("no path ends in " + suffix);
    const json::object* node = object_at(*path, "get");
    for (const char* k : {"responses", "200", "content", "application/json", "schema"})
        node = node ? object_at(*node, k) : nullptr;
    if (node == nullptr) {
        return fail(found + ": no get.responses.200.content.application/json.schema");
    }
    patch_schema root(doc, nullptr);
    auto r = root.resolved(node, 5);
    if (!r) return fail(found + ": the response schema does not resolve to a type");
    return r;
}

std::optional<std::pair<const json::object*, patch_field_meta>> patch_schema::property(
    std::string_view key) const {
    const auto* props = object_at(*node_, "properties");
    const auto* prop = props ? object_at(*props, key) : nullptr;
    if (prop == nullptr) return std::nullopt;
    return std::make_pair(prop, meta_of(*prop));
}

std::optional<std::pair<patch_schema, patch_field_meta>> patch_schema::field(
    std::string_view key) const {
    auto p = property(key);
    if (!p) return std::nullopt;
    auto s = resolved(p->first, 5);
    if (!s) return std::nullopt;
    return std::make_pair(std::move(*s), std::move(p->second));
}

std::optional<std::pair<patch_schema, patch_field_meta>> patch_schema::list_field(
    std::string_view key) const {
    auto p = property(key);
    if (!p || !type_is_array(*p->first)) return std::nullopt;
    const auto* items = object_at(*p->first, "items");
    auto s = items ? resolved(items, 5) : std::nullopt;
    if (!s) return std::nullopt;
    return std::make_pair(std::move(*s), std::move(p->second));
}

boost::system::result<json::object> two_way_merge_patch(const json::object& original,
                                                        const json::object& modified,
                                                        const patch_schema* schema,
                                                        std::string* error) {
    differ d;
    auto patch = d.maps(original, modified, schema);
    if (d.error.empty()) return patch;
    if (error != nullptr) *error = std::move(d.error);
    return engine::make_error_code(engine::errc::parse_error);
}

}  // namespace ghost::kube
