#include "usage/catalog.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

namespace ghost::usage {

namespace {

std::string_view meta(const boost::json::object& o, std::string_view f) {
    auto* m = o.if_contains("metadata");
    auto* v = m && m->is_object() ? m->get_object().if_contains(f) : nullptr;
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

}  // namespace

bool is_usage_kind(std::string_view kind) {
    return kind == "Metric" || kind == "ResourceUsage" || kind == "ClusterResourceUsage";
}

std::string catalog::key(std::string_view kind, const boost::json::object& o) {
    return std::string(kind) + "/" + std::string(meta(o, "namespace")) + "/" +
           std::string(meta(o, "name"));
}

std::optional<std::string> catalog::add_config(const boost::json::object& doc,
                                               std::string_view source) {
    try {
        auto* k = doc.if_contains("kind");
        if (k && k->is_string() && k->get_string() == "Metric") {
            config_metrics_.push_back(parse_metric(doc, source, state_.environment()));
        } else {
            config_usages_.push_back(parse_resource_usage(doc, source, state_.environment()));
        }
    } catch (const usage_error& e) {
        return e.what();
    }
    publish();
    return std::nullopt;
}

std::optional<std::string> catalog::upsert_resource(std::string_view kind,
                                                    boost::json::object object) {
    if (!object.contains("kind")) object["kind"] = kind;
    auto k = key(kind, object);
    std::optional<std::string> error;
    try {
        if (kind == "Metric") {
            custom_metrics_.insert_or_assign(
                k, parse_metric(object, "custom resource", state_.environment()));
        } else {
            custom_usages_.insert_or_assign(
                k, parse_resource_usage(object, "custom resource", state_.environment()));
        }
    } catch (const usage_error& e) {
        error = e.what();
        custom_metrics_.erase(k);
        custom_usages_.erase(k);
    }
    publish();
    return error;
}

void catalog::erase_resource(std::string_view kind, const boost::json::object& object) {
    auto k = key(kind, object);
    if (custom_metrics_.erase(k) + custom_usages_.erase(k) > 0) publish();
}

void catalog::publish() {
    metrics_ = config_metrics_;
    for (const auto& [k, m] : custom_metrics_) metrics_.push_back(m);
    // Custom resources first, in the API's list order (by name), as kwok finds them; the
    // --config ones (ghostctl's usage-from-annotation default, which matches every pod) after
    // them, so a user's ClusterResourceUsage for some namespaces wins over the default.
    std::vector<resource_usage> usages;
    for (const auto& [k, u] : custom_usages_) usages.push_back(u);
    usages.insert(usages.end(), config_usages_.begin(), config_usages_.end());
    state_.set_usages(std::move(usages));
}

std::string prometheus_discovery(const std::vector<metric>& metrics,
                                 const std::vector<std::string>& nodes, std::string_view host,
                                 std::string_view scheme) {
    boost::json::array out;
    auto add = [&](const metric& m, const std::string& path) {
        boost::json::object labels;  // sorted keys, as Go encodes a map
        labels["__metrics_path__"] = path;
        labels["__scheme__"] = scheme;
        labels["metrics_name"] = m.name;
        boost::json::object group;
        group["targets"] = boost::json::array{boost::json::string(host)};
        group["labels"] = std::move(labels);
        out.push_back(std::move(group));
    };
    for (const auto& m : metrics) {
        if (!m.per_node()) {
            add(m, m.path);
            continue;
        }
        for (const auto& n : nodes) add(m, m.path_for(n));
    }
    return boost::json::serialize(out) + "\n";
}

}  // namespace ghost::usage
