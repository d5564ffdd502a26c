#pragma once
// One kwok.x-k8s.io/v1alpha1 kind as live custom resources (--enable-crds): list/watch every
// object, hand each one to `upsert` (which parses it and answers the error when it is invalid)
// or `remove`. An invalid object is reported once per resourceVersion: a log line and a Warning
// Event on it naming the field; the others keep working. Stage resources and the Metric /
// ResourceUsage / ClusterResourceUsage resources go through here.

#include "kube/api_client.hpp"
#include "sim/simulation.hpp"
#include "stages/kwok_kinds.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace ghost::ghostlet {

class kwok_resource_watch {
public:
    struct handlers {
        /// The object added or changed; the one-line error when it is invalid (then the handler
        /// has dropped any earlier version of it).
        std::function<std::optional<std::string>(const boost::json::object&)> upsert;
        std::function<void(const boost::json::object&)> remove;
    };

    /// `invalid_reason`: the Event's reason, e.g. InvalidStage.
    kwok_resource_watch(kube::api_client& client, sim::simulation::write_sink sink,
                        const stages::kwok_kind& kind, std::string invalid_reason,
                        handlers h, std::string event_component = "ghostlet");

    /// Until cancelled (terminal); never throws on server errors.
    boost::asio::awaitable<void> async_run();

    /// Plain state changes, for tests.
    void on_upsert(const boost::json::object& object);
    void on_delete(const boost::json::object& object);
    std::size_t invalid() const noexcept { return invalid_.size(); }

private:
    void report(const boost::json::object& object, const std::string& error);

    kube::api_client& client_;
    sim::simulation::write_sink sink_;
    const stages::kwok_kind& kind_;
    std::string invalid_reason_;
    handlers handlers_;
    std::string event_component_;
    std::map<std::string, std::string> invalid_;  ///< ns/name -> resourceVersion reported
    std::uint64_t events_sent_ = 0;
};

}  // namespace ghost::ghostlet
