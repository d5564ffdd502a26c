#pragma once
// A small reader for the Prometheus text exposition format: enough to diff counters and
// histograms between two scrapes and to estimate histogram quantiles.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::bench {

using label_set = std::map<std::string, std::string>;

struct prom_sample {
    std::string name;
    label_set labels;
    double value = 0;
};

// Unparseable lines are skipped; comments are ignored.
std::vector<prom_sample> parse_prom_text(std::string_view text);

// Sum of `name` grouped by the values of `keys` joined with ' ' (missing labels are "").
std::map<std::string, double> sum_by(const std::vector<prom_sample>& s, std::string_view name,
                                     const std::vector<std::string>& keys);

// after - before per key (keys only in `before` are dropped).
std::map<std::string, double> delta(const std::map<std::string, double>& before,
                                    const std::map<std::string, double>& after);

struct histogram {
    std::vector<std::pair<double, double>> buckets;   // (le, cumulative count), sorted by le
    double count = 0;
    double sum = 0;
};

// Histograms by "family{labels without le}" (labels in key order, e.g. `x{verb="PATCH"}`).
std::map<std::string, histogram> histograms(const std::vector<prom_sample>& s);

// Every series of `family` added up bucket by bucket (e.g. a per-node histogram as one).
histogram merged(const std::map<std::string, histogram>& all, std::string_view family);

// after - before, bucket by bucket.
histogram delta(const histogram& before, const histogram& after);

// Linear interpolation inside the bucket, as Prometheus' histogram_quantile; the +Inf bucket
// answers the largest finite bound. NaN when the histogram is empty.
double quantile(const histogram& h, double q);

}  // namespace ghost::bench
