#pragma once
// Playing a chosen stage against an object snapshot: the list of concrete actions (patch,
// delete, event, apply) in order, without doing any I/O. Templates are rendered through a
// caller-provided function (the runtime binds its template cache and function map).

#include "stages/stage.hpp"

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::stages {

// Renders a stage's compiled template against `dot` and converts the YAML result to JSON (the
// caller binds its function map and an arena). On failure returns an error and fills *error.
using render_fn = std::function<boost::system::result<boost::json::value>(
    const lang::compiled_template& t, const boost::json::value& dot, std::string* error)>;

enum class action_kind { event, patch, delete_object, apply };

struct action {
    action_kind kind = action_kind::patch;
    std::size_t step = 0;            // index of the step that produced it (retries resume here)
    std::string subresource;         // patch/apply: "" = main resource
    patch_type type = patch_type::merge;  // patch/apply (kube::content_type(type) for HTTP)
    boost::json::value data;         // patch/apply body (JSON patch: an array of ops)
    stage_event event;               // event
    std::optional<std::string> impersonation;
};

// True for the typed kinds kwok patches with strategic merge by default (v1 Pod and Node).
bool strategic_by_default(const stage& s);

struct play_options {
    // Patch type used when a patch has none; defaults to strategic_by_default(stage).
    std::optional<patch_type> default_patch_type;
    std::size_t first_step = 0;  // resume point after a transient failure
};

// JSON-patch ops for a finalizers step against the object's current metadata.finalizers
// (kwok's rules: remove highest index first; removing all -> one remove of the array; add
// appends missing values or creates the array). Empty array = nothing to do.
boost::json::array finalizer_ops(const std::vector<std::string>& current,
                                 const stage_finalizers& change);

// Current metadata.finalizers of an object (non-strings ignored).
std::vector<std::string> object_finalizers(const boost::json::value& object);

// The actions of `s` against `object`. A template/render error returns an error (and a
// message in *error) for this object only; never throws.
boost::system::result<std::vector<action>> play_stage(const stage& s,
                                                      const boost::json::value& object,
                                                      const render_fn& render,
                                                      const play_options& options = {},
                                                      std::string* error = nullptr);

}  // namespace ghost::stages
