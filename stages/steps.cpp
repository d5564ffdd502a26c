#include "stages/steps.hpp"

#include "kube/patch.hpp"

#include <algorithm>

namespace ghost::stages {

namespace json = boost::json;

bool strategic_by_default(const stage& s) {
    return s.api_group == "v1" && (s.kind == "Pod" || s.kind == "Node");
}

std::vector<std::string> object_finalizers(const json::value& object) {
    std::vector<std::string> out;
    auto* o = object.if_object();
    if (!o) return out;
    auto* meta = o->if_contains("metadata");
    if (!meta || !meta->is_object()) return out;
    auto* f = meta->get_object().if_contains("finalizers");
    if (!f || !f->is_array()) return out;
    for (auto& v : f->get_array())
        if (v.is_string()) out.emplace_back(v.get_string());
    return out;
}

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

void add_ops(json::array& ops, const std::vector<std::string>& current,
             const std::vector<std::string>& add) {
    if (!current.empty()) {
        for (auto& f : add) {
            if (contains(current, f)) continue;
            ops.push_back(kube::patch_add("/metadata/finalizers/-", json::value(f)));
        }
        return;
    }
    json::array values;
    for (auto& f : add) values.emplace_back(f);
    ops.push_back(kube::patch_add("/metadata/finalizers", std::move(values)));
}

}  // namespace

json::array finalizer_ops(const std::vector<std::string>& current, const stage_finalizers& change) {
    json::array ops;
    bool empty = change.empty;
    if (!empty && !change.remove.empty()) {
        json::array removed;
        for (std::size_t i = current.size(); i-- > 0;) {
            if (!contains(change.remove, current[i])) continue;
            removed.push_back(kube::patch_remove("/metadata/finalizers/" + std::to_string(i)));
        }
        if (removed.size() == current.size()) {
            empty = true;
        } else {
            for (auto& op : removed) ops.push_back(std::move(op));
        }
    }
    if (!empty) {
        // kwok computes additions against the finalizers as they were before the removals.
        if (!change.add.empty()) add_ops(ops, current, change.add);
    } else {
        if (!current.empty())
            ops.push_back(kube::patch_remove("/metadata/finalizers"));
        if (!change.add.empty()) add_ops(ops, {}, change.add);
    }
    return ops;
}

namespace {

boost::system::error_code invalid() {
    return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
}

boost::system::result<json::value> render_patch(const stage& s, std::size_t index,
                                                const stage_patch& p, const json::value& object,
                                                const render_fn& render, std::string* error) {
    std::string msg;
    auto r = render(*p.templ.compiled, object, &msg);
    if (!r) {
        if (error)
            *error = "stage \"" + s.name + "\": steps[" + std::to_string(index) +
                     "].patch.template: " + msg;
        return r.error();
    }
    if (p.root.empty()) return std::move(*r);
    if (p.type == patch_type::json) {
        if (!r->is_array()) {
            if (error)
                *error = "stage \"" + s.name + "\": steps[" + std::to_string(index) +
                         "]: a json patch must render a list of operations";
            return invalid();
        }
        for (auto& op : r->get_array()) {
            auto* o = op.if_object();
            if (!o) continue;
            auto* path = o->if_contains("path");
            std::string prefixed = "/" + p.root;
            if (path && path->is_string()) prefixed += std::string(path->get_string());
            (*o)["path"] = prefixed;
        }
        return std::move(*r);
    }
    json::object wrapped(r->storage());
    wrapped[p.root] = std::move(*r);
    return json::value(std::move(wrapped));
}

}  // namespace

boost::system::result<std::vector<action>> play_stage(const stage& s, const json::value& object,
                                                      const render_fn& render,
                                                      const play_options& options,
                                                      std::string* error) {
    std::vector<action> out;
    patch_type default_type = options.default_patch_type.value_or(
        strategic_by_default(s) ? patch_type::strategic : patch_type::merge);
    std::vector<std::string> finalizers;
    bool have_finalizers = false;
    bool deleted = false;
    for (std::size_t i = options.first_step; i < s.steps.size(); ++i) {
        const auto& step = s.steps[i];
        if (step.event) {
            action a;
            a.kind = action_kind::event;
            a.step = i;
            a.event = *step.event;
            out.push_back(std::move(a));
        }
        if (deleted) continue;  // after a delete only events are still emitted
        if (step.finalizers) {
            if (!have_finalizers) {
                finalizers = object_finalizers(object);
                have_finalizers = true;
            }
            auto ops = finalizer_ops(finalizers, *step.finalizers);
            if (!ops.empty()) {
                action a;
                a.kind = action_kind::patch;
                a.step = i;
                a.type = patch_type::json;
                a.data = std::move(ops);
                out.push_back(std::move(a));
            }
        }
        if (step.delete_object) {
            deleted = true;
            action a;
            a.kind = action_kind::delete_object;
            a.step = i;
            out.push_back(std::move(a));
            continue;
        }
        if (step.patch) {
            auto data = render_patch(s, i, *step.patch, object, render, error);
            if (!data) return data.error();
            // Constructed, not assigned: `data` keeps the render's storage (an arena) instead
            // of being deep-copied to the heap.
            out.push_back(action{
                .kind = action_kind::patch,
                .step = i,
                .subresource = step.patch->subresource,
                .type = step.patch->type.value_or(default_type),
                .data = std::move(*data),
                .impersonation = step.patch->impersonation});
        }
        if (step.apply) {
            std::string msg;
            auto r = render(*step.apply->templ.compiled, object, &msg);
            if (!r) {
                if (error)
                    *error = "stage \"" + s.name + "\": steps[" + std::to_string(i) +
                             "].apply.template: " + msg;
                return r.error();
            }
            if (!r->is_object() || !r->get_object().contains("apiVersion") ||
                !r->get_object().contains("kind")) {
                if (error)
                    *error = "stage \"" + s.name + "\": steps[" + std::to_string(i) +
                             "].apply.template: must render an object with apiVersion and kind";
                return invalid();
            }
            // The namespace is defaulted where the target's scope is known (the simulation's
            // request encoder), as kwok does: a cluster-scoped object never gets one.
            out.push_back(action{.kind = action_kind::apply,
                                 .step = i,
                                 .subresource = step.apply->subresource,
                                 .type = step.apply->type,
                                 .data = std::move(*r),
                                 .impersonation = step.apply->impersonation});
        }
    }
    return out;
}

}  // namespace ghost::stages
