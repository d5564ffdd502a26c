#pragma once
// The HTTP side of a kube::lease_fsm in kube-node-lease, shared by the node leases
// (simulation) and the shard membership Lease (shard_membership): the request for each
// action, and the reply fed back into the fsm.

#include "kube/lease.hpp"
#include "sim/write_op.hpp"

#include <string_view>

namespace ghost::sim {

/// GET / POST / PUT of the Lease `name` in kube-node-lease for a get, create or update action.
engine::http_request lease_request(const kube::lease_fsm::action& act, std::string_view name);

/// Feeds the reply to a lease request into `fsm` at `now` (`was_get`: the request was a GET);
/// returns true when the lease was just acquired. Unexpected failures are logged naming
/// `name`.
bool apply_lease_reply(kube::lease_fsm& fsm, bool was_get,
                       const engine::result<engine::http_response>& reply,
                       kube::wall_clock::time_point now, std::string_view name);

}  // namespace ghost::sim
