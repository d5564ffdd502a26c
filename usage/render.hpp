#pragma once
// One scrape of a Metric for one node: the Prometheus text exposition (format 0.0.4) of its
// series, evaluating each node-dimension series once, pod ones once per pod and container ones
// once per container, with the Usage values cached for the scrape.

#include "usage/metric.hpp"
#include "usage/usage_state.hpp"

#include <boost/json/value.hpp>

#include <memory>
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

/// The same scrape in steps, so that a big node's scrape can give the reactor back between
/// them: each step() evaluates at most `budget` series. The state's scrape (begin_scrape) spans
/// the steps: no other scrape may run on `state` until this one is done, and the metric, node
/// and pods must stay alive until then.
class metric_render {
public:
    metric_render(const metric& m, scrape_input in, usage_state& state,
                  std::vector<std::string>* errors = nullptr);
    ~metric_render();
    metric_render(const metric_render&) = delete;
    metric_render& operator=(const metric_render&) = delete;
    /// True once the whole exposition has been appended to `out` (then nothing more to do).
    bool step(std::size_t budget, std::string& out);
    /// Series evaluated so far.
    std::size_t evaluated() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// A float as Prometheus' Go client prints it (strconv 'g', shortest: 0.85, 2.68435456e+08,
/// +Inf, NaN).
void append_prometheus_float(std::string& out, double v);

/// Adds metadata.labels / metadata.annotations as {} where they are absent, so expressions such
/// as `"k" in pod.metadata.annotations` read an empty map as with kwok's typed objects.
void fill_empty_maps(boost::json::value& object);

}  // namespace ghost::usage
