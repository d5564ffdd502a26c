#include "apps/ghostlet/kwok_resource_watch.hpp"

#include "engine/log.hpp"
#include "kube/list_watch.hpp"
#include "kube/resource.hpp"
#include "kube/time.hpp"
#include "kube/write_requests.hpp"
#include "sim/node_registry.hpp"

#include <chrono>

namespace ghost::ghostlet {

kwok_resource_watch::kwok_resource_watch(kube::api_client& client,
                                         sim::simulation::write_sink sink,
                                         const stages::kwok_kind& kind, std::string invalid_reason,
                                         handlers h, std::string event_component)
    : client_(client), sink_(std::move(sink)), kind_(kind),
      invalid_reason_(std::move(invalid_reason)), handlers_(std::move(h)),
      event_component_(std::move(event_component)) {}

void kwok_resource_watch::on_upsert(const boost::json::object& object) {
    std::string key = kube::object_key(object);
    std::string rv(sim::metadata_string(object, "resourceVersion"));
    auto error = handlers_.upsert(object);
    if (!error) {
        invalid_.erase(key);
        return;
    }
    auto it = invalid_.find(key);
    if (it == invalid_.end() || it->second != rv) {
        invalid_[key] = rv;
        report(object, *error);
    }
}

void kwok_resource_watch::on_delete(const boost::json::object& object) {
    invalid_.erase(kube::object_key(object));
    handlers_.remove(object);
}

void kwok_resource_watch::report(const boost::json::object& object, const std::string& error) {
    std::string name(sim::metadata_string(object, "name"));
    GHOST_LOG_WARN("invalid ", error, " (the ", kind_.kind, " is skipped; the others keep working)");
    auto now = kube::format_rfc3339(std::chrono::system_clock::now());
    sim::write_op op;
    op.key = std::string(kind_.singular) + "-event/" + std::to_string(++events_sent_);
    op.priority = engine::write_priority::other;
    std::string api_version = std::string(stages::kwok_group) + "/" + std::string(stages::kwok_version);
    op.request = kube::make_event_request(
        {api_version, kind_.kind, name, sim::metadata_string(object, "namespace"),
         sim::metadata_string(object, "uid"), sim::metadata_string(object, "resourceVersion")},
        {"Warning", invalid_reason_, error, event_component_, now});
    op.on_done = [name, kind = std::string(kind_.kind)](
                     const engine::result<engine::http_response>& r) {
        if (!r || r->status >= 300) GHOST_LOG_DEBUG("event for ", kind, " ", name, " not recorded");
    };
    sink_(std::move(op));
}

boost::asio::awaitable<void> kwok_resource_watch::async_run() {
    kube::list_watch_params params;
    params.path = "/apis/" + std::string(stages::kwok_group) + "/" +
                  std::string(stages::kwok_version) + "/" + std::string(kind_.plural);
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
