#include "usage/usage_state.hpp"

#include "engine/log.hpp"
#include "stages/cel_funcs.hpp"

namespace ghost::usage {

namespace cel = lang::cel;

namespace {

std::string_view text_at(const cel::value& obj, std::string_view a, std::string_view b) {
    auto x = obj.map_find_string(a);
    if (!x) return {};
    auto y = x->map_find_string(b);
    return y && y->is(cel::kind::string_) ? y->as_string() : std::string_view();
}

std::optional<cel::value> containers_of(const cel::value& pod) {
    auto spec = pod.map_find_string("spec");
    if (!spec) return std::nullopt;
    auto c = spec->map_find_string("containers");
    if (!c || !c->is(cel::kind::list)) return std::nullopt;
    return c;
}

std::string_view name_of(const cel::value& v) {
    auto n = v.map_find_string("name");
    return n && n->is(cel::kind::string_) ? n->as_string() : std::string_view();
}

}  // namespace

usage_state::usage_state(clock_fn clock)
    : clock_(std::move(clock)),
      env_(stages::make_metric_cel_environment(
          {[this](const cel::value& o, std::string_view r, const std::string_view* c, bool cum) {
               return usage(o, r, c, cum);
           },
           [this](const cel::value& v) {
               std::string_view name = v.is(cel::kind::string_) ? v.as_string()
                                                                : text_at(v, "metadata", "name");
               return cel::value::real(started_ ? double(started_(name)) : 0.0);
           }})) {}

void usage_state::begin_scrape(const boost::json::value* node,
                               std::span<const boost::json::value* const> pods) {
    node_ = node;
    pods_ = pods;
    scrape_cache_.clear();
    now_ = clock_();
}

const usage_entry* usage_state::find_entry(std::string_view ns, std::string_view name,
                                           std::string_view container) const {
    for (const auto& u : usages_) {
        if (u.cluster || u.name != name || u.namespace_ != ns) continue;
        return u.find(container);  // the pod's own ResourceUsage decides, even with no entry
    }
    for (const auto& u : usages_) {
        if (!u.cluster || (u.selector && !u.selector->matches(ns, name))) continue;
        if (const auto* e = u.find(container)) return e;
    }
    return nullptr;
}

double usage_state::container_usage(const cel::value& pod, const cel::value& container,
                                    std::string_view resource) {
    auto ns = text_at(pod, "metadata", "namespace");
    auto name = text_at(pod, "metadata", "name");
    const auto* entry = find_entry(ns, name, name_of(container));
    if (!entry) return 0;
    auto it = entry->usage.find(resource);
    if (it == entry->usage.end()) return 0;
    if (it->second.quantity) return it->second.quantity->as_double();
    if (depth_ > 4) return 0;
    cel::activation vars;
    vars.bind("node", node_ ? cel::value::json(*node_) : cel::value::null());
    vars.bind("pod", pod);
    vars.bind("container", container);
    ++depth_;
    auto v = it->second.expression->evaluate(vars);
    --depth_;
    if (auto d = stages::cel_number(v)) return *d;
    GHOST_LOG_DEBUG("usage of ", resource, " for ", ns, "/", name, "/", name_of(container), ": ",
                    v.is_error() ? v.as_string() : "not a number: " + v.debug_string());
    return 0;
}

double usage_state::integrate(const std::string& key, double rate) {
    auto [it, fresh] = cumulative_.try_emplace(key, integral{now_, 0});
    if (!fresh) {
        it->second.total += std::chrono::duration<double>(now_ - it->second.at).count() * rate;
        it->second.at = now_;
    }
    return it->second.total;
}

double usage_state::pod_usage(const cel::value& pod, std::string_view resource,
                              const std::string_view* container, bool cumulative) {
    auto containers = containers_of(pod);
    if (!containers) return 0;
    auto ns = text_at(pod, "metadata", "namespace");
    auto name = text_at(pod, "metadata", "name");
    double sum = 0;
    for (std::size_t i = 0; i < containers->size(); ++i) {
        auto c = containers->list_at(i);
        auto cname = name_of(c);
        if (container && cname != *container) continue;
        std::string key;
        key.append(ns).append("/").append(name).append("/").append(cname).append("/").append(
            resource);
        if (cumulative) key.append("/total");
        auto hit = scrape_cache_.find(key);
        if (hit != scrape_cache_.end()) {
            sum += hit->second;
            continue;
        }
        double v = container_usage(pod, c, resource);
        if (cumulative) v = integrate(key.substr(0, key.size() - 6), v);
        scrape_cache_.emplace(std::move(key), v);
        sum += v;
    }
    return sum;
}

cel::value usage_state::usage(const cel::value& object, std::string_view resource,
                              const std::string_view* container, bool cumulative) {
    if (container || containers_of(object)) {
        return cel::value::real(pod_usage(object, resource, container, cumulative));
    }
    // A node: the sum over its pods (those of the node being scraped).
    auto name = text_at(object, "metadata", "name");
    if (!node_ || name.empty() || text_at(cel::value::json(*node_), "metadata", "name") != name)
        return cel::value::error("Usage: node \"" + std::string(name) + "\" is not being scraped");
    double sum = 0;
    for (const auto* pod : pods_) sum += pod_usage(cel::value::json(*pod), resource, nullptr, false);
    if (!cumulative) return cel::value::real(sum);
    std::string key = "\x01node/" + std::string(name) + "/" + std::string(resource);
    auto hit = scrape_cache_.find(key);
    if (hit != scrape_cache_.end()) return cel::value::real(hit->second);
    double total = integrate(key, sum);
    scrape_cache_.emplace(std::move(key), total);
    return cel::value::real(total);
}

void usage_state::forget_pod(std::string_view ns, std::string_view name) {
    std::string prefix = std::string(ns) + "/" + std::string(name) + "/";
    auto it = cumulative_.lower_bound(prefix);
    while (it != cumulative_.end() && it->first.starts_with(prefix)) it = cumulative_.erase(it);
}

void usage_state::forget_node(std::string_view name) {
    std::string prefix = "\x01node/" + std::string(name) + "/";
    auto it = cumulative_.lower_bound(prefix);
    while (it != cumulative_.end() && it->first.starts_with(prefix)) it = cumulative_.erase(it);
}

}  // namespace ghost::usage
