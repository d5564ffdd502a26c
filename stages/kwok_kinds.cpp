#include "stages/kwok_kinds.hpp"

namespace ghost::stages {

namespace {
constexpr kwok_kind kinds[] = {
    {"Stage", "stages", "stage", false},
    {"Metric", "metrics", "metric", false},
    {"ResourceUsage", "resourceusages", "resourceusage", true},
    {"ClusterResourceUsage", "clusterresourceusages", "clusterresourceusage", false},
    {"Logs", "logs", "logs", true},
    {"ClusterLogs", "clusterlogs", "clusterlogs", false},
    {"Exec", "execs", "exec", true},
    {"ClusterExec", "clusterexecs", "clusterexec", false},
    {"Attach", "attaches", "attach", true},
    {"ClusterAttach", "clusterattaches", "clusterattach", false},
    {"PortForward", "portforwards", "portforward", true},
    {"ClusterPortForward", "clusterportforwards", "clusterportforward", false},
};
}  // namespace

std::span<const kwok_kind> kwok_kinds() { return kinds; }

const kwok_kind* find_kwok_kind(std::string_view kind) {
    for (const auto& k : kinds) {
        if (k.kind == kind) return &k;
    }
    return nullptr;
}

}  // namespace ghost::stages
