#include "kube/fake_objects.hpp"

#include "engine/ip_address.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include <cstdio>
#include <stdexcept>

namespace ghost::kube {

namespace json = boost::json;

namespace {

void merge_into(json::object& into, const json::value& extra) {
    if (!extra.is_object()) return;
    for (const auto& [k, v] : extra.get_object()) into[k] = v;
}

std::string param(const json::object& params, const char* key) {
    const auto* v = params.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string nth_cidr(const std::string& cidr, std::size_t index) {
    auto p = engine::parse_cidr(cidr);
    if (!p) throw std::invalid_argument("bad CIDR \"" + cidr + "\"");
    return engine::to_string(engine::nth_subnet(*p, index));
}

std::string nth_ip(const std::string& ip, std::size_t index) {
    auto a = engine::parse_ip(ip);
    if (!a) throw std::invalid_argument("bad IP \"" + ip + "\"");
    return engine::to_string(engine::add(*a, index));
}

}  // namespace

json::object default_fake_node_parameters() {
    return json::parse(R"({
        "podCIDR": "10.0.0.0/24", "podCIDRv6": "fd00::/64",
        "internalIP": "192.0.2.1", "internalIPv6": "2001:db8::1",
        "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
        "labels": {}, "annotations": {}})")
        .as_object();
}

json::object default_fake_pod_parameters() {
    return json::parse(R"({
        "nodeName": "", "hostNetwork": false, "image": "busybox",
        "resources": {}, "labels": {}, "annotations": {}})")
        .as_object();
}

std::string scaled_name(std::string_view prefix, std::size_t index, int serial_length) {
    char digits[32];
    std::snprintf(digits, sizeof digits, "-%0*zu", serial_length, index);
    return std::string(prefix) + digits;
}

json::object make_fake_node(std::string_view prefix, std::size_t index, const json::object& params,
                            int serial_length) {
    auto name = scaled_name(prefix, index, serial_length);
    json::object labels{{"beta.kubernetes.io/arch", "amd64"},
                        {"beta.kubernetes.io/os", "linux"},
                        {"kubernetes.io/arch", "amd64"},
                        {"kubernetes.io/hostname", name},
                        {"kubernetes.io/os", "linux"},
                        {"kubernetes.io/role", "agent"},
                        {"node-role.kubernetes.io/agent", ""},
                        {"type", "kwok"},
                        {scale_label, prefix}};
    if (auto* v = params.if_contains("labels")) merge_into(labels, *v);
    json::object annotations{
        {"kwok.x-k8s.io/node", "fake"},
        {"node.alpha.kubernetes.io/ttl", "0"},
        {"metrics.k8s.io/resource-metrics-path", "/metrics/nodes/" + name + "/metrics/resource"}};
    if (auto* v = params.if_contains("annotations")) merge_into(annotations, *v);
    auto cidr4 = nth_cidr(param(params, "podCIDR"), index);
    auto cidr6 = nth_cidr(param(params, "podCIDRv6"), index);
    const auto* found = params.if_contains("allocatable");
    json::value alloc = found ? *found : json::value(json::object{});
    return json::object{
        {"apiVersion", "v1"},
        {"kind", "Node"},
        {"metadata", {{"name", name}, {"labels", labels}, {"annotations", annotations}}},
        {"spec",
         {{"podCIDR", cidr4},
          {"podCIDRs", json::array{cidr4, cidr6}},
          {"taints", json::array{json::object{
                         {"key", "kwok.x-k8s.io/node"}, {"value", "fake"}, {"effect", "NoSchedule"}}}}}},
        {"status",
         {{"allocatable", alloc},
          {"capacity", alloc},
          {"addresses",
           json::array{
               json::object{{"type", "InternalIP"},
                            {"address", nth_ip(param(params, "internalIP"), index)}},
               json::object{{"type", "InternalIP"},
                            {"address", nth_ip(param(params, "internalIPv6"), index)}}}},
          {"nodeInfo", {{"architecture", "amd64"}, {"operatingSystem", "linux"}}}}}};
}

json::object make_fake_pod(std::string_view prefix, std::size_t index, const json::object& params,
                           std::string_view ns, int serial_length) {
    auto get = [&](const char* key) {
        const auto* v = params.if_contains(key);
        return v ? *v : json::value();
    };
    json::object labels{{"app", prefix}, {scale_label, prefix}};
    merge_into(labels, get("labels"));
    json::object container{{"name", "container-0"},
                           {"image", get("image")},
                           {"resources", get("resources")}};
    json::object spec{
        {"containers", json::array{container}},
        {"tolerations", json::array{json::object{{"key", "kwok.x-k8s.io/node"},
                                                 {"operator", "Exists"},
                                                 {"effect", "NoSchedule"}}}}};
    auto node = get("nodeName");
    if (node.is_string() && !node.get_string().empty()) {
        spec["nodeName"] = node;
    } else {
        // Without a node name the scheduler places the pod; keep it on fake nodes.
        spec["affinity"] = json::parse(R"({"nodeAffinity":{
            "requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[
            {"matchExpressions":[{"key":"type","operator":"In","values":["kwok"]}]}]}}})");
    }
    auto host_network = get("hostNetwork");
    if (host_network.is_bool() && host_network.get_bool()) spec["hostNetwork"] = true;
    return json::object{
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata", {{"name", scaled_name(prefix, index, serial_length)},
                      {"namespace", ns},
                      {"labels", labels},
                      {"annotations", get("annotations")}}},
        {"spec", spec}};
}

}  // namespace ghost::kube
