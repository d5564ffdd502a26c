#include "sim/kubelet_pod_status.hpp"

#include "kube/patch.hpp"
#include "kube/resource.hpp"
#include "kube/write_requests.hpp"
#include "sim/json_fields.hpp"

#include <boost/json/array.hpp>

namespace ghost::sim {

namespace json = boost::json;

bool awaits_first_status(const json::object& pod) {
    const auto* meta = object_field(&pod, "metadata");
    const auto* spec = object_field(&pod, "spec");
    const auto* status = object_field(&pod, "status");
    const auto* phase = status ? status->if_contains("phase") : nullptr;
    return meta && !meta->contains("deletionTimestamp") && spec && array_field(spec, "containers") &&
           !string_field(spec, "nodeName").empty() && phase && phase->is_string() &&
           phase->get_string() == "Pending" && !status->contains("containerStatuses");
}

std::optional<json::object> first_pod_status(const json::object& pod, std::string_view now) {
    if (!awaits_first_status(pod)) return std::nullopt;
    const auto* spec = object_field(&pod, "spec");
    const auto* containers = array_field(spec, "containers");
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

std::optional<write_op> first_pod_status_write(const json::object& pod,
                                               kube::wall_clock::time_point now) {
    if (!awaits_first_status(pod)) return std::nullopt;
    auto status = first_pod_status(pod, kube::format_rfc3339(now));
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
