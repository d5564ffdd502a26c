#include "apps/ghostlet/stage_crs.hpp"

#include "engine/log.hpp"
#include "kube/list_watch.hpp"
#include "kube/resource.hpp"
#include "kube/time.hpp"
#include "kube/write_requests.hpp"
#include "sim/node_registry.hpp"

#include <boost/json/serialize.hpp>
#include <yaml-cpp/yaml.h>

#include <chrono>

namespace ghost::ghostlet {


stage_crs::stage_crs(kube::api_client& client, sim::simulation::write_sink sink,
                     on_change_fn on_change, std::string event_component)
    : client_(client), sink_(std::move(sink)), on_change_(std::move(on_change)),
      event_component_(std::move(event_component)) {}

void stage_crs::on_upsert(const boost::json::object& object) {
    std::string name(sim::metadata_string(object, "name"));
    std::string rv(sim::metadata_string(object, "resourceVersion"));
    try {
        // JSON is YAML: the API's object goes through the same parser as --config files.
        auto doc = YAML::Load(boost::json::serialize(object));
        stages::stage s = stages::parse_stage(doc, "Stage " + name);
        invalid_.erase(name);
        valid_.insert_or_assign(name, std::move(s));
    } catch (const std::exception& e) {
        bool changed = valid_.erase(name) > 0;
        auto it = invalid_.find(name);
        if (it == invalid_.end() || it->second != rv) {
            invalid_[name] = rv;
            report(object, e.what());
        }
        if (!changed) return;
    }
    publish();
}

void stage_crs::on_delete(const boost::json::object& object) {
    std::string name(sim::metadata_string(object, "name"));
    invalid_.erase(name);
    if (valid_.erase(name) > 0) publish();
}

void stage_crs::publish() {
    std::vector<stages::stage> all;
    all.reserve(valid_.size());
    for (const auto& [name, s] : valid_) all.push_back(s);
    GHOST_LOG_INFO("Stage custom resources: ", valid_.size(), " in use, ", invalid_.size(),
                   " invalid");
    on_change_(std::move(all));
}

void stage_crs::report(const boost::json::object& object, const std::string& error) {
    std::string name(sim::metadata_string(object, "name"));
    GHOST_LOG_WARN("invalid ", error, " (the Stage is skipped; the others keep playing)");
    auto now = kube::format_rfc3339(std::chrono::system_clock::now());
    sim::write_op op;
    op.key = "stage-event/" + std::to_string(++events_sent_);
    op.priority = engine::write_priority::other;
    op.request = kube::make_event_request(
        {"kwok.x-k8s.io/v1alpha1", "Stage", name, {}, sim::metadata_string(object, "uid"),
         sim::metadata_string(object, "resourceVersion")},
        {"Warning", "InvalidStage", error, event_component_, now});
    op.on_done = [name](const engine::result<engine::http_response>& r) {
        if (!r || r->status >= 300) GHOST_LOG_DEBUG("event for Stage ", name, " not recorded");
    };
    sink_(std::move(op));
}

boost::asio::awaitable<void> stage_crs::async_run() {
    kube::list_watch_params params;
    params.path = "/apis/kwok.x-k8s.io/v1alpha1/stages";
    co_await kube::async_run_list_watch(
        client_, std::move(params), [this](kube::event_kind k, boost::json::object&& obj) {
            if (k == kube::event_kind::deleted) {
                on_delete(obj);
            } else {
                on_upsert(obj);
            }
        });
}

}  // namespace ghost::ghostlet
