#include "kube/event.hpp"

#include "kube/resource.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace ghost::kube {

engine::http_request make_event_request(const event_subject& about, const event_record& what) {
    boost::json::object involved{{"apiVersion", about.api_version},
                                 {"kind", about.kind},
                                 {"name", about.name},
                                 {"uid", about.uid},
                                 {"resourceVersion", about.resource_version}};
    if (!about.ns.empty()) involved["namespace"] = about.ns;
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
    engine::http_request req;
    req.method = boost::beast::http::verb::post;
    req.target = collection_path(resources::events(), ns);
    req.content_type = "application/json";
    req.body = boost::json::serialize(event);
    return req;
}

}  // namespace ghost::kube
