#include "sim/kubelet_pod_status.hpp"

#include "kube/patch.hpp"
#include "kube/resource.hpp"
#include "kube/write_requests.hpp"
#include "sim/json_fields.hpp"

#include <boost/json/array.hpp>

namespace ghost::sim {

namespace json = boost::json;

std::optional<json::object> first_pod_status(const json::object& pod, std::string_view now) {
    const auto* meta = object_field(&pod, "metadata");
    const auto* spec = object_field(&pod, "spec");
    const auto* status = object_field(&pod, "status");
    if (!meta || meta->contains("deletionTimestamp")) return std::nullopt;
    if (string_field(spec, "nodeName").empty()) return std::nullopt;
    if (string_field(status, "phase") != "Pending") return std::nullopt;
    if (status->contains("containerStatuses")) return std::nullopt;
    const auto* containers = array_field(spec, "containers");
    if (!containers) return std::nullopt;

    const auto* init = array_field(spec, "initContainers");
    const char* waiting = init && !init->empty() ? "PodInitializing" : "ContainerCreating";
    json::array statuses;
    for (const auto& c : *containers) {
        const auto* container = c.if_object();
        statuses.push_back(json::object{
            {"name", string_field(container, "name")},
            {"image", string_field(container, "image")},
            {"imageID", ""},
            {"ready", false},
            {"restartCount", 0},
            {"started", false},
            {"state", json::object{{"waiting", json::object{{"reason", waiting}}}}},
        });
    }
    json::object out;
    out["phase"] = "Pending";
    out["startTime"] = now;
    out["containerStatuses"] = std::move(statuses);
    return out;
}

std::optional<write_op> first_pod_status_write(const json::object& pod, std::string_view now) {
    auto status = first_pod_status(pod, now);
    if (!status) return std::nullopt;
    const auto* meta = object_field(&pod, "metadata");
    write_op op;
    op.key = kube::object_path(kube::resources::pods(), string_field(meta, "namespace"),
                               string_field(meta, "name"), "status");
    op.priority = engine::write_priority::status;
    op.request = kube::make_patch_request(op.key, kube::patch_type::strategic,
                                          json::object{{"status", std::move(*status)}});
    return op;
}

}  // namespace ghost::sim
