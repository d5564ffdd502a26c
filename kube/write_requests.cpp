#include "kube/write_requests.hpp"

#include "kube/resource.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace ghost::kube {

engine::http_request make_patch_request(std::string path, patch_type type,
                                        const boost::json::value& data) {
    engine::http_request req;
    req.method = boost::beast::http::verb::patch;
    req.target = std::move(path);
    req.content_type = std::string(content_type(type));
    req.body = boost::json::serialize(data);
    return req;
}

engine::http_request make_force_delete_request(std::string path) {
    engine::http_request req;
    req.method = boost::beast::http::verb::delete_;
    req.target = std::move(path);
    req.content_type = "application/json";
    req.body = R"({"apiVersion":"v1","kind":"DeleteOptions","gracePeriodSeconds":0})";
    return req;
}

engine::http_request make_event_request(const event_subject& about, const event_record& what) {
    boost::json::object involved{{"apiVersion", about.api_version},
                                 {"kind", about.kind},
                                 {"name", about.name},
                                 {"uid", about.uid},
                                 {"resourceVersion", about.resource_version}};
    if (!about.ns.empty()) involved["namespace"] = about.ns;
    if (!about.field_path.empty()) involved["fieldPath"] = about.field_path;
    std::string ns = about.ns.empty() ? "default" : std::string(about.ns);
    boost::json::object event{
        {"apiVersion", "v1"},
        {"kind", "Event"},
        {"metadata", {{"generateName", std::string(about.name) + "."}, {"namespace", ns}}},
        {"involvedObject", std::move(involved)},
        {"type", what.type.empty() ? std::string_view("Normal") : what.type},
        {"reason", what.reason},
        {"message", what.message},
        {"source", {{"component", what.component}}},
        {"reportingComponent", what.component},
        {"firstTimestamp", what.timestamp},
        {"lastTimestamp", what.timestamp},
        {"count", 1}};
    if (!what.host.empty()) {
        event["source"].as_object()["host"] = what.host;
        event["reportingInstance"] = what.host;
    }
    engine::http_request req;
    req.method = boost::beast::http::verb::post;
    req.target = collection_path(resources::events(), ns);
    req.content_type = "application/json";
    req.body = boost::json::serialize(event);
    return req;
}

}  // namespace ghost::kube
