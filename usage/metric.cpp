#include "usage/metric.hpp"

#include "usage/json_fields.hpp"

#include <algorithm>
#include <set>

namespace ghost::usage {

namespace {

constexpr std::string_view node_name_param = "{nodeName}";

bool valid_name(std::string_view s, bool colon_ok) {
    if (s.empty()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                  (colon_ok && c == ':') || (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}

lang::cel::program compile(const detail::field_reader& r, const boost::json::object& o,
                           std::string_view key, const std::string& field,
                           const lang::cel::environment& env) {
    auto text = r.string(o, key, field, true);
    std::string err;
    auto p = lang::cel::program::compile(text, env, &err);
    if (!p) r.fail(field, "CEL " + err);
    return *p;
}

metric_config parse_config(const detail::field_reader& r, const boost::json::value& v,
                           const std::string& field, const lang::cel::environment& env) {
    const auto& o = r.object(v, field);
    metric_config c;
    c.name = r.string(o, "name", field + ".name", true);
    if (!valid_name(c.name, true))
        r.fail(field + ".name", "expected a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), got \"" +
                                    c.name + "\"");
    c.help = r.string(o, "help", field + ".help", false);
    auto kind = r.string(o, "kind", field + ".kind", true);
    if (kind == "counter") c.kind = metric_kind::counter;
    else if (kind == "gauge") c.kind = metric_kind::gauge;
    else if (kind == "histogram") c.kind = metric_kind::histogram;
    else r.fail(field + ".kind", "expected counter, gauge or histogram, got \"" + kind + "\"");
    auto dim = r.string(o, "dimension", field + ".dimension", false);
    if (dim.empty() || dim == "node") c.dimension = metric_dimension::node;
    else if (dim == "pod") c.dimension = metric_dimension::pod;
    else if (dim == "container") c.dimension = metric_dimension::container;
    else r.fail(field + ".dimension", "expected node, pod or container, got \"" + dim + "\"");
    const auto& labels = r.array(o, "labels", field + ".labels");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        auto lf = field + ".labels[" + std::to_string(i) + "]";
        const auto& lo = r.object(labels[i], lf);
        auto name = r.string(lo, "name", lf + ".name", true);
        if (!valid_name(name, false) || name.starts_with("__"))
            r.fail(lf + ".name", "expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not "
                                 "__...), got \"" + name + "\"");
        if (!seen.insert(name).second) r.fail(lf + ".name", "label \"" + name + "\" given twice");
        c.labels.push_back({std::move(name), compile(r, lo, "value", lf + ".value", env)});
    }
    if (c.kind == metric_kind::histogram) {
        const auto& buckets = r.array(o, "buckets", field + ".buckets");
        if (buckets.empty()) r.fail(field + ".buckets", "expected at least one bucket for a histogram");
        for (std::size_t i = 0; i < buckets.size(); ++i) {
            auto bf = field + ".buckets[" + std::to_string(i) + "]";
            const auto& bo = r.object(buckets[i], bf);
            auto* le = r.find(bo, "le");
            if (!le || !le->is_number()) r.fail(bf + ".le", "expected a number");
            bool hidden = false;
            if (auto* h = r.find(bo, "hidden")) {
                if (!h->is_bool()) r.fail(bf + ".hidden", "expected true or false, got " + r.got(*h));
                hidden = h->get_bool();
            }
            c.buckets.push_back({le->to_number<double>(), compile(r, bo, "value", bf + ".value", env),
                                 hidden});
        }
        std::stable_sort(c.buckets.begin(), c.buckets.end(),
                         [](const metric_bucket& a, const metric_bucket& b) { return a.le < b.le; });
    } else {
        c.value = compile(r, o, "value", field + ".value", env);
    }
    return c;
}

}  // namespace

std::optional<std::string> metric::match(std::string_view request) const {
    auto at = path.find(node_name_param);
    if (at == std::string::npos) {
        if (request == path) return std::string();
        return std::nullopt;
    }
    std::string_view head = std::string_view(path).substr(0, at);
    std::string_view tail = std::string_view(path).substr(at + node_name_param.size());
    if (request.size() <= head.size() + tail.size() || !request.starts_with(head) ||
        !request.ends_with(tail))
        return std::nullopt;
    auto name = request.substr(head.size(), request.size() - head.size() - tail.size());
    if (name.find('/') != std::string_view::npos) return std::nullopt;
    return std::string(name);
}

std::string metric::path_for(std::string_view node_name) const {
    auto at = path.find(node_name_param);
    if (at == std::string::npos) return path;
    return path.substr(0, at) + std::string(node_name) + path.substr(at + node_name_param.size());
}

metric parse_metric(const boost::json::object& object, std::string_view source,
                    const lang::cel::environment& env) {
    detail::field_reader r{object_prefix(object, source)};
    metric m;
    const auto* meta = r.find(object, "metadata");
    if (!meta) r.fail("metadata.name", "expected a string, got nothing");
    m.name = r.string(r.object(*meta, "metadata"), "name", "metadata.name", true);
    const auto* spec_v = r.find(object, "spec");
    if (!spec_v) r.fail("spec", "expected an object with path and metrics, got nothing");
    const auto& spec = r.object(*spec_v, "spec");
    m.path = r.string(spec, "path", "spec.path", true);
    if (!m.path.starts_with("/metrics"))
        r.fail("spec.path", "expected a path starting with /metrics, got \"" + m.path + "\"");
    if (m.path == "/metrics")
        r.fail("spec.path", "expected a path below /metrics (/metrics is ghostlet's own)");
    const auto& metrics = r.array(spec, "metrics", "spec.metrics");
    std::set<std::string> names;
    for (std::size_t i = 0; i < metrics.size(); ++i) {
        auto field = "spec.metrics[" + std::to_string(i) + "]";
        auto c = parse_config(r, metrics[i], field, env);
        if (!names.insert(c.name).second)
            r.fail(field + ".name", "metric \"" + c.name + "\" given twice in this Metric");
        m.metrics.push_back(std::move(c));
    }
    return m;
}

}  // namespace ghost::usage
