#include "bench/scenario/prom_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace ghost::bench {
namespace {

double parse_value(std::string_view v) {
    if (v == "+Inf" || v == "Inf") return std::numeric_limits<double>::infinity();
    if (v == "-Inf") return -std::numeric_limits<double>::infinity();
    if (v == "NaN") return std::numeric_limits<double>::quiet_NaN();
    std::string s(v);
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (end == s.c_str()) return std::numeric_limits<double>::quiet_NaN();
    return d;
}

// Parses `{a="x",b="y"}` starting at text[i] == '{'; leaves i after '}'. False if malformed.
bool parse_labels(std::string_view text, std::size_t& i, label_set& out) {
    ++i;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == ',')) ++i;
        if (i < text.size() && text[i] == '}') {
            ++i;
            return true;
        }
        auto eq = text.find('=', i);
        if (eq == std::string_view::npos || eq + 1 >= text.size() || text[eq + 1] != '"')
            return false;
        std::string key(text.substr(i, eq - i));
        std::string value;
        i = eq + 2;
        while (i < text.size() && text[i] != '"') {
            if (text[i] == '\\' && i + 1 < text.size()) {
                ++i;
                value += text[i] == 'n' ? '\n' : text[i];
            } else {
                value += text[i];
            }
            ++i;
        }
        if (i >= text.size()) return false;
        ++i;
        out.emplace(std::move(key), std::move(value));
    }
    return false;
}

std::string series_key(const std::string& family, const label_set& labels) {
    std::string key = family;
    bool first = true;
    for (const auto& [k, v] : labels) {
        if (k == "le") continue;
        key += first ? "{" : ",";
        key += k + "=\"" + v + "\"";
        first = false;
    }
    if (!first) key += "}";
    return key;
}

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(),
                                                  suffix) == 0;
}

}  // namespace

std::vector<prom_sample> parse_prom_text(std::string_view text) {
    std::vector<prom_sample> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto eol = text.find('\n', pos);
        if (eol == std::string_view::npos) eol = text.size();
        auto line = text.substr(pos, eol - pos);
        pos = eol + 1;
        if (line.empty() || line[0] == '#') continue;
        prom_sample s;
        std::size_t i = 0;
        while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
        s.name = std::string(line.substr(0, i));
        if (i < line.size() && line[i] == '{' && !parse_labels(line, i, s.labels)) continue;
        while (i < line.size() && line[i] == ' ') ++i;
        auto end = line.find(' ', i);
        s.value = parse_value(line.substr(i, end == std::string_view::npos ? end : end - i));
        if (s.name.empty() || std::isnan(s.value)) continue;
        out.push_back(std::move(s));
    }
    return out;
}

std::map<std::string, double> sum_by(const std::vector<prom_sample>& samples,
                                     std::string_view name,
                                     const std::vector<std::string>& keys) {
    std::map<std::string, double> out;
    for (const auto& s : samples) {
        if (s.name != name) continue;
        std::string key;
        for (std::size_t k = 0; k < keys.size(); ++k) {
            auto it = s.labels.find(keys[k]);
            if (k) key += ' ';
            key += it == s.labels.end() ? "" : it->second;
        }
        out[key] += s.value;
    }
    return out;
}

std::map<std::string, double> delta(const std::map<std::string, double>& before,
                                    const std::map<std::string, double>& after) {
    std::map<std::string, double> out;
    for (const auto& [k, v] : after) {
        auto it = before.find(k);
        out[k] = v - (it == before.end() ? 0.0 : it->second);
    }
    return out;
}

std::map<std::string, histogram> histograms(const std::vector<prom_sample>& samples) {
    std::map<std::string, histogram> out;
    for (const auto& s : samples) {
        if (ends_with(s.name, "_bucket")) {
            auto it = s.labels.find("le");
            if (it == s.labels.end()) continue;
            auto family = s.name.substr(0, s.name.size() - 7);
            out[series_key(family, s.labels)].buckets.emplace_back(parse_value(it->second),
                                                                   s.value);
        }
    }
    for (const auto& s : samples) {
        for (const char* suffix : {"_count", "_sum"}) {
            if (!ends_with(s.name, suffix)) continue;
            auto family = s.name.substr(0, s.name.size() - std::string_view(suffix).size());
            auto it = out.find(series_key(family, s.labels));
            if (it == out.end()) continue;
            (suffix[1] == 'c' ? it->second.count : it->second.sum) = s.value;
        }
    }
    for (auto& [k, h] : out) std::sort(h.buckets.begin(), h.buckets.end());
    return out;
}

histogram merged(const std::map<std::string, histogram>& all, std::string_view family) {
    histogram out;
    std::map<double, double> by_le;
    for (const auto& [key, h] : all) {
        std::string_view k = key;
        if (!k.starts_with(family) || (k.size() > family.size() && k[family.size()] != '{'))
            continue;
        out.count += h.count;
        out.sum += h.sum;
        for (const auto& [le, c] : h.buckets) by_le[le] += c;
    }
    out.buckets.assign(by_le.begin(), by_le.end());
    return out;
}

histogram delta(const histogram& before, const histogram& after) {
    histogram d = after;
    d.count -= before.count;
    d.sum -= before.sum;
    for (auto& [le, c] : d.buckets) {
        for (const auto& [ble, bc] : before.buckets) {
            if (ble == le) c -= bc;
        }
    }
    return d;
}

double quantile(const histogram& h, double q) {
    if (h.buckets.empty()) return std::numeric_limits<double>::quiet_NaN();
    double total = h.buckets.back().second;
    if (total <= 0) return std::numeric_limits<double>::quiet_NaN();
    double rank = q * total;
    double prev_le = 0, prev_count = 0;
    for (const auto& [le, count] : h.buckets) {
        if (count >= rank) {
            if (std::isinf(le)) return prev_le;   // largest finite bound
            if (count == prev_count) return le;
            return prev_le + (le - prev_le) * (rank - prev_count) / (count - prev_count);
        }
        prev_le = std::isinf(le) ? prev_le : le;
        prev_count = count;
    }
    return prev_le;
}

}  // namespace ghost::bench
