#pragma once
// Stage custom resources, live (--enable-crds=Stage): kwokctl's kwok.x-k8s.io/v1alpha1 Stages
// through kwok_resource_watch, each parsed with the same rules as --config files; the valid set
// is handed over on every change. An invalid Stage gets a log line and a Warning Event
// `InvalidStage` naming the field (once per version) and is left out; the others keep playing.

#include "apps/ghostlet/kwok_resource_watch.hpp"
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
    boost::asio::awaitable<void> async_run() { return watch_.async_run(); }

    /// Plain state changes, for tests: an object added/updated or deleted.
    void on_upsert(const boost::json::object& object) { watch_.on_upsert(object); }
    void on_delete(const boost::json::object& object) { watch_.on_delete(object); }

    std::size_t valid() const noexcept { return valid_.size(); }
    std::size_t invalid() const noexcept { return watch_.invalid(); }

private:
    std::optional<std::string> upsert(const boost::json::object& object);
    void remove(const boost::json::object& object);
    void publish();

    on_change_fn on_change_;
    std::map<std::string, stages::stage> valid_;
    kwok_resource_watch watch_;
};

}  // namespace ghost::ghostlet
