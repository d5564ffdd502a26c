#pragma once
// The Events a kubelet v1.36 records that a kwok stage set does not (ghostlet
// --api-mode=kubelet), sans-io: reasons and messages as pkg/kubelet writes them.
//  - per node, once when its loop starts: Starting ("Starting kubelet."), NodeHasSufficientMemory,
//    NodeHasNoDiskPressure, NodeHasSufficientPID ("Node <n> status is now: <reason>"),
//    NodeAllocatableEnforced; NodeReady when its Ready condition is first True.
//  - per container, once when it is first seen running: Pulled (image already present, the
//    KubeletEnsureSecretPulledImages wording), Created, Started.
// pod_container_events keeps, per pod uid, only the containers reported already.

#include <boost/json/object.hpp>

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace ghost::sim {

struct kubelet_event {
    std::string reason;
    std::string message;
    std::string field_path;  ///< involvedObject.fieldPath: spec.containers{name}; node: empty
};

/// The events of a kubelet starting on `node`.
std::vector<kubelet_event> node_start_events(const std::string& node);
/// NodeReady of `node`.
kubelet_event node_ready_event(const std::string& node);
/// The node's Ready condition is True.
bool node_is_ready(const boost::json::object& node);

class pod_container_events {
public:
    /// The events due for `pod` (its containers, init ones included, newly running).
    std::vector<kubelet_event> on_pod(const boost::json::object& pod);
    /// The pod is gone: forget it.
    void forget(const std::string& uid) { reported_.erase(uid); }
    std::size_t pods() const noexcept { return reported_.size(); }

private:
    std::unordered_map<std::string, std::unordered_set<std::string>> reported_;
};

}  // namespace ghost::sim
