#include "usage/render.hpp"

#include "stages/cel_funcs.hpp"

#include <boost/json/object.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <utility>

namespace ghost::usage {

namespace cel = lang::cel;

namespace {

void escape_into(std::string& out, std::string_view s, bool quotes) {
    for (char c : s) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (quotes && c == '"') out += "\\\"";
        else out += c;
    }
}

struct series_value {
    double value = 0;
    std::vector<std::pair<double, double>> buckets;  ///< visible le -> cumulative count
    double count = 0, sum = 0;
};

struct evaluation {
    evaluation(const metric_config& c, std::vector<std::string>* e)
        : config(c), config_ptr(&c), errors(e) {}
    const metric_config& config;
    const metric_config* config_ptr;
    cel::activation vars;
    std::map<std::string, series_value> series;  ///< label text -> value; sorted, last wins
    std::vector<std::string>* errors;

    void fail(const std::string& what) {
        if (errors) errors->push_back("metric \"" + config.name + "\": " + what);
    }

    std::optional<double> number(const cel::program& p, const char* what) {
        auto v = p.evaluate(vars);
        if (auto d = stages::cel_number(v)) return d;
        fail(std::string(what) + ": " +
             (v.is_error() ? std::string(v.as_string()) : "not a number: " + v.debug_string()));
        return std::nullopt;
    }

    // The labels sorted by name, as `{a="x",b="y"}` ("" without labels).
    std::optional<std::string> labels() {
        std::vector<std::pair<std::string_view, std::string>> kv;
        for (const auto& l : config.labels) {
            auto v = l.value.evaluate(vars);
            auto text = stages::cel_text(v);
            if (!text) {
                fail("label " + l.name + ": " +
                     (v.is_error() ? std::string(v.as_string()) : "not a string: " + v.debug_string()));
                return std::nullopt;
            }
            kv.emplace_back(l.name, std::move(*text));
        }
        std::sort(kv.begin(), kv.end());
        std::string out;
        for (const auto& [k, v] : kv) {
            out += out.empty() ? "{" : ",";
            out.append(k).append("=\"");
            escape_into(out, v, true);
            out += '"';
        }
        if (!out.empty()) out += '}';
        return out;
    }

    void one() {
        auto l = labels();
        if (!l) return;
        series_value s;
        if (config.kind != metric_kind::histogram) {
            auto v = number(*config.value, "value");
            if (!v) return;
            s.value = *v;
        } else {
            double cumulative = 0;
            for (const auto& b : config.buckets) {
                auto v = number(b.value, "bucket value");
                if (!v) return;
                double n = std::floor(std::max(*v, 0.0));
                cumulative += n;
                s.sum += b.le * n;
                if (!b.hidden) s.buckets.emplace_back(b.le, cumulative);
            }
            s.count = cumulative;  // hidden buckets past the last visible one land in +Inf
        }
        series.insert_or_assign(std::move(*l), std::move(s));
    }
};

void append_series(std::string& out, std::string_view name, std::string_view suffix,
                   std::string_view labels, std::string_view extra, double v) {
    out.append(name).append(suffix);
    if (!labels.empty() || !extra.empty()) {
        if (labels.empty()) {
            out.append("{").append(extra).append("}");
        } else if (extra.empty()) {
            out.append(labels);
        } else {
            out.append(labels.substr(0, labels.size() - 1)).append(",").append(extra).append("}");
        }
    }
    out += ' ';
    append_prometheus_float(out, v);
    out += '\n';
}

const char* type_name(metric_kind k) {
    switch (k) {
    case metric_kind::counter: return "counter";
    case metric_kind::gauge: return "gauge";
    case metric_kind::histogram: return "histogram";
    }
    return "untyped";
}

}  // namespace

void append_prometheus_float(std::string& out, double v) {
    if (std::isnan(v)) { out += "NaN"; return; }
    if (std::isinf(v)) { out += v > 0 ? "+Inf" : "-Inf"; return; }
    if (v == 0) { out += std::signbit(v) ? "-0" : "0"; return; }
    char sci[64];
    auto r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
    std::string_view s(sci, r.ptr - sci);
    auto e = s.find('e');
    int exp = 0;
    const char* digits = s.data() + e + 1 + (s[e + 1] == '+');
    std::from_chars(digits, s.data() + s.size(), exp);
    if (exp < -4 || exp >= 6) {  // strconv shortest %g: an exponent below 1e-4 and from 1e6
        out.append(s);
        return;
    }
    char fixed[64];
    auto f = std::to_chars(fixed, fixed + sizeof fixed, v, std::chars_format::fixed);
    out.append(fixed, f.ptr);
}

void fill_empty_maps(boost::json::value& object) {
    auto* o = object.if_object();
    if (!o) return;
    auto& meta = (*o)["metadata"];
    if (!meta.is_object()) meta.emplace_object();
    for (const char* k : {"labels", "annotations"}) {
        auto& m = meta.get_object()[k];
        if (!m.is_object()) m.emplace_object();
    }
}

struct metric_render::impl {
    const metric& m;
    scrape_input in;
    usage_state& state;
    std::vector<std::string>* errors;
    std::vector<std::pair<const metric_config*, std::map<std::string, series_value>>> families;
    std::optional<evaluation> ev;  ///< the family being evaluated
    std::size_t family = 0, pod = 0, container = 0, evaluated = 0;
    bool begun = false, done = false;

    // One family's next series; false when the family is finished.
    bool next_series() {
        const auto& config = *ev->config_ptr;
        if (config.dimension == metric_dimension::node) {
            if (pod > 0) return false;
            ev->one();
            pod = 1;
            return true;
        }
        while (pod < in.pods.size()) {
            if (container == 0) ev->vars.bind("pod", cel::value::json(*in.pods[pod]));
            if (config.dimension == metric_dimension::pod) {
                ev->one();
                ++pod;
                return true;
            }
            auto pv = cel::value::json(*in.pods[pod]);
            auto spec = pv.map_find_string("spec");
            auto containers = spec ? spec->map_find_string("containers") : std::nullopt;
            if (!containers || !containers->is(cel::kind::list) || container >= containers->size()) {
                ++pod;
                container = 0;
                continue;
            }
            ev->vars.bind("container", containers->list_at(container++));
            ev->one();
            return true;
        }
        return false;
    }

    void write(std::string& out) {
        std::sort(families.begin(), families.end(),
                  [](const auto& a, const auto& b) { return a.first->name < b.first->name; });
        for (const auto& [config, series] : families) {
            if (series.empty()) continue;
            const auto& name = config->name;
            if (!config->help.empty()) {
                out.append("# HELP ").append(name).append(" ");
                escape_into(out, config->help, false);
                out += '\n';
            }
            out.append("# TYPE ").append(name).append(" ").append(type_name(config->kind)).append("\n");
            for (const auto& [labels, s] : series) {
                if (config->kind != metric_kind::histogram) {
                    append_series(out, name, "", labels, "", s.value);
                    continue;
                }
                for (const auto& [le, n] : s.buckets) {
                    std::string extra = "le=\"";
                    append_prometheus_float(extra, le);
                    extra += '"';
                    append_series(out, name, "_bucket", labels, extra, n);
                }
                append_series(out, name, "_bucket", labels, "le=\"+Inf\"", s.count);
                append_series(out, name, "_sum", labels, "", s.sum);
                append_series(out, name, "_count", labels, "", s.count);
            }
        }
    }
};

metric_render::metric_render(const metric& m, scrape_input in, usage_state& state,
                             std::vector<std::string>* errors)
    : impl_(new impl{m, std::move(in), state, errors, {}, {}, 0, 0, 0, 0, false, false}) {}

metric_render::~metric_render() {
    if (impl_->begun && !impl_->done) impl_->state.end_scrape();
}

std::size_t metric_render::evaluated() const noexcept { return impl_->evaluated; }

bool metric_render::step(std::size_t budget, std::string& out) {
    auto& r = *impl_;
    if (r.done) return true;
    if (!r.in.node) return r.done = true;
    if (!r.begun) {
        r.state.begin_scrape(r.in.node, r.in.pods);
        r.begun = true;
    }
    for (std::size_t n = 0; n < budget;) {
        if (!r.ev) {
            if (r.family == r.m.metrics.size()) break;
            r.ev.emplace(r.m.metrics[r.family], r.errors);
            r.ev->vars.bind("node", cel::value::json(*r.in.node));
            r.ev->vars.bind("pod", cel::value::null());
            r.ev->vars.bind("container", cel::value::null());
            r.pod = r.container = 0;
        }
        if (r.next_series()) {
            ++n;
            ++r.evaluated;
            continue;
        }
        r.families.emplace_back(r.ev->config_ptr, std::move(r.ev->series));
        r.ev.reset();
        ++r.family;
    }
    if (r.ev || r.family < r.m.metrics.size()) return false;
    r.state.end_scrape();
    r.write(out);
    return r.done = true;
}

void render_metric(const metric& m, const scrape_input& in, usage_state& state, std::string& out,
                   std::vector<std::string>* errors) {
    metric_render r(m, in, state, errors);
    r.step(std::numeric_limits<std::size_t>::max(), out);
}

}  // namespace ghost::usage
