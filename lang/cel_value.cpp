#include "lang/cel_value.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <cstring>

#include "lang/cel_heap.hpp"
#include "lang/cel_format.hpp"

namespace ghost::lang::cel {

std::string_view kind_name(kind k) noexcept {
    switch (k) {
    case kind::null_: return "null_type";
    case kind::bool_: return "bool";
    case kind::int_: return "int";
    case kind::uint_: return "uint";
    case kind::double_: return "double";
    case kind::string_: return "string";
    case kind::bytes_: return "bytes";
    case kind::list: return "list";
    case kind::map: return "map";
    case kind::timestamp: return "google.protobuf.Timestamp";
    case kind::duration: return "google.protobuf.Duration";
    case kind::type: return "type";
    case kind::error: return "error";
    case kind::opaque: return "opaque";
    case kind::dyn: return "dyn";
    }
    return "unknown";
}

value value::boolean(bool b) noexcept {
    value v;
    v.kind_ = kind::bool_;
    v.raw_.b = b;
    return v;
}

value value::integer(std::int64_t i) noexcept {
    value v;
    v.kind_ = kind::int_;
    v.raw_.i = i;
    return v;
}

value value::uinteger(std::uint64_t u) noexcept {
    value v;
    v.kind_ = kind::uint_;
    v.raw_.u = u;
    return v;
}

value value::real(double d) noexcept {
    value v;
    v.kind_ = kind::double_;
    v.raw_.d = d;
    return v;
}

value value::string(std::string s) {
    value v;
    v.kind_ = kind::string_;
    v.rep_ = rep::heap;
    v.raw_.h = new detail::heap_string(std::move(s));
    return v;
}

value value::string_view_of(std::string_view s) noexcept {
    value v;
    v.kind_ = kind::string_;
    v.raw_.s = {s.data(), s.size()};
    return v;
}

value value::bytes(std::string s) {
    value v = string(std::move(s));
    v.kind_ = kind::bytes_;
    return v;
}

value value::list(std::vector<value> items) {
    value v;
    v.kind_ = kind::list;
    v.rep_ = rep::heap;
    v.raw_.h = new detail::heap_list(std::move(items));
    return v;
}

value value::map(std::vector<std::pair<value, value>> entries) {
    value v;
    v.kind_ = kind::map;
    v.rep_ = rep::heap;
    v.raw_.h = new detail::heap_map(std::move(entries));
    return v;
}

value value::timestamp(time_parts t) noexcept {
    value v;
    v.kind_ = kind::timestamp;
    v.raw_.t = {t.seconds, t.nanos};
    return v;
}

value value::duration(time_parts d) noexcept {
    value v;
    v.kind_ = kind::duration;
    v.raw_.t = {d.seconds, d.nanos};
    return v;
}

value value::type_of_kind(kind k) noexcept {
    value v = string_view_of(kind_name(k));
    v.kind_ = kind::type;
    return v;
}

value value::type_named(std::string name) {
    value v = string(std::move(name));
    v.kind_ = kind::type;
    return v;
}

value value::error(std::string message) {
    value v = string(std::move(message));
    v.kind_ = kind::error;
    return v;
}

value value::json(const boost::json::value& j) noexcept {
    switch (j.kind()) {
    case boost::json::kind::null: return null();
    case boost::json::kind::bool_: return boolean(j.get_bool());
    case boost::json::kind::int64: return integer(j.get_int64());
    case boost::json::kind::uint64: return uinteger(j.get_uint64());
    case boost::json::kind::double_: return real(j.get_double());
    case boost::json::kind::string: {
        const auto& s = j.get_string();
        return string_view_of(std::string_view(s.data(), s.size()));
    }
    case boost::json::kind::array: {
        value v;
        v.kind_ = kind::list;
        v.rep_ = rep::json_array;
        v.raw_.ja = &j.get_array();
        return v;
    }
    case boost::json::kind::object: {
        value v;
        v.kind_ = kind::map;
        v.rep_ = rep::json_object;
        v.raw_.jo = &j.get_object();
        return v;
    }
    }
    return null();
}

value value::from_opaque(const opaque* o) noexcept {
    value v;
    v.kind_ = kind::opaque;
    v.rep_ = rep::heap;
    v.raw_.h = o;
    return v;
}

std::string_view value::as_string() const noexcept {
    if (rep_ == rep::heap || rep_ == rep::borrowed) {
        const auto& t = static_cast<const detail::heap_string*>(raw_.h)->text;
        return std::string_view(t);
    }
    return std::string_view(raw_.s.p, raw_.s.n);
}

const opaque* value::as_opaque() const noexcept {
    return kind_ == kind::opaque ? static_cast<const opaque*>(raw_.h) : nullptr;
}

std::string_view value::type_name() const noexcept {
    if (kind_ == kind::opaque) return as_opaque()->type_name();
    return kind_name(kind_);
}

std::size_t value::size() const noexcept {
    switch (rep_) {
    case rep::json_array: return raw_.ja->size();
    case rep::json_object: return raw_.jo->size();
    case rep::heap:
    case rep::borrowed:
        if (kind_ == kind::list) return static_cast<const detail::heap_list*>(raw_.h)->items.size();
        if (kind_ == kind::map) return static_cast<const detail::heap_map*>(raw_.h)->entries.size();
        return 0;
    case rep::inline_: return 0;
    }
    return 0;
}

value value::list_at(std::size_t i) const noexcept {
    if (rep_ == rep::json_array) return json((*raw_.ja)[i]);
    return static_cast<const detail::heap_list*>(raw_.h)->items[i];
}

value value::map_key_at(std::size_t i) const noexcept {
    if (rep_ == rep::json_object) {
        const auto& kv = *(raw_.jo->begin() + static_cast<std::ptrdiff_t>(i));
        return string_view_of(kv.key());
    }
    return static_cast<const detail::heap_map*>(raw_.h)->entries[i].first;
}

value value::map_value_at(std::size_t i) const noexcept {
    if (rep_ == rep::json_object) {
        const auto& kv = *(raw_.jo->begin() + static_cast<std::ptrdiff_t>(i));
        return json(kv.value());
    }
    return static_cast<const detail::heap_map*>(raw_.h)->entries[i].second;
}

std::optional<value> value::map_find_string(std::string_view key) const noexcept {
    if (rep_ == rep::json_object) {
        const boost::json::object& o = *raw_.jo;
        if (o.size() > 16) {
            if (const auto* found = o.if_contains(key)) return json(*found);
            return std::nullopt;
        }
        // Small objects (most of Kubernetes): a scan that rejects on size and first byte is
        // cheaper than boost's own search with its out-of-line memcmp per key.
        for (const auto& kv : o) {
            const boost::json::string_view k = kv.key();
            if (k.size() == key.size() && (key.empty() || (k[0] == key[0] &&
                                                           std::memcmp(k.data(), key.data(),
                                                                       key.size()) == 0))) {
                return json(kv.value());
            }
        }
        return std::nullopt;
    }
    if (kind_ != kind::map) return std::nullopt;
    for (const auto& [k, v] : static_cast<const detail::heap_map*>(raw_.h)->entries) {
        if (k.kind_ == kind::string_ && k.as_string() == key) return v;
    }
    return std::nullopt;
}

std::optional<value> value::map_find(const value& key) const noexcept {
    if (key.kind_ == kind::string_) return map_find_string(key.as_string());
    if (rep_ == rep::json_object || kind_ != kind::map) return std::nullopt;
    for (const auto& [k, v] : static_cast<const detail::heap_map*>(raw_.h)->entries) {
        if (equal(k, key)) return v;
    }
    return std::nullopt;
}

std::string value::debug_string() const {
    return detail::format_value(*this, true);
}

namespace {

bool is_number(kind k) { return k == kind::int_ || k == kind::uint_ || k == kind::double_; }

int cmp3(auto a, auto b) { return a < b ? -1 : (a > b ? 1 : 0); }

// As cel-go: the integer converts to double (lossy above 2^53), which the conformance
// suite pins down for ordering and equality alike.
std::optional<int> compare_int_double(std::int64_t i, double d) {
    if (std::isnan(d)) return std::nullopt;
    return cmp3(static_cast<double>(i), d);
}

std::optional<int> compare_uint_double(std::uint64_t u, double d) {
    if (std::isnan(d)) return std::nullopt;
    return cmp3(static_cast<double>(u), d);
}

std::optional<int> compare_numbers(const value& a, const value& b) {
    switch (a.get_kind()) {
    case kind::int_:
        switch (b.get_kind()) {
        case kind::int_: return cmp3(a.as_int(), b.as_int());
        case kind::uint_:
            if (a.as_int() < 0) return -1;
            return cmp3(static_cast<std::uint64_t>(a.as_int()), b.as_uint());
        default: return compare_int_double(a.as_int(), b.as_double());
        }
    case kind::uint_:
        switch (b.get_kind()) {
        case kind::int_:
            if (b.as_int() < 0) return 1;
            return cmp3(a.as_uint(), static_cast<std::uint64_t>(b.as_int()));
        case kind::uint_: return cmp3(a.as_uint(), b.as_uint());
        default: return compare_uint_double(a.as_uint(), b.as_double());
        }
    default:
        switch (b.get_kind()) {
        case kind::int_: {
            auto r = compare_int_double(b.as_int(), a.as_double());
            if (r) return -*r;
            return r;
        }
        case kind::uint_: {
            auto r = compare_uint_double(b.as_uint(), a.as_double());
            if (r) return -*r;
            return r;
        }
        default:
            if (std::isnan(a.as_double()) || std::isnan(b.as_double())) return std::nullopt;
            return cmp3(a.as_double(), b.as_double());
        }
    }
}

int compare_time(time_parts a, time_parts b) {
    if (a.seconds != b.seconds) return cmp3(a.seconds, b.seconds);
    return cmp3(a.nanos, b.nanos);
}

}  // namespace

std::optional<int> compare(const value& a, const value& b) noexcept {
    if (is_number(a.get_kind()) && is_number(b.get_kind())) return compare_numbers(a, b);
    if (a.get_kind() != b.get_kind()) return std::nullopt;
    switch (a.get_kind()) {
    case kind::bool_: return cmp3(a.as_bool(), b.as_bool());
    case kind::string_:
    case kind::bytes_: {
        const int c = a.as_string().compare(b.as_string());
        return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case kind::timestamp:
    case kind::duration: return compare_time(a.as_time(), b.as_time());
    default: return std::nullopt;
    }
}

bool equal(const value& a, const value& b) noexcept {
    const kind ka = a.get_kind();
    const kind kb = b.get_kind();
    if (is_number(ka) && is_number(kb)) {
        auto c = compare_numbers(a, b);
        return c && *c == 0;
    }
    if (ka != kb) return false;
    switch (ka) {
    case kind::null_: return true;
    case kind::bool_: return a.as_bool() == b.as_bool();
    case kind::string_:
    case kind::bytes_:
    case kind::type: return a.as_string() == b.as_string();
    case kind::timestamp:
    case kind::duration: return a.as_time() == b.as_time();
    case kind::list: {
        const std::size_t n = a.size();
        if (n != b.size()) return false;
        for (std::size_t i = 0; i < n; ++i) {
            if (!equal(a.list_at(i), b.list_at(i))) return false;
        }
        return true;
    }
    case kind::map: {
        const std::size_t n = a.size();
        if (n != b.size()) return false;
        for (std::size_t i = 0; i < n; ++i) {
            auto other = b.map_find(a.map_key_at(i));
            if (!other || !equal(a.map_value_at(i), *other)) return false;
        }
        return true;
    }
    case kind::opaque: {
        const opaque* x = a.as_opaque();
        const opaque* y = b.as_opaque();
        return x->type_name() == y->type_name() && x->equals(*y);
    }
    case kind::error: return false;
    default: return false;
    }
}

}  // namespace ghost::lang::cel
