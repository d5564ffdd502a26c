#include "apps/ghostctl/snapshot_record.hpp"

#include "apps/ghostctl/snapshot_format.hpp"

#include <cctype>
#include <charconv>
#include <limits>

namespace ghost::ghostctl {

namespace json = boost::json;
using namespace std::chrono;

namespace {

std::string_view method_name(patch_method m) {
    switch (m) {
    case patch_method::create: return "create";
    case patch_method::patch: return "patch";
    case patch_method::remove: return "delete";
    }
    return "create";
}

// "key: expected a non-empty string" unless o[key] is one (optional: absent is fine).
bool read_string(const json::object& o, std::string_view key, std::string_view where,
                 bool required, std::string& out, std::string* error) {
    const auto* v = o.if_contains(key);
    if (v == nullptr && !required) return true;
    if (v == nullptr || !v->is_string() || (required && v->get_string().empty())) {
        *error = std::string(where) + std::string(key) +
                 (required ? ": expected a non-empty string" : ": expected a string");
        return false;
    }
    out = std::string(v->get_string());
    return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Length of the match of \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}) at
// text[i], 0 when none (kwok's regular expression, character for character).
std::size_t time_at(std::string_view t, std::size_t i) {
    const std::string_view shape = "dddd-dd-ddTdd:dd:dd";
    if (t.size() - i < shape.size()) return 0;
    for (std::size_t k = 0; k < shape.size(); ++k) {
        char c = t[i + k];
        if (shape[k] == 'd' ? !is_digit(c) : c != shape[k]) return 0;
    }
    std::size_t j = i + shape.size();
    if (j + 1 < t.size() && t[j] == '.' && is_digit(t[j + 1])) {
        ++j;
        while (j < t.size() && is_digit(t[j])) ++j;
    }
    if (j < t.size() && t[j] == 'Z') return j + 1 - i;
    if (j + 6 <= t.size() && (t[j] == '+' || t[j] == '-') && is_digit(t[j + 1]) &&
        is_digit(t[j + 2]) && t[j + 3] == ':' && is_digit(t[j + 4]) && is_digit(t[j + 5]))
        return j + 6 - i;
    return 0;
}

constexpr std::string_view offset_prefix = "$(time-offset-nanosecond ";

}  // namespace

bool is_resource_patch(const json::object& d) {
    const auto* k = d.if_contains("kind");
    const auto* a = d.if_contains("apiVersion");
    return k && k->is_string() && k->get_string() == resource_patch_kind && a && a->is_string() &&
           a->get_string() == resource_patch_api_version;
}

json::object encode_resource_patch(const resource_patch& p) {
    json::object o;
    o["apiVersion"] = resource_patch_api_version;
    o["kind"] = resource_patch_kind;
    json::object r;
    if (!p.group.empty()) r["group"] = p.group;
    r["version"] = p.version;
    r["resource"] = p.resource;
    o["resource"] = std::move(r);
    json::object target;
    target["name"] = p.name;
    if (!p.ns.empty()) target["namespace"] = p.ns;
    o["target"] = std::move(target);
    o["durationNanosecond"] = static_cast<std::int64_t>(p.offset.count());
    o["method"] = method_name(p.method);
    if (p.method != patch_method::remove) o["template"] = p.body;
    return o;
}

std::optional<resource_patch> decode_resource_patch(const json::object& d, std::string* error) {
    resource_patch p;
    const auto* r = d.if_contains("resource");
    if (r == nullptr || !r->is_object()) {
        *error = "resource: expected a mapping with version and resource";
        return std::nullopt;
    }
    const auto& res = r->get_object();
    if (!read_string(res, "group", "resource.", false, p.group, error) ||
        !read_string(res, "version", "resource.", true, p.version, error) ||
        !read_string(res, "resource", "resource.", true, p.resource, error))
        return std::nullopt;
    const auto* t = d.if_contains("target");
    if (t == nullptr || !t->is_object()) {
        *error = "target: expected a mapping with name (and namespace)";
        return std::nullopt;
    }
    if (!read_string(t->get_object(), "name", "target.", true, p.name, error) ||
        !read_string(t->get_object(), "namespace", "target.", false, p.ns, error))
        return std::nullopt;
    if (const auto* n = d.if_contains("durationNanosecond")) {
        if (n->is_int64()) {
            p.offset = nanoseconds(n->get_int64());
        } else if (n->is_uint64() &&
                   n->get_uint64() <= std::uint64_t(std::numeric_limits<std::int64_t>::max())) {
            p.offset = nanoseconds(static_cast<std::int64_t>(n->get_uint64()));
        } else {
            *error = "durationNanosecond: expected an integer (nanoseconds)";
            return std::nullopt;
        }
    }
    std::string method;
    const auto* m = d.if_contains("method");
    if (m != nullptr && m->is_string()) method = std::string(m->get_string());
    if (method == "create") {
        p.method = patch_method::create;
    } else if (method == "patch") {
        p.method = patch_method::patch;
    } else if (method == "delete") {
        p.method = patch_method::remove;
    } else {
        *error = "method: expected create, patch or delete, got " +
                 (m == nullptr ? std::string("nothing") : "\"" + method + "\"");
        return std::nullopt;
    }
    if (p.method != patch_method::remove) {
        const auto* body = d.if_contains("template");
        if (body == nullptr || !body->is_object()) {
            *error = "template: expected a mapping (the object or the patch) for method " + method;
            return std::nullopt;
        }
        p.body = body->get_object();
    }
    return p;
}

std::string times_to_offsets(std::string_view text, kube::wall_clock::time_point base) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t n = is_digit(text[i]) ? time_at(text, i) : 0;
        if (n == 0) {
            out += text[i++];
            continue;
        }
        auto t = kube::parse_rfc3339(text.substr(i, n));
        if (t) {
            auto d = duration_cast<nanoseconds>(*t - base);
            out += offset_prefix;
            out += std::to_string(d.count());
            out += ')';
        } else {
            out.append(text.substr(i, n));
        }
        i += n;
    }
    return out;
}

std::string offsets_to_times(std::string_view text, kube::wall_clock::time_point base) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (true) {
        auto at = text.find(offset_prefix, i);
        if (at == std::string_view::npos) break;
        std::size_t j = at + offset_prefix.size();
        std::size_t digits = j + (j < text.size() && text[j] == '-' ? 1 : 0);
        std::size_t end = digits;
        while (end < text.size() && is_digit(text[end])) ++end;
        std::int64_t n = 0;
        auto [ptr, ec] = std::from_chars(text.data() + j, text.data() + end, n);
        if (end == digits || end >= text.size() || text[end] != ')' || ec != std::errc() ||
            ptr != text.data() + end) {
            out.append(text.substr(i, j - i));   // not an offset: kept as written
            i = j;
            continue;
        }
        out.append(text.substr(i, at - i));
        out += kube::format_micro_time(base + duration_cast<kube::wall_clock::duration>(
                                                  nanoseconds(n)));
        i = end + 1;
    }
    out.append(text.substr(i));
    return out;
}

resource_track::resource_track(kube::api_resource resource,
                               std::optional<kube::patch_schema> schema)
    : resource_(std::move(resource)),
      schema_(std::move(schema)),
      api_version_(api_version_of(resource_.ref)) {}

void resource_track::remember(json::object& object) {
    prepare_for_snapshot(object, api_version_, resource_.kind);
    objects_[kube::object_key(object)] = object;
}

std::vector<std::string> resource_track::keys() const {
    std::vector<std::string> out;
    out.reserve(objects_.size());
    for (const auto& [k, _] : objects_) out.push_back(k);
    return out;
}

resource_patch resource_track::make(patch_method m, const json::object& object,
                                    nanoseconds offset) const {
    resource_patch p;
    p.group = resource_.ref.group;
    p.version = resource_.ref.version;
    p.resource = resource_.ref.resource;
    p.method = m;
    p.offset = offset;
    if (const auto* meta = object.if_contains("metadata"); meta && meta->is_object()) {
        const auto& md = meta->get_object();
        if (const auto* n = md.if_contains("name"); n && n->is_string()) p.name = n->get_string();
        if (const auto* n = md.if_contains("namespace"); n && n->is_string())
            p.ns = n->get_string();
    }
    return p;
}

std::optional<resource_patch> resource_track::observe(kube::event_kind kind, json::object object,
                                                      nanoseconds offset, std::string* error) {
    const std::string key = kube::object_key(object);
    if (kind == kube::event_kind::deleted) {
        objects_.erase(key);
        return make(patch_method::remove, object, offset);
    }
    prepare_for_snapshot(object, api_version_, resource_.kind);
    auto it = objects_.find(key);
    if (it == objects_.end()) {
        auto p = make(patch_method::create, object, offset);
        p.body = object;
        objects_.emplace(key, std::move(object));
        return p;
    }
    auto diff = kube::two_way_merge_patch(it->second, object, schema_ ? &*schema_ : nullptr,
                                          error);
    auto p = make(patch_method::patch, object, offset);
    it->second = std::move(object);
    if (!diff) return std::nullopt;
    if (kind == kube::event_kind::sync && diff->empty()) return std::nullopt;
    p.body = std::move(*diff);
    return p;
}

}  // namespace ghost::ghostctl
