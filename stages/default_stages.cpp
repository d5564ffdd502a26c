#include "stages/default_stages.hpp"

#include "stages/default_stages_data.hpp"

namespace ghost::stages {

const std::vector<std::pair<std::string_view, std::string_view>>& default_stage_documents() {
    return detail::embedded_default_stages;
}

std::vector<stage> default_stages(bool node_leases) {
    std::vector<stage> out;
    for (const auto& [file, text] : default_stage_documents()) {
        bool lease_only = file == "node-heartbeat-with-lease.yaml";
        bool no_lease_only = file == "node-heartbeat.yaml";
        if ((lease_only && !node_leases) || (no_lease_only && node_leases)) continue;
        auto docs = load_config_text(text, std::string("<built-in>/") + std::string(file));
        for (auto& s : docs.stages) out.push_back(std::move(s));
    }
    return out;
}

}  // namespace ghost::stages
