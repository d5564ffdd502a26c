#pragma once
// Shared by the libFuzzer targets: the input as text, and a pod-sized object to evaluate against.

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ghost::fuzz {

inline std::string_view text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

inline const boost::json::value& sample_pod() {
    static const boost::json::value pod = boost::json::parse(R"({
      "apiVersion": "v1", "kind": "Pod",
      "metadata": {"name": "p", "namespace": "default", "uid": "u1", "resourceVersion": "7",
                   "creationTimestamp": "2026-01-02T03:04:05Z",
                   "labels": {"app": "web"}, "annotations": {"a": "1"},
                   "ownerReferences": [{"kind": "Job", "name": "j"}]},
      "spec": {"nodeName": "n0", "containers": [{"name": "c", "image": "i",
               "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]},
      "status": {"phase": "Pending", "conditions": [{"type": "Ready", "status": "False"}]}
    })");
    return pod;
}

}  // namespace ghost::fuzz
