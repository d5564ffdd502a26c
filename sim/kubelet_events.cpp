#include "sim/kubelet_events.hpp"

#include "sim/json_fields.hpp"

#include <string_view>

namespace ghost::sim {

namespace json = boost::json;

namespace {

std::string status_is_now(const std::string& node, const char* reason) {
    return "Node " + node + " status is now: " + reason;
}

// Image of container `name` in spec list `list` (initContainers or containers).
std::string image_of(const json::object* spec, const char* list, const std::string& name) {
    const auto* cs = array_field(spec, list);
    if (!cs) return {};
    for (const auto& c : *cs)
        if (c.is_object() && string_field(&c.get_object(), "name") == name)
            return string_field(&c.get_object(), "image");
    return {};
}

}  // namespace

std::vector<kubelet_event> node_start_events(const std::string& node) {
    return {{"Starting", "Starting kubelet.", {}},
            {"NodeHasSufficientMemory", status_is_now(node, "NodeHasSufficientMemory"), {}},
            {"NodeHasNoDiskPressure", status_is_now(node, "NodeHasNoDiskPressure"), {}},
            {"NodeHasSufficientPID", status_is_now(node, "NodeHasSufficientPID"), {}},
            {"NodeAllocatableEnforced", "Updated Node Allocatable limit across pods", {}}};
}

kubelet_event node_ready_event(const std::string& node) {
    return {"NodeReady", status_is_now(node, "NodeReady"), {}};
}

bool node_is_ready(const json::object& node) {
    const auto* conditions = array_field(object_field(&node, "status"), "conditions");
    if (!conditions) return false;
    for (const auto& c : *conditions)
        if (c.is_object() && string_field(&c.get_object(), "type") == "Ready")
            return string_field(&c.get_object(), "status") == "True";
    return false;
}

std::vector<kubelet_event> pod_container_events::on_pod(const json::object& pod) {
    std::vector<kubelet_event> out;
    auto uid = string_field(object_field(&pod, "metadata"), "uid");
    const auto* status = object_field(&pod, "status");
    if (uid.empty() || !status) return out;
    const auto* spec = object_field(&pod, "spec");
    for (const auto& [list, spec_list] : {std::pair{"initContainerStatuses", "initContainers"},
                                          std::pair{"containerStatuses", "containers"}}) {
        const auto* statuses = array_field(status, list);
        if (!statuses) continue;
        for (const auto& cs : *statuses) {
            if (!cs.is_object()) continue;
            const auto* state = object_field(&cs.get_object(), "state");
            // Running now, or ran already (an init container that terminated).
            if (!state || !(state->contains("running") || state->contains("terminated")))
                continue;
            auto name = string_field(&cs.get_object(), "name");
            if (name.empty() || !reported_[uid].insert(name).second) continue;
            auto image = image_of(spec, spec_list, name);
            if (image.empty()) image = string_field(&cs.get_object(), "image");
            auto path = std::string("spec.") + spec_list + "{" + name + "}";
            out.push_back({"Pulled",
                           "Container image \"" + image +
                               "\" already present on machine and can be accessed by the pod",
                           path});
            out.push_back({"Created", "Container created", path});
            out.push_back({"Started", "Container started", path});
        }
    }
    return out;
}

}  // namespace ghost::sim
