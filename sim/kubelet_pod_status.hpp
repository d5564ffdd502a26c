#pragma once
// The first status a kubelet v1.36 writes for a pod it admits, before any sandbox or container
// exists (ghostlet --api-mode=kubelet), sans-io: every container waiting (ContainerCreating, or
// PodInitializing while init containers have to run first) and startTime. The stages then write the container states that follow (Running and its
// conditions, podIP), so a pod start is two status PATCHes, as from a kubelet, not one.
//
// Only fields no stage of kwok's pod/fast or pod/general sets (nor ours) selects on: those sets
// play the same stages, in the same order, after it (tests/sim/kubelet_pod_status_test.cpp
// checks that against ../shared/kwok-stages). The conditions and initContainerStatuses are left
// to the stages for that reason (a kubelet's PodReadyToStartContainers=False would also stay
// False on a pod kwok's sets run, as they never set it).

#include "kube/time.hpp"
#include "sim/write_op.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string_view>

namespace ghost::sim {

/// `pod` is newly admitted: Pending, not being deleted, bound to a node, with containers and
/// no containerStatuses yet.
bool awaits_first_status(const boost::json::object& pod);

/// The status of a newly admitted pod (see awaits_first_status); else nothing.
std::optional<boost::json::object> first_pod_status(const boost::json::object& pod,
                                                    std::string_view now);

/// That status as the strategic-merge PATCH of the pod's status subresource. Its key is the
/// stages' own for the pod's status, so their later write coalesces with it or follows it,
/// never overtakes it. `now` is formatted only for a pod that awaits it (this runs on every pod
/// event).
std::optional<write_op> first_pod_status_write(const boost::json::object& pod,
                                               kube::wall_clock::time_point now);

}  // namespace ghost::sim
