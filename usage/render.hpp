#pragma once
// One scrape of a Metric for one node: the Prometheus text exposition (format 0.0.4) of its
// series, evaluating each node-dimension series once, pod ones once per pod and container ones
// once per container, with the Usage values cached for the scrape.

#include "usage/metric.hpp"
#include "usage/usage_state.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace ghost::usage {

struct scrape_input {
    const boost::json::value* node = nullptr;   ///< the node; null = nothing to serve
    std::vector<const boost::json::value*> pods;  ///< its pods
};

/// Appends the exposition of `m` to `out`; families sorted by name, series by labels (as
/// Prometheus' registry does). A series whose labels or value fail to evaluate is left out and
/// its error appended to `errors` (if given) as `metric "name": ...`.
void render_metric(const metric& m, const scrape_input& in, usage_state& state, std::string& out,
                   std::vector<std::string>* errors = nullptr);

/// A float as Prometheus' Go client prints it (strconv 'g', shortest: 0.85, 2.68435456e+08,
/// +Inf, NaN).
void append_prometheus_float(std::string& out, double v);

/// Adds metadata.labels / metadata.annotations as {} where they are absent, so expressions such
/// as `"k" in pod.metadata.annotations` read an empty map as with kwok's typed objects.
void fill_empty_maps(boost::json::value& object);

}  // namespace ghost::usage
