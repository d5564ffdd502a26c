#pragma once
// The one shape of an HTTP call a sans-io component of sim/ wants made (simulation,
// resource_simulation, shard_membership); apps/ghostlet's writer sends it.

#include "engine/error.hpp"
#include "engine/http_types.hpp"
#include "engine/scheduler.hpp"
#include "engine/write_queue.hpp"

#include <functional>
#include <optional>
#include <string>

namespace ghost::sim {

/// One HTTP call the simulation wants made. Writes with the same key coalesce while unsent
/// (the newer replaces the older); `on_done` gets the final outcome after retries.
struct write_op {
    std::string key;
    /// Leases go first (a late renewal makes the node NotReady), then status, then the rest.
    engine::write_priority priority = engine::write_priority::status;
    engine::http_request request;
    std::function<void(const engine::result<engine::http_response>&)> on_done;
    /// When the stage that produced this write was due (event time plus the stage's delay);
    /// done minus origin is the latency the simulator added. Unset for lease writes.
    std::optional<engine::scheduler::time_point> origin;
};

}  // namespace ghost::sim
