#include "apps/ghostctl/crds.hpp"

#include <boost/json/object.hpp>

#include <string>

namespace ghost::ghostctl {

boost::json::value crd_manifest(const stages::kwok_kind& k) {
    namespace json = boost::json;
    std::string plural(k.plural), group(stages::kwok_group);
    json::object schema{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
    json::object version{{"name", std::string(stages::kwok_version)},
                         {"served", true},
                         {"storage", true},
                         {"subresources", json::object{{"status", json::object{}}}},
                         {"schema", json::object{{"openAPIV3Schema", std::move(schema)}}}};
    return json::object{
        {"apiVersion", "apiextensions.k8s.io/v1"},
        {"kind", "CustomResourceDefinition"},
        {"metadata", json::object{{"name", plural + "." + group}}},
        {"spec",
         json::object{{"group", group},
                      {"names", json::object{{"kind", std::string(k.kind)},
                                             {"listKind", std::string(k.kind) + "List"},
                                             {"plural", plural},
                                             {"singular", std::string(k.singular)}}},
                      {"scope", k.namespaced ? "Namespaced" : "Cluster"},
                      {"versions", json::array{std::move(version)}}}}};
}

}  // namespace ghost::ghostctl
