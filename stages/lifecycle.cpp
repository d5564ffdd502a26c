#include "stages/lifecycle.hpp"

#include "lang/cel.hpp"
#include "kube/time.hpp"
#include "lang/duration.hpp"
#include "stages/selector.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace ghost::stages {

namespace json = boost::json;
using std::chrono::nanoseconds;

namespace {

// First non-null output of a jq expression (kwok drops nulls), or nullopt.
std::optional<json::value> first_output(const lang::jq_program& jq, const json::value& object) {
    for (auto& v : jq.run(object))
        if (!v.is_null()) return v;
    return std::nullopt;
}

using lang::cel::kind;

// A CEL weight (kwok's cel.AsInt64): int, uint, double (truncated), bool, duration (ns).
std::optional<std::int64_t> cel_int(const lang::cel::value& v) {
    switch (v.get_kind()) {
    case kind::int_: return v.as_int();
    case kind::uint_: return static_cast<std::int64_t>(v.as_uint());
    case kind::double_: return static_cast<std::int64_t>(v.as_double());
    case kind::bool_: return v.as_bool() ? 1 : 0;
    case kind::duration: {
        auto t = v.as_time();
        return t.seconds * 1'000'000'000 + t.nanos;
    }
    default: return std::nullopt;
    }
}

// A CEL delay (kwok's cel.AsDuration): Go duration text, duration, or a number of nanoseconds.
std::optional<nanoseconds> cel_duration(const lang::cel::value& v) {
    switch (v.get_kind()) {
    case kind::string_: return lang::parse_go_duration(v.as_string());
    case kind::double_: return nanoseconds(static_cast<std::int64_t>(v.as_double()));
    default:
        if (auto n = cel_int(v); n && v.get_kind() != kind::bool_) return nanoseconds(*n);
        return std::nullopt;
    }
}

std::string cel_problem(const lang::cel::value& v, const char* expected) {
    return v.is_error() ? std::string(v.as_string())
                        : std::string("expected ") + expected + ", got " + std::string(v.type_name());
}

// strconv.ParseInt(s, 0, 64): optional sign, 0x/0o/0b/0 prefixes, underscores after a prefix.
std::optional<std::int64_t> parse_go_int(std::string_view s) {
    if (s.empty()) return std::nullopt;
    bool neg = false;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    int base = 10;
    bool prefixed = false;
    if (s.size() > 1 && s[0] == '0') {
        char p = static_cast<char>(s[1] | 0x20);
        if (p == 'x') base = 16;
        else if (p == 'o') base = 8;
        else if (p == 'b') base = 2;
        if (base != 10) {
            s.remove_prefix(2);
        } else {
            base = 8;
            s.remove_prefix(1);
        }
        prefixed = true;
    }
    if (s.empty()) return std::nullopt;
    unsigned __int128 v = 0;
    for (char c : s) {
        if (c == '_' && prefixed) continue;
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'z') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'Z') d = c - 'A' + 10;
        else return std::nullopt;
        if (d >= base) return std::nullopt;
        v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
        if (v > (static_cast<unsigned __int128>(1) << 63)) return std::nullopt;
    }
    if (!neg && v > static_cast<unsigned __int128>(INT64_MAX)) return std::nullopt;
    auto r = static_cast<std::int64_t>(v);
    return neg ? -r : r;
}

// durationFrom value: ok=false means "no value" (kwok's `false` second result).
std::optional<nanoseconds> duration_value(std::optional<std::int64_t> fallback_ms,
                                          const std::optional<expression_from>& from,
                                          const json::value& object,
                                          std::chrono::system_clock::time_point now,
                                          std::string* error) {
    std::optional<nanoseconds> fallback;
    if (fallback_ms) fallback = std::chrono::milliseconds(*fallback_ms);
    if (!from) return fallback;
    if (from->cel) {
        // kwok: a failing CEL delay is an error for this object; we log it and use the default.
        auto v = evaluate_cel(*from->cel, object);
        if (auto d = cel_duration(v)) return *d;
        if (error) *error = "durationFrom CEL: " + cel_problem(v, "a duration");
        return fallback;
    }
    auto v = first_output(*from->jq, object);
    if (v && v->is_string()) {
        std::string_view s = v->get_string();
        if (s.empty()) return std::nullopt;  // kwok: empty string means "no value"
        if (auto t = kube::parse_rfc3339(s))
            return std::chrono::duration_cast<nanoseconds>(*t - now);
        if (auto d = lang::parse_go_duration(s)) return *d;
    }
    return fallback;
}

std::int64_t uniform_below(std::mt19937_64& rng, std::int64_t n) {
    return std::uniform_int_distribution<std::int64_t>(0, n - 1)(rng);
}

}  // namespace

std::optional<std::int64_t> stage_weight(const stage& s, const json::value& object,
                                         std::string* error) {
    if (!s.weight_from) return s.weight;
    if (s.weight_from->cel) {
        auto v = evaluate_cel(*s.weight_from->cel, object);
        if (auto n = cel_int(v)) return *n;
        if (error) *error = "stage " + s.name + ": weightFrom CEL: " + cel_problem(v, "a number");
        return std::nullopt;  // an invalid weight (kwok's rules for those apply)
    }
    auto v = first_output(*s.weight_from->jq, object);
    if (!v) return s.weight;
    if (v->is_string()) return parse_go_int(v->get_string());
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
    if (v->is_double()) return static_cast<std::int64_t>(std::trunc(v->get_double()));
    return s.weight;
}

std::optional<std::vector<nanoseconds>> stage_delay_range(const stage& s,
                                                          const json::value& object,
                                                          std::chrono::system_clock::time_point now,
                                                          std::string* error) {
    if (!s.delay) return std::nullopt;
    auto& d = *s.delay;
    auto base = duration_value(d.duration_ms, d.duration_from, object, now, error);
    if (!base) return std::nullopt;
    if (!d.jitter_ms && !d.jitter_from) return std::vector<nanoseconds>{*base};
    auto jitter = duration_value(d.jitter_ms, d.jitter_from, object, now, error);
    if (!jitter) return std::vector<nanoseconds>{*base};
    if (*jitter <= *base) return std::vector<nanoseconds>{*jitter};
    return std::vector<nanoseconds>{*base, *jitter};
}

std::chrono::milliseconds stage_delay(const stage& s, const json::value& object,
                                      std::chrono::system_clock::time_point now,
                                      std::mt19937_64& rng, std::string* error) {
    auto range = stage_delay_range(s, object, now, error);
    if (!range) return std::chrono::milliseconds(0);
    nanoseconds d = (*range)[0];
    if (range->size() == 2) d += nanoseconds(uniform_below(rng, ((*range)[1] - d).count()));
    if (d.count() <= 0) return std::chrono::milliseconds(0);
    return std::chrono::ceil<std::chrono::milliseconds>(d);
}

lifecycle::lifecycle(std::vector<stage> stages) {
    for (auto& s : stages)
        if (s.selector) stages_.push_back(std::move(s));
}

std::vector<const stage*> lifecycle::matching(const json::value& object,
                                              std::string* error) const {
    std::vector<const stage*> out;
    for (auto& s : stages_) {
        std::string problem;
        if (selector_matches(*s.selector, object, &problem)) out.push_back(&s);
        if (!problem.empty()) {
            // kwok: an evaluation error in any stage aborts matching for this event
            if (error) *error = "stage " + s.name + ": spec.selector: " + problem;
            return {};
        }
    }
    return out;
}

namespace {

struct weighted {
    std::vector<const stage*> stages;
    std::vector<std::int64_t> weights;  // -1: invalid
    std::int64_t total = 0;
    std::size_t invalid = 0;
};

weighted weigh(std::vector<const stage*> stages, const json::value& object,
               std::string* error) {
    weighted w;
    w.stages = std::move(stages);
    for (auto* s : w.stages) {
        auto v = stage_weight(*s, object, error);
        if (v) {
            w.total += *v;
            w.weights.push_back(*v);
        } else {
            w.weights.push_back(-1);
            ++w.invalid;
        }
    }
    return w;
}

}  // namespace

std::vector<const stage*> lifecycle::candidates(const json::value& object,
                                                std::string* error) const {
    auto m = matching(object, error);
    if (m.size() <= 1) return m;
    auto w = weigh(std::move(m), object, error);
    if (w.invalid == w.stages.size()) return w.stages;
    std::vector<const stage*> out;
    if (w.total == 0) {
        if (w.invalid == 0) return w.stages;
        for (std::size_t i = 0; i < w.stages.size(); ++i)
            if (w.weights[i] >= 0) out.push_back(w.stages[i]);
        return out;
    }
    for (std::size_t i = 0; i < w.stages.size(); ++i)
        if (w.weights[i] > 0) out.push_back(w.stages[i]);
    return out;
}

const stage* lifecycle::match(const json::value& object, std::mt19937_64& rng,
                              std::string* error) const {
    auto m = matching(object, error);
    if (m.empty()) return nullptr;
    if (m.size() == 1) return m.front();
    auto w = weigh(std::move(m), object, error);
    auto pick = [&](const std::vector<const stage*>& from) {
        return from[static_cast<std::size_t>(uniform_below(rng, static_cast<std::int64_t>(from.size())))];
    };
    if (w.invalid == w.stages.size()) return pick(w.stages);
    if (w.total <= 0) {
        if (w.invalid == 0) return pick(w.stages);
        std::vector<const stage*> valid;
        for (std::size_t i = 0; i < w.stages.size(); ++i)
            if (w.weights[i] >= 0) valid.push_back(w.stages[i]);
        return pick(valid);
    }
    std::int64_t off = uniform_below(rng, w.total);
    for (std::size_t i = 0; i < w.stages.size(); ++i) {
        if (w.weights[i] <= 0) continue;
        off -= w.weights[i];
        if (off < 0) return w.stages[i];
    }
    return w.stages.back();
}

std::map<resource_key, lifecycle> group_by_resource(std::vector<stage> stages) {
    std::map<resource_key, std::vector<stage>> groups;
    for (auto& s : stages) {
        resource_key key{s.api_group, s.kind};
        groups[key].push_back(std::move(s));
    }
    std::map<resource_key, lifecycle> out;
    for (auto& [k, v] : groups) out.emplace(k, lifecycle(std::move(v)));
    return out;
}

}  // namespace ghost::stages
