#include "sim/resource_simulation.hpp"

#include "engine/log.hpp"
#include "kube/resource.hpp"
#include "kube/time.hpp"
#include "kube/write_requests.hpp"
#include "sim/apply_write.hpp"
#include "sim/node_registry.hpp"
#include "sim/patch_effect.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>


namespace ghost::sim {

using namespace ghost::stages;
namespace http = boost::beast::http;
using json_value = boost::json::value;

namespace {

std::string_view string_field(const boost::json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

}  // namespace

struct resource_simulation::play_state {
    struct step_write {
        write_op op;
        std::optional<write_op> patch_if_exists;  ///< apply as create-then-patch (merge types)
        action_kind kind = action_kind::patch;
        std::size_t step = 0;
    };
    std::string key;
    const stage* st = nullptr;
    std::vector<step_write> writes;
};

resource_simulation::resource_simulation(kube::api_resource resource, std::vector<stage> stages,
                                         resource_simulation_config config,
                                         engine::scheduler& timers, simulation::write_sink sink,
                                         resolve_fn resolve)
    : resource_(std::move(resource)), config_(std::move(config)),
      timers_(timers), sink_(std::move(sink)), resolve_(std::move(resolve)) {
    if (!config_.wall_now) config_.wall_now = [] { return std::chrono::system_clock::now(); };
    if (!config_.steady_now) config_.steady_now = [this] { return timers_.now(); };
    rng_.seed(config_.seed ? config_.seed : std::random_device{}());
    funcs_ = kwok_default_funcs(config_.version, [this] { return now_text(); });
    replace_stages(std::move(stages));
    auto match = [this](const json_value& obj) -> std::optional<stage_choice> {
        const lifecycle& lc = *sets_.back();
        std::string error;
        const stage* st = lc.match(obj, rng_, &error);
        auto delay = st ? lc.delay(*st, obj, config_.wall_now(), rng_, &error)
                        : std::chrono::milliseconds(0);
        if (!error.empty()) {
            ++stats_.play_errors;
            GHOST_LOG_WARN(resource_.kind, " ", kube::object_key(obj.as_object()), ": ", error);
        }
        if (!st) return std::nullopt;
        auto index = base_ + static_cast<std::size_t>(st - lc.stages().data());
        return stage_choice{index, delay};
    };
    pipeline_ = std::make_unique<object_pipeline>(
        timers_, match,
        [this](std::size_t i, const std::string& key, object_snapshot obj,
               engine::scheduler::time_point due) { play(i, key, std::move(obj), due); });
}

resource_simulation::~resource_simulation() = default;

void resource_simulation::replace_stages(std::vector<stage> stages) {
    sets_.push_back(std::make_unique<lifecycle>(std::move(stages)));
    base_ = stage_table_.size();
    for (const auto& st : sets_.back()->stages()) stage_table_.push_back(&st);
}

std::string resource_simulation::now_text() const { return kube::format_rfc3339(config_.wall_now()); }

void resource_simulation::on_upsert(json_value object) {
    ++stats_.events;
    if (!object.is_object()) return;
    std::string key = kube::object_key(object.as_object());
    pipeline_->on_upsert(key, std::make_shared<const json_value>(std::move(object)),
                         config_.steady_now());
}

void resource_simulation::on_delete(const json_value& object) {
    ++stats_.events;
    if (object.is_object()) pipeline_->on_delete(kube::object_key(object.as_object()));
}

void resource_simulation::play(std::size_t stage_index, const std::string& key,
                               object_snapshot object, engine::scheduler::time_point due) {
    const stage& st = *stage_table_[stage_index];
    unsigned char first_block[8 * 1024];
    boost::json::monotonic_resource arena(first_block, sizeof first_block);
    boost::json::storage_ptr sp(&arena);
    render_fn render = [this, &sp](const lang::compiled_template& t, const json_value& dot,
                                   std::string* error) {
        return t.render_to_json(dot, funcs_, error, sp);
    };
    std::string error;
    auto actions = play_stage(st, *object, render, {}, &error);
    if (!actions) {
        ++stats_.play_errors;
        GHOST_LOG_WARN("stage ", st.name, " on ", resource_.kind, " ", key, ": ", error);
        return;
    }
    ++stats_.stages_played;
    GHOST_LOG_DEBUG("stage ", st.name, " on ", resource_.kind, " ", key);
    auto p = std::make_shared<play_state>();
    p->key = key;
    p->st = &st;
    for (const action& a : *actions) {
        // No schema here: lists only count as unchanged when equal (kwok's checkNeedPatch).
        if (a.kind == action_kind::patch && patches_object_itself(a) &&
            !patch_changes(*object, a.data, a.type)) {
            ++stats_.writes_skipped;
            continue;
        }
        play_state::step_write w{{}, std::nullopt, a.kind, a.step};
        if (a.kind == action_kind::apply) {
            std::string error;
            auto apply = encode_apply(a, metadata_string(object->get_object(), "namespace"),
                                      resolve_, config_.field_manager, &error);
            if (!apply) {
                ++stats_.play_errors;
                GHOST_LOG_WARN("stage ", st.name, " on ", resource_.kind, " ", key, ": step ",
                               a.step, ": ", error);
                break;  // a step that cannot be sent ends the play, as a failed one would
            }
            w.op = std::move(apply->op);
            w.patch_if_exists = std::move(apply->patch_if_exists);
        } else {
            w.op = encode(a, object->get_object());
        }
        w.op.origin = due;
        p->writes.push_back(std::move(w));
    }
    send(std::move(p), 0);
}

void resource_simulation::send(std::shared_ptr<play_state> p, std::size_t index) {
    for (; index < p->writes.size(); ++index) {
        auto& w = p->writes[index];
        write_op op = std::move(w.op);
        ++stats_.writes;
        if (w.kind == action_kind::event) {
            op.on_done = [](const engine::result<engine::http_response>& r) {
                if (!r || r->status >= 300)
                    GHOST_LOG_DEBUG("event not recorded: ",
                                    r ? std::to_string(r->status) : r.error().message());
            };
            sink_(std::move(op));
            continue;
        }
        op.on_done = [this, p, index](const engine::result<engine::http_response>& r) {
            auto& w = p->writes[index];
            if (r && r->status >= 200 && r->status < 300) {
                send(p, index + 1);
                return;
            }
            if (r && r->status == 409 && w.patch_if_exists) {
                write_op patch = std::move(*w.patch_if_exists);
                w.patch_if_exists.reset();
                patch.on_done = [this, p, index](const engine::result<engine::http_response>& r2) {
                    if (r2 && r2->status >= 200 && r2->status < 300) {
                        send(p, index + 1);
                        return;
                    }
                    ++stats_.write_errors;
                    GHOST_LOG_WARN("stage ", p->st->name, " on ", resource_.kind, " ", p->key,
                                   ": step ", p->writes[index].step, " failed: ",
                                   r2 ? "HTTP " + std::to_string(r2->status) + " " +
                                            r2->body.substr(0, 300)
                                      : r2.error().message());
                };
                ++stats_.writes;
                sink_(std::move(patch));
                return;
            }
            if (r && r->status == 404 && w.kind != action_kind::apply) return;  // object gone
            ++stats_.write_errors;
            GHOST_LOG_WARN("stage ", p->st->name, " on ", resource_.kind, " ", p->key, ": step ",
                           w.step, " failed: ",
                           r ? "HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 300)
                             : r.error().message());
        };
        sink_(std::move(op));
        return;  // the rest follows from on_done
    }
}

write_op resource_simulation::encode(const action& a, const boost::json::object& object) {
    std::string_view name = metadata_string(object, "name");
    std::string_view ns = metadata_string(object, "namespace");
    write_op op;
    op.priority = engine::write_priority::other;
    switch (a.kind) {
    case action_kind::patch: {
        // kwok's stages write status through the subresource; a resource without one (many
        // custom resources) takes the same merge patch on the object itself.
        std::string_view sub = a.subresource;
        if (sub == "status" && !resource_.has_status) sub = {};
        auto path = kube::object_path(resource_.ref, ns, name, sub);
        op.key = path;
        if (sub == "status") op.priority = engine::write_priority::status;
        op.request = kube::make_patch_request(std::move(path), a.type, a.data);
        break;
    }
    case action_kind::delete_object: {
        auto path = kube::object_path(resource_.ref, ns, name);
        op.key = path + "#delete";
        op.request = kube::make_force_delete_request(std::move(path));
        break;
    }
    case action_kind::event: {
        auto now = now_text();
        op.key = "event/" + std::to_string(++events_sent_);
        op.priority = engine::write_priority::event;
        op.request = kube::make_event_request(
            {string_field(object, "apiVersion"), string_field(object, "kind"), name, ns,
             metadata_string(object, "uid"), metadata_string(object, "resourceVersion")},
            {a.event.type, a.event.reason, a.event.message, config_.event_component, now});
        break;
    }
    case action_kind::apply:
        break;  // encode_apply
    }
    if (a.impersonation) op.request.headers.emplace_back("Impersonate-User", *a.impersonation);
    return op;
}

}  // namespace ghost::sim
