#pragma once
// Prometheus-style counters, gauges and histograms with the text exposition format. Single
// threaded like the rest of a shard: no atomics on the hot path.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::engine {

class counter {
public:
    void inc(std::uint64_t n = 1) noexcept { value_ += n; }
    std::uint64_t value() const noexcept { return value_; }

private:
    std::uint64_t value_ = 0;
};

/// Cumulative histogram over fixed upper bounds (seconds, or any unit the name says).
class histogram {
public:
    explicit histogram(std::vector<double> upper_bounds);
    void observe(double v) noexcept;
    std::uint64_t count() const noexcept { return count_; }
    double sum() const noexcept { return sum_; }
    const std::vector<double>& bounds() const noexcept { return bounds_; }
    /// Per-bucket (non-cumulative) counts; the last one is +Inf.
    const std::vector<std::uint64_t>& buckets() const noexcept { return counts_; }
    /// Estimated quantile (0..1) by linear interpolation inside the bucket, as Prometheus'
    /// histogram_quantile does; 0 when empty.
    double quantile(double q) const noexcept;

    /// `count` bounds growing by `factor` from `start` (e.g. 10us .. ~80s).
    static std::vector<double> exponential_bounds(double start, double factor, int count);

private:
    std::vector<double> bounds_;
    std::vector<std::uint64_t> counts_;
    std::uint64_t count_ = 0;
    double sum_ = 0;
};

class metrics_registry {
public:
    /// `labels` is the rendered label set without braces, e.g. `verb="patch"` (may be empty).
    counter& add_counter(std::string name, std::string help, std::string labels = {});
    histogram& add_histogram(std::string name, std::string help, std::vector<double> bounds,
                             std::string labels = {});
    /// A gauge read when the registry is rendered.
    void add_gauge(std::string name, std::string help, std::function<double()> read,
                   std::string labels = {});

    /// Text exposition format 0.0.4.
    std::string render() const;

private:
    struct family_entry {
        std::string name, help, type, labels;
        std::unique_ptr<counter> c;
        std::unique_ptr<histogram> h;
        std::function<double()> gauge;
    };
    std::vector<family_entry> entries_;
};

}  // namespace ghost::engine
