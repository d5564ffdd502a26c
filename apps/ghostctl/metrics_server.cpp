#include "apps/ghostctl/metrics_server.hpp"

#include "metrics_defaults_data.hpp"

namespace ghost::ghostctl {

namespace json = boost::json;

const std::vector<std::pair<std::string_view, std::string_view>>& metrics_default_documents() {
    return detail::embedded_metrics_defaults;
}

std::string ghostlet_metrics_config() {
    std::string out;
    for (const auto& [file, text] : metrics_default_documents()) {
        out += "---\n# " + std::string(file) + "\n" + std::string(text);
        if (!out.empty() && out.back() != '\n') out += '\n';
    }
    return out;
}

json::object metrics_server_service() {
    return json::object{
        {"apiVersion", "v1"},
        {"kind", "Service"},
        {"metadata", {{"name", "metrics-server"},
                      {"namespace", "kube-system"},
                      {"labels", {{"k8s-app", "metrics-server"}}}}},
        {"spec", {{"type", "ExternalName"}, {"externalName", "127.0.0.1"}}}};
}

json::object metrics_apiservice(std::uint16_t port) {
    return json::object{
        {"apiVersion", "apiregistration.k8s.io/v1"},
        {"kind", "APIService"},
        {"metadata", {{"name", "v1beta1.metrics.k8s.io"},
                      {"labels", {{"k8s-app", "metrics-server"}}}}},
        {"spec",
         {{"group", "metrics.k8s.io"},
          {"version", "v1beta1"},
          {"groupPriorityMinimum", 100},
          {"versionPriority", 100},
          {"insecureSkipTLSVerify", true},
          {"service", {{"namespace", "kube-system"}, {"name", "metrics-server"}, {"port", port}}}}}};
}

}  // namespace ghost::ghostctl
