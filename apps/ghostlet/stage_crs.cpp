#include "apps/ghostlet/stage_crs.hpp"

#include "engine/log.hpp"
#include "sim/node_registry.hpp"

#include <boost/json/serialize.hpp>
#include <yaml-cpp/yaml.h>

namespace ghost::ghostlet {

stage_crs::stage_crs(kube::api_client& client, sim::simulation::write_sink sink,
                     on_change_fn on_change, std::string event_component)
    : on_change_(std::move(on_change)),
      watch_(client, std::move(sink), *stages::find_kwok_kind("Stage"), "InvalidStage",
             {[this](const boost::json::object& o) { return upsert(o); },
              [this](const boost::json::object& o) { remove(o); }},
             std::move(event_component)) {}

std::optional<std::string> stage_crs::upsert(const boost::json::object& object) {
    std::string name(sim::metadata_string(object, "name"));
    try {
        // JSON is YAML: the API's object goes through the same parser as --config files.
        auto doc = YAML::Load(boost::json::serialize(object));
        stages::stage s = stages::parse_stage(doc, "Stage " + name);
        valid_.insert_or_assign(name, std::move(s));
    } catch (const std::exception& e) {
        if (valid_.erase(name) > 0) publish();
        return std::string(e.what());
    }
    publish();
    return std::nullopt;
}

void stage_crs::remove(const boost::json::object& object) {
    if (valid_.erase(std::string(sim::metadata_string(object, "name"))) > 0) publish();
}

void stage_crs::publish() {
    std::vector<stages::stage> all;
    all.reserve(valid_.size());
    for (const auto& [name, s] : valid_) all.push_back(s);
    GHOST_LOG_INFO("Stage custom resources: ", valid_.size(), " in use, ", watch_.invalid(),
                   " invalid");
    on_change_(std::move(all));
}

}  // namespace ghost::ghostlet
