#pragma once
// Stage custom resources, live (--enable-crds=Stage): list/watch kwok.x-k8s.io/v1alpha1 Stages,
// parse each with the same rules as --config files, and hand the valid set over on every change.
// An invalid Stage is reported once per version (a log line and an Event on the Stage naming the
// field) and left out; the others keep playing.

#include "kube/api_client.hpp"
#include "sim/simulation.hpp"
#include "stages/stage.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ghost::ghostlet {

class stage_crs {
public:
    using on_change_fn = std::function<void(std::vector<stages::stage>)>;

    stage_crs(kube::api_client& client, sim::simulation::write_sink sink, on_change_fn on_change,
              std::string event_component = "ghostlet");

    /// Until cancelled (terminal); never throws on server errors.
    boost::asio::awaitable<void> async_run();

    /// Plain state changes, for tests: an object added/updated or deleted.
    void on_upsert(const boost::json::object& object);
    void on_delete(const boost::json::object& object);

    std::size_t valid() const noexcept { return valid_.size(); }
    std::size_t invalid() const noexcept { return invalid_.size(); }

private:
    void report(const boost::json::object& object, const std::string& error);
    void publish();

    kube::api_client& client_;
    sim::simulation::write_sink sink_;
    on_change_fn on_change_;
    std::string event_component_;
    std::map<std::string, stages::stage> valid_;
    std::map<std::string, std::string> invalid_;  ///< name -> resourceVersion reported
    std::uint64_t events_sent_ = 0;
};

}  // namespace ghost::ghostlet
