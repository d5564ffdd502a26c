#include "stages/cel_funcs.hpp"

#include "kube/quantity.hpp"
#include "kube/time.hpp"

#include <boost/json/value.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>

namespace ghost::stages {

namespace cel = lang::cel;
using cel::kind;
using cel::type_spec;
using cel::value;

namespace {

class quantity_value final : public cel::opaque {
public:
    explicit quantity_value(kube::quantity q) : q_(q) {}
    std::string_view type_name() const noexcept override { return quantity_type_name; }
    bool equals(const cel::opaque& other) const noexcept override {
        return static_cast<const quantity_value&>(other).q_ == q_;
    }
    std::string debug_string() const override { return "Quantity(" + q_.to_string() + ")"; }
    const kube::quantity& get() const noexcept { return q_; }

private:
    kube::quantity q_;
};

const kube::quantity& q_of(const value& v) {
    return static_cast<const quantity_value*>(v.as_opaque())->get();
}
value make_q(kube::quantity q) { return value::make_opaque<quantity_value>(q); }

double seconds_of(cel::time_parts t) { return double(t.seconds) + double(t.nanos) / 1e9; }

double now_seconds() {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    return double(ns) / 1e9;
}

value timestamp_now() {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    return value::timestamp({ns / 1'000'000'000, static_cast<std::int32_t>(ns % 1'000'000'000)});
}

std::optional<double> rfc3339_seconds(std::string_view s) {
    auto t = kube::parse_rfc3339(s);
    if (!t) return std::nullopt;
    return double(std::chrono::duration_cast<std::chrono::nanoseconds>(t->time_since_epoch()).count()) /
           1e9;
}

// Multiplying or dividing a quantity by a number works in milli-units, as kwok's does.
value scale(const value& q, const value& n, bool divide) {
    const auto& a = q_of(q);
    switch (n.get_kind()) {
    case kind::int_:
    case kind::uint_: {
        if (n.get_kind() == kind::uint_ &&
            n.as_uint() > static_cast<std::uint64_t>(std::numeric_limits<long long>::max()))
            return value::error("Quantity arithmetic overflows");
        long long m = n.get_kind() == kind::int_ ? n.as_int() : static_cast<long long>(n.as_uint());
        if (divide && m == 0) return value::error("division by zero");
        long long milli = 0;
        // As CEL's own integer arithmetic: an overflow is an error, not a wrapped value.
        if (divide ? (a.milli() == std::numeric_limits<long long>::min() && m == -1)
                   : __builtin_mul_overflow(a.milli(), m, &milli))
            return value::error("Quantity arithmetic overflows");
        return make_q(kube::quantity::from_milli(divide ? a.milli() / m : milli));
    }
    case kind::double_:
        return make_q(kube::quantity::from_double(divide ? a.as_double() / n.as_double()
                                                         : a.as_double() * n.as_double()));
    default: return value::error("no matching overload for Quantity arithmetic");
    }
}

}  // namespace

cel::environment make_kwok_cel_environment(const std::vector<std::string>& variables) {
    cel::environment env;
    for (const auto& v : variables) env.declare_variable(v);
    const type_spec Q = type_spec::opaque_type(std::string(quantity_type_name));
    const type_spec D = type_spec::of(kind::double_);
    const type_spec S = type_spec::of(kind::string_);
    const type_spec B = type_spec::of(kind::bool_);
    cel::function_options both{.global = true, .member = true};

    env.add_function("Now", {{{}, type_spec::of(kind::timestamp), [](auto) { return timestamp_now(); }}},
                     both);
    env.add_function("Rand", {{{}, D, [](auto) {
                                   thread_local std::mt19937_64 rng{std::random_device{}()};
                                   return value::real(std::uniform_real_distribution<double>(0, 1)(rng));
                               }}},
                     both);
    env.add_function(
        "SinceSecond",
        {{{type_spec::dyn()}, D, [](std::span<const value> a) {
              auto meta = a[0].map_find_string("metadata");
              auto created = meta ? meta->map_find_string("creationTimestamp") : std::nullopt;
              if (!created) return value::error("SinceSecond: object has no metadata.creationTimestamp");
              if (created->get_kind() == kind::timestamp)
                  return value::real(now_seconds() - seconds_of(created->as_time()));
              if (created->get_kind() != kind::string_)
                  return value::error("SinceSecond: creationTimestamp is not a time");
              auto t = rfc3339_seconds(created->as_string());
              if (!t) return value::error("SinceSecond: creationTimestamp is not RFC 3339");
              return value::real(now_seconds() - *t);
          }}},
        both);
    env.add_function("UnixSecond",
                     {{{type_spec::of(kind::timestamp)}, D,
                       [](std::span<const value> a) { return value::real(seconds_of(a[0].as_time())); }},
                      {{S}, D, [](std::span<const value> a) {
                           auto t = rfc3339_seconds(a[0].as_string());
                           return t ? value::real(*t)
                                    : value::error("UnixSecond: \"" + std::string(a[0].as_string()) +
                                                   "\" is not an RFC 3339 time");
                       }}},
                     both);
    env.add_function("Quantity", {{{S}, Q, [](std::span<const value> a) {
                                       auto q = kube::quantity::parse(a[0].as_string());
                                       if (!q)
                                           return value::error("Quantity: \"" +
                                                               std::string(a[0].as_string()) +
                                                               "\" is not a quantity");
                                       return make_q(*q);
                                   }}},
                     both);
    env.add_function("_+_", {{{Q, Q}, Q, [](std::span<const value> a) {
                                  return make_q(q_of(a[0]) + q_of(a[1]));
                              }}});
    env.add_function("_-_", {{{Q, Q}, Q, [](std::span<const value> a) {
                                  return make_q(q_of(a[0]) - q_of(a[1]));
                              }}});
    env.add_function("-_", {{{Q}, Q, [](std::span<const value> a) { return make_q(-q_of(a[0])); }}});
    for (kind k : {kind::int_, kind::uint_, kind::double_}) {
        env.add_function("_*_", {{{Q, type_spec::of(k)}, Q,
                                  [](std::span<const value> a) { return scale(a[0], a[1], false); }}});
        env.add_function("_/_", {{{Q, type_spec::of(k)}, Q,
                                  [](std::span<const value> a) { return scale(a[0], a[1], true); }}});
    }
    auto cmp = [&](const char* op, auto pred) {
        env.add_function(op, {{{Q, Q}, B, [pred](std::span<const value> a) {
                                   return value::boolean(pred(q_of(a[0]) <=> q_of(a[1])));
                               }}});
    };
    cmp("_<_", [](std::strong_ordering o) { return o < 0; });
    cmp("_<=_", [](std::strong_ordering o) { return o <= 0; });
    cmp("_>_", [](std::strong_ordering o) { return o > 0; });
    cmp("_>=_", [](std::strong_ordering o) { return o >= 0; });
    env.add_function("double", {{{Q}, D, [](std::span<const value> a) {
                                     return value::real(q_of(a[0]).as_double());
                                 }}},
                     both);
    env.add_function("string", {{{Q}, S, [](std::span<const value> a) {
                                     return value::string(q_of(a[0]).to_string());
                                 }}},
                     both);
    return env;
}

std::optional<double> cel_number(const value& v) {
    switch (v.get_kind()) {
    case kind::int_: return double(v.as_int());
    case kind::uint_: return double(v.as_uint());
    case kind::double_: return v.as_double();
    case kind::bool_: return v.as_bool() ? 1.0 : 0.0;
    case kind::opaque:
        if (v.type_name() == quantity_type_name) return q_of(v).as_double();
        return std::nullopt;
    default: return std::nullopt;
    }
}

std::optional<std::string> cel_text(const value& v) {
    switch (v.get_kind()) {
    case kind::string_: return std::string(v.as_string());
    case kind::int_: return std::to_string(v.as_int());
    case kind::uint_: return std::to_string(v.as_uint());
    case kind::bool_: return std::string(v.as_bool() ? "true" : "false");
    case kind::double_: {
        char buf[64];
        auto r = std::to_chars(buf, buf + sizeof buf, v.as_double());
        return std::string(buf, r.ptr);
    }
    case kind::opaque:
        if (v.type_name() == quantity_type_name) return q_of(v).to_string();
        return std::nullopt;
    default: return std::nullopt;
    }
}

cel::environment make_metric_cel_environment(metric_cel_hooks hooks) {
    cel::environment env = make_kwok_cel_environment({"node", "pod", "container"});
    const type_spec D = type_spec::of(kind::double_);
    const type_spec S = type_spec::of(kind::string_);
    const type_spec T = type_spec::of(kind::timestamp);
    cel::function_options both{.global = true, .member = true};
    auto usage = std::make_shared<decltype(hooks.usage)>(std::move(hooks.usage));
    for (bool cumulative : {false, true}) {
        env.add_function(
            cumulative ? "CumulativeUsage" : "Usage",
            {{{type_spec::dyn(), S}, D,
              [usage, cumulative](std::span<const value> a) {
                  return (*usage)(a[0], a[1].as_string(), nullptr, cumulative);
              }},
             {{type_spec::dyn(), S, S}, D,
              [usage, cumulative](std::span<const value> a) {
                  std::string_view c = a[2].as_string();
                  return (*usage)(a[0], a[1].as_string(), &c, cumulative);
              }}},
            both);
    }
    auto started = std::make_shared<decltype(hooks.started_containers_total)>(
        std::move(hooks.started_containers_total));
    for (const char* name : {"StartedContainersTotal", "startedContainersTotal"}) {
        env.add_function(name, {{{type_spec::dyn()}, D, [started](std::span<const value> a) {
                                     return (*started)(a[0]);
                                 }}},
                         both);
    }
    env.add_function("now", {{{}, T, [](auto) { return timestamp_now(); }}}, both);
    return env;
}

const cel::environment& stage_cel_environment() {
    static const cel::environment env = make_kwok_cel_environment({"self"});
    return env;
}

}  // namespace ghost::stages
