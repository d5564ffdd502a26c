#pragma once
// Stages on kinds other than v1 Node and Pod: resolves each resourceRef through API discovery
// (core, apps, storage, CRDs...; a kind not served yet is retried, so a CRD installed later is
// picked up), then runs one list/watch per kind into a sim::resource_simulation.

#include "engine/scheduler.hpp"
#include "kube/api_client.hpp"
#include "kube/discovery.hpp"
#include "sim/resource_simulation.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <list>
#include <optional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ghost::ghostlet {

class resource_stages {
public:
    resource_stages(kube::api_client& client, std::vector<stages::stage> stages,
                    sim::resource_simulation_config config, engine::scheduler& timers,
                    sim::simulation::write_sink sink);
    ~resource_stages();

    /// The stages of every kind changed (Stage custom resources): known kinds get their new set
    /// (an empty one for kinds no stage names any more), new kinds are resolved and watched.
    void replace_stages(std::vector<stages::stage> stages);

    /// Discovery, then the list/watch of every kind, until cancelled (any cancellation type);
    /// waits for its children before it returns. Never throws on server errors.
    boost::asio::awaitable<void> async_run();

    /// The resource of (group/version, kind) as discovery knows it, or nullptr: apply steps'
    /// targets, for these kinds and for Node and Pod stages.
    const kube::api_resource* resolve(std::string_view group_version, std::string_view kind);
    /// Fetch discovery at start even when no other kind is played (Node/Pod apply steps).
    void want_discovery() { discovery_wanted_ = true; }

    std::uint64_t stages_played() const;
    std::size_t pending_stages() const;

private:
    boost::asio::awaitable<void> async_refresh(const std::string& group_version);
    boost::asio::awaitable<void> async_prefetch();
    boost::asio::awaitable<void> async_run_kind(std::string group_version, std::string kind,
                                                std::vector<stages::stage> stages);
    void spawn_kind(const std::pair<std::string, std::string>& key);
    void child_done();

    kube::api_client& client_;
    std::map<std::pair<std::string, std::string>, std::vector<stages::stage>> by_kind_;
    sim::resource_simulation_config config_;
    engine::scheduler& timers_;
    sim::simulation::write_sink sink_;
    std::map<std::string, std::vector<kube::api_resource>, std::less<>> discovered_;
    std::map<std::pair<std::string, std::string>, sim::resource_simulation*> sim_of_;
    std::vector<std::unique_ptr<sim::resource_simulation>> sims_;
    // Children (one per kind), spawned by async_run and later by replace_stages.
    std::optional<boost::asio::any_io_executor> ex_;
    std::list<boost::asio::cancellation_signal> signals_;
    std::size_t running_ = 0;
    std::unique_ptr<boost::asio::steady_timer> children_done_;
    bool stopping_ = false;
    bool prefetched_ = false;
    bool discovery_wanted_ = false;
};

}  // namespace ghost::ghostlet
