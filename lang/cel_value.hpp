#pragma once

// CEL runtime values: small (24 bytes), cheap to copy, and able to view a boost::json document in
// place so that selecting fields of a JSON object never copies or allocates.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::json {
class value;
class array;
class object;
}  // namespace boost::json

namespace ghost::lang::cel {

enum class kind : std::uint8_t {
    null_,
    bool_,
    int_,
    uint_,
    double_,
    string_,
    bytes_,
    list,
    map,
    timestamp,
    duration,
    type,
    error,
    opaque,
    dyn,  // only in type specs: matches any value
};

// CEL type name of a kind ("int", "google.protobuf.Timestamp", "map", ...).
std::string_view kind_name(kind k) noexcept;

namespace detail {
// Intrusively counted heap part of a value (strings, lists, maps, errors, opaque host objects).
struct heap_object {
    mutable std::atomic<std::uint32_t> refs{1};
    heap_object() = default;
    heap_object(const heap_object&) = delete;
    heap_object& operator=(const heap_object&) = delete;
    virtual ~heap_object() = default;
};
struct heap_string;
struct heap_list;
struct heap_map;
}  // namespace detail

// A host type (e.g. Kubernetes Quantity). Operators and functions on it are overloads registered
// in the environment; equality is here because `==`, `in` and map lookups need it everywhere.
class opaque : public detail::heap_object {
public:
    virtual std::string_view type_name() const noexcept = 0;
    // Called only when other.type_name() == type_name().
    virtual bool equals(const opaque& other) const noexcept = 0;
    virtual std::string debug_string() const { return std::string(type_name()); }
};

// Seconds + nanoseconds; for durations both carry the same sign.
struct time_parts {
    std::int64_t seconds = 0;
    std::int32_t nanos = 0;
    friend bool operator==(const time_parts&, const time_parts&) = default;
};

class value {
public:
    value() noexcept : kind_(kind::null_), rep_(rep::inline_) { raw_.i = 0; }
    value(const value& o) noexcept : kind_(o.kind_), rep_(o.rep_), raw_(o.raw_) { retain(); }
    value(value&& o) noexcept : kind_(o.kind_), rep_(o.rep_), raw_(o.raw_) {
        o.kind_ = kind::null_;
        o.rep_ = rep::inline_;
    }
    value& operator=(const value& o) noexcept {
        if (this != &o) {
            o.retain();
            release();
            kind_ = o.kind_;
            rep_ = o.rep_;
            raw_ = o.raw_;
        }
        return *this;
    }
    value& operator=(value&& o) noexcept {
        if (this != &o) {
            release();
            kind_ = o.kind_;
            rep_ = o.rep_;
            raw_ = o.raw_;
            o.kind_ = kind::null_;
            o.rep_ = rep::inline_;
        }
        return *this;
    }
    ~value() { release(); }

    // --- construction ---
    static value null() noexcept { return value(); }
    static value boolean(bool b) noexcept;
    static value integer(std::int64_t i) noexcept;
    static value uinteger(std::uint64_t u) noexcept;
    static value real(double d) noexcept;
    static value string(std::string s);
    // Borrowed: the caller keeps the characters alive as long as the value and its copies.
    static value string_view_of(std::string_view s) noexcept;
    static value bytes(std::string s);
    static value list(std::vector<value> items);
    // Entries must have distinct keys (the evaluator checks literals).
    static value map(std::vector<std::pair<value, value>> entries);
    static value timestamp(time_parts t) noexcept;
    static value duration(time_parts d) noexcept;
    static value type_of_kind(kind k) noexcept;
    static value type_named(std::string name);
    static value error(std::string message);
    // The view borrows the document: keep it alive and unchanged while the value is used.
    static value json(const boost::json::value& v) noexcept;
    static value from_opaque(const opaque* o) noexcept;  // takes ownership of one reference
    template <class T, class... Args>
    static value make_opaque(Args&&... args) {
        return from_opaque(new T(std::forward<Args>(args)...));
    }

    // --- inspection ---
    kind get_kind() const noexcept { return kind_; }
    bool is(kind k) const noexcept { return kind_ == k; }
    bool is_error() const noexcept { return kind_ == kind::error; }
    bool as_bool() const noexcept { return raw_.b; }
    std::int64_t as_int() const noexcept { return raw_.i; }
    std::uint64_t as_uint() const noexcept { return raw_.u; }
    double as_double() const noexcept { return raw_.d; }
    // string, bytes, type name, error message
    std::string_view as_string() const noexcept;
    time_parts as_time() const noexcept { return {raw_.t.seconds, raw_.t.nanos}; }
    const opaque* as_opaque() const noexcept;
    // CEL type name of the value (for opaque values the host's name).
    std::string_view type_name() const noexcept;

    // list and map access (both JSON views and owned containers)
    std::size_t size() const noexcept;  // list/map entries
    value list_at(std::size_t i) const noexcept;
    value map_key_at(std::size_t i) const noexcept;
    value map_value_at(std::size_t i) const noexcept;
    // Heterogeneous numeric keys: 1, 1u and 1.0 find the same entry.
    std::optional<value> map_find(const value& key) const noexcept;
    std::optional<value> map_find_string(std::string_view key) const noexcept;

    std::string debug_string() const;

    // A copy that shares without counting: the original (e.g. a program constant) must outlive
    // it and all its copies. Saves the atomic reference count on hot paths.
    value borrow() const noexcept {
        value v(*this, 0);
        return v;
    }

private:
    // borrowed: a heap part owned elsewhere (program constants), not counted.
    enum class rep : std::uint8_t { inline_, heap, borrowed, json_array, json_object };
    struct str_raw {
        const char* p;
        std::size_t n;
    };
    union raw_t {
        bool b;
        std::int64_t i;
        std::uint64_t u;
        double d;
        str_raw s;
        struct {
            std::int64_t seconds;
            std::int32_t nanos;
        } t;
        const detail::heap_object* h;
        const boost::json::array* ja;
        const boost::json::object* jo;
    };

    value(const value& o, int) noexcept : kind_(o.kind_), rep_(o.rep_), raw_(o.raw_) {
        if (rep_ == rep::heap) rep_ = rep::borrowed;
    }

    void retain() const noexcept {
        if (rep_ == rep::heap) raw_.h->refs.fetch_add(1, std::memory_order_relaxed);
    }
    void release() noexcept {
        if (rep_ == rep::heap && raw_.h->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            delete raw_.h;
        }
    }

    kind kind_;
    rep rep_;
    raw_t raw_;
};

// CEL equality: heterogeneous numbers compare by value, different types are unequal, NaN != NaN.
bool equal(const value& a, const value& b) noexcept;
// Ordering for numbers (cross-type), strings, bytes, bools, timestamps, durations.
// nullopt when unordered (different types or NaN).
std::optional<int> compare(const value& a, const value& b) noexcept;

}  // namespace ghost::lang::cel
