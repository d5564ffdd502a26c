#include "stages/selector.hpp"

#include <algorithm>

namespace ghost::stages {

namespace json = boost::json;

namespace {

// kwok sees JSON numbers as float64, which In never matches; only strings and bools count.
bool string_form(const json::value& v, std::string_view& out) {
    if (v.is_string()) {
        out = v.get_string();
        return true;
    }
    if (v.is_bool()) {
        out = v.get_bool() ? "true" : "false";
        return true;
    }
    return false;
}

// k8s labels.SelectorFromSet: every pair must be present with an equal value.
bool map_matches(const std::map<std::string, std::string>& want, const json::value& object,
                 std::string_view field) {
    if (want.empty()) return true;
    const json::object* have = nullptr;
    if (auto* o = object.if_object())
        if (auto* meta = o->if_contains("metadata"); meta && meta->is_object())
            if (auto* m = meta->get_object().if_contains(field); m && m->is_object())
                have = &m->get_object();
    if (!have) return false;
    for (auto& [k, v] : want) {
        auto* got = have->if_contains(k);
        if (!got || !got->is_string() || got->get_string() != v) return false;
    }
    return true;
}

}  // namespace

lang::cel::value evaluate_cel(const lang::cel::program& p, const json::value& object) {
    lang::cel::activation vars;
    vars.bind_json("self", object);
    return p.evaluate(vars);
}

bool requirement_matches(const match_expression& req, const json::value& object,
                         std::string* error) {
    if (req.cel) {
        auto v = evaluate_cel(*req.cel, object);
        if (v.get_kind() == lang::cel::kind::bool_) return v.as_bool();
        if (error) {
            *error = "CEL `" + req.key + "`: " +
                     (v.is_error() ? std::string(v.as_string())
                                   : "expected a bool, got " + std::string(v.type_name()));
        }
        return false;
    }
    using k = match_expression::operator_kind;
    bool found = false;
    std::string_view s;
    // A runtime error anywhere makes the whole output absent, so decide only after the run.
    bool any_in = false;
    std::string budget;
    bool ok = req.program.run(object, [&](const json::value& v) {
        if (v.is_null()) return true;
        found = true;
        if ((req.op == k::in || req.op == k::not_in) && !any_in && string_form(v, s) &&
            std::find(req.values.begin(), req.values.end(), s) != req.values.end())
            any_in = true;
        return true;
    }, &budget);
    if (!ok) found = any_in = false;
    if (error && !budget.empty()) *error = budget;
    switch (req.op) {
    case k::in: return any_in;
    case k::not_in: return !any_in;
    case k::exists: return found;
    case k::does_not_exist: return !found;
    }
    return false;
}

bool selector_matches(const stage_selector& selector, const json::value& object,
                      std::string* error) {
    if (selector.match_labels && !map_matches(*selector.match_labels, object, "labels"))
        return false;
    if (selector.match_annotations &&
        !map_matches(*selector.match_annotations, object, "annotations"))
        return false;
    for (auto& req : selector.match_expressions)
        if (!requirement_matches(req, object, error)) return false;
    return true;
}

bool stage_matches(const stage& s, const json::value& object, std::string* error) {
    return s.selector && selector_matches(*s.selector, object, error);
}

}  // namespace ghost::stages
