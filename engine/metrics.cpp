#include "engine/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace ghost::engine {

histogram::histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {
    std::sort(bounds_.begin(), bounds_.end());
}

void histogram::observe(double v) noexcept {
    auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
    ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
    ++count_;
    sum_ += v;
}

double histogram::quantile(double q) const noexcept {
    if (count_ == 0) return 0;
    double rank = q * static_cast<double>(count_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        if (counts_[i] == 0) continue;
        if (static_cast<double>(seen + counts_[i]) >= rank) {
            if (i == bounds_.size()) return bounds_.empty() ? 0 : bounds_.back();
            double lo = i == 0 ? 0 : bounds_[i - 1];
            double hi = bounds_[i];
            double within = (rank - static_cast<double>(seen)) / static_cast<double>(counts_[i]);
            return lo + (hi - lo) * std::clamp(within, 0.0, 1.0);
        }
        seen += counts_[i];
    }
    return bounds_.empty() ? 0 : bounds_.back();
}

std::vector<double> histogram::exponential_bounds(double start, double factor, int count) {
    std::vector<double> out;
    double v = start;
    for (int i = 0; i < count; ++i, v *= factor) out.push_back(v);
    return out;
}

counter& metrics_registry::add_counter(std::string name, std::string help, std::string labels) {
    entries_.push_back({std::move(name), std::move(help), "counter", std::move(labels),
                        std::make_unique<counter>(), nullptr, {}});
    return *entries_.back().c;
}

histogram& metrics_registry::add_histogram(std::string name, std::string help,
                                           std::vector<double> bounds, std::string labels) {
    entries_.push_back({std::move(name), std::move(help), "histogram", std::move(labels), nullptr,
                        std::make_unique<histogram>(std::move(bounds)), {}});
    return *entries_.back().h;
}

void metrics_registry::add_gauge(std::string name, std::string help, std::function<double()> read,
                                 std::string labels) {
    entries_.push_back({std::move(name), std::move(help), "gauge", std::move(labels), nullptr,
                        nullptr, std::move(read)});
}

std::string metrics_registry::render() const {
    std::ostringstream out;
    out.precision(9);
    std::string last_family;
    auto with_labels = [](const std::string& labels, const std::string& extra) {
        std::string all = labels;
        if (!extra.empty()) all += (all.empty() ? "" : ",") + extra;
        return all.empty() ? std::string() : "{" + all + "}";
    };
    for (const auto& e : entries_) {
        if (e.name != last_family) {
            out << "# HELP " << e.name << ' ' << e.help << "\n# TYPE " << e.name << ' ' << e.type
                << '\n';
            last_family = e.name;
        }
        if (e.c) {
            out << e.name << with_labels(e.labels, "") << ' ' << e.c->value() << '\n';
        } else if (e.gauge) {
            out << e.name << with_labels(e.labels, "") << ' ' << e.gauge() << '\n';
        } else if (e.h) {
            std::uint64_t cumulative = 0;
            const auto& b = e.h->bounds();
            for (std::size_t i = 0; i < b.size(); ++i) {
                cumulative += e.h->buckets()[i];
                std::ostringstream le;
                le.precision(9);
                le << "le=\"" << b[i] << '"';
                out << e.name << "_bucket" << with_labels(e.labels, le.str()) << ' ' << cumulative
                    << '\n';
            }
            out << e.name << "_bucket" << with_labels(e.labels, "le=\"+Inf\"") << ' '
                << e.h->count() << '\n';
            out << e.name << "_sum" << with_labels(e.labels, "") << ' ' << e.h->sum() << '\n';
            out << e.name << "_count" << with_labels(e.labels, "") << ' ' << e.h->count() << '\n';
        }
    }
    return out.str();
}

}  // namespace ghost::engine
