// ghost_scenario: runs whole-cluster scenarios first for ghostlet, then for kwok, each on a
// fresh ghostctl cluster with identical settings, and writes JSON per run, results.md and SVGs.

#include "bench/scenario/report.hpp"
#include "bench/scenario/scenario.hpp"
#include "engine/flags.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <map>
#include <sstream>

#include <csignal>
#include <ctime>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace ghost::bench;
namespace engine = ghost::engine;

namespace {

const char* usage = R"(usage: ghost_scenario [flags]
  --scenario NAME        kwok-benchmark | pod-startup | steady-state | metrics-scrape | backlog |
                         smoke | all (the first four)
                         (comma-separated list allowed; default smoke)
  --simulators LIST      ghostlet,kwok (default; runs in this order)
  --nodes N              nodes (kwok-benchmark 5000, pod-startup 100, steady-state 10000,
                         metrics-scrape 1000, backlog 10000, smoke 20)
  --pods N               pods on one node (kwok-benchmark 10000, smoke 100)
  --pods-per-node N      pod-startup 30, steady-state 10, metrics-scrape 10, backlog 5
  --window S             steady-state / metrics-scrape window in seconds (120; backlog: the
                         steady window before the load, 30)
  --pause S              backlog: how long kube-apiserver is stopped (60)
  --heartbeat-factor F   ghostctl --heartbeat-factor (5, as kwokctl)
  --<scenario>.<size> V  a size for one scenario only, e.g. --steady-state.nodes 2000
  --out DIR              output directory (default build/bench-results/<UTC timestamp>)
  --ghostctl PATH        ghostctl binary (default: <build>/apps/ghostctl/ghostctl)
  --kwok PATH            kwok binary (default: $GHOSTLET_CACHE/bin/current/kwok)
  --kwok-stages DIR      kwok's stage tree (default: <repo>/../shared/kwok-stages)
  --kwok-metrics DIR     kwok's Metric and usage files (default: <repo>/../shared/kwok-metrics)
  --parallelism N        concurrent create/delete requests of the runner (16, as kwokctl scale)
  --stall-seconds S      end a phase after S seconds without progress (60)
  --timeout-scale X      multiply every phase timeout (1; a phase gets 60 s + 25 ms/object)
  --ghostlet-args LIST   comma-separated extra ghostlet flags KEY=VALUE, e.g. api-mode=kubelet
  --keep-clusters        do not delete the clusters afterwards
  --require-complete     exit 2 unless every phase of every run reached its target
  --report-only DIR      re-render results.md and the SVGs from the JSON files in DIR
)";

void on_signal(int) { interrupted = true; }

std::string utc_stamp() {
    std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::gmtime(&t));
    return buf;
}

fs::path self_dir() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::current_path() : p.parent_path();
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        auto comma = s.find(',', pos);
        if (comma == std::string::npos) comma = s.size();
        if (comma > pos) out.push_back(s.substr(pos, comma - pos));
        pos = comma + 1;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    runner_config cfg;
    std::string scenario = "smoke";
    std::vector<std::string> sims{"ghostlet", "kwok"};
    bool require_complete = false;
    fs::path out, report_only;
    const char* cache = std::getenv("GHOSTLET_CACHE");
    const char* home = std::getenv("HOME");
    cfg.kwok = (cache && *cache ? fs::path(cache) : fs::path(home ? home : "/root") / ".cache/ghostlet") /
               "bin/current/kwok";
    cfg.kwok_stages = fs::path(GHOST_SCENARIO_SOURCE_DIR) / ".." / "shared" / "kwok-stages";
    cfg.kwok_metrics = fs::path(GHOST_SCENARIO_SOURCE_DIR) / ".." / "shared" / "kwok-metrics";
    // <build>/bench/scenario/ghost_scenario -> <build>/apps/ghostctl/ghostctl
    cfg.ghostctl = self_dir().parent_path().parent_path() / "apps" / "ghostctl" / "ghostctl";
    bool help = false;
    std::string sims_text = "ghostlet,kwok";
    std::string ghostlet_args_text;
    std::string out_text, report_only_text, ghostctl_text = cfg.ghostctl.string(),
                kwok_text = cfg.kwok.string(), stages_text = cfg.kwok_stages.string(),
                metrics_text = cfg.kwok_metrics.string();
    engine::flag_set flags("ghost_scenario");
    auto number = [](const std::string& v) {
        std::size_t used = 0;
        double d = -1;
        try {
            d = std::stod(v, &used);
        } catch (const std::exception&) {
        }
        if (used != v.size() || !(d >= 0)) {
            throw engine::invalid_value("expected a number >= 0, got \"" + v + "\"");
        }
        return d;
    };
    flags.boolean("help", &help, "print this help", 'h')
        .string("scenario", &scenario, "comma-separated list or all")
        .string("simulators", &sims_text, "ghostlet and/or kwok")
        .string("out", &out_text, "output directory")
        .string("ghostctl", &ghostctl_text, "ghostctl binary")
        .string("kwok", &kwok_text, "kwok binary")
        .string("ghostlet-args", &ghostlet_args_text, "extra ghostlet flags")
        .string("kwok-stages", &stages_text, "kwok's stage tree")
        .string("kwok-metrics", &metrics_text, "kwok's Metric and usage documents")
        .add("parallelism", 0, false, "int", "concurrent requests of the runner",
             [&](const std::string& v) {
                 cfg.parallelism = static_cast<int>(engine::parse_int(v, 1, 10'000));
             })
        .add("stall-seconds", 0, false, "float", "end a phase after S s without progress",
             [&](const std::string& v) { cfg.stall_seconds = number(v); })
        .add("timeout-scale", 0, false, "float", "multiply every phase timeout",
             [&](const std::string& v) { cfg.timeout_scale = number(v); })
        .boolean("keep-clusters", &cfg.keep_clusters, "keep the clusters")
        .boolean("require-complete", &require_complete, "exit 2 unless every phase completed")
        .string("report-only", &report_only_text, "re-render the report from DIR");
    // Sizes, for every scenario or one: --nodes, --steady-state.nodes, ...
    for (const char* size : {"nodes", "pods", "pods-per-node", "window", "pause",
                             "heartbeat-factor"}) {
        std::vector<std::string> keys{size};
        for (const auto& sc : scenario_names()) {
            keys.push_back(sc + "." + size);
        }
        for (const auto& key : keys) {
            flags.add(key, 0, false, "number", "a size (see above)",
                      [&cfg, key, number](const std::string& v) { cfg.sizes[key] = number(v); });
            if (key != size) flags.hidden(key);
        }
    }
    try {
        auto parsed = flags.parse(std::vector<std::string>(argv + 1, argv + argc));
        if (help) {
            std::cout << usage;
            return 0;
        }
        if (!parsed.positionals.empty()) {
            throw std::invalid_argument("unexpected argument " + parsed.positionals.front());
        }
        sims = split(sims_text);
        if (!ghostlet_args_text.empty()) cfg.ghostlet_args = split(ghostlet_args_text);
        for (const auto& a : cfg.ghostlet_args)
            if (a.empty() || a.starts_with("-"))
                throw std::invalid_argument("--ghostlet-args: expected KEY=VALUE or KEY without "
                                            "dashes, got \"" + a + "\"");
        out = out_text;
        report_only = report_only_text;
        cfg.ghostctl = ghostctl_text;
        cfg.kwok = kwok_text;
        cfg.kwok_stages = stages_text;
        cfg.kwok_metrics = metrics_text;
        for (const auto& s : sims) {
            if (s != "ghostlet" && s != "kwok")
                throw std::invalid_argument("--simulators: expected ghostlet and/or kwok, got " + s);
        }
    } catch (const std::exception& e) {
        std::cerr << "ghost_scenario: " << e.what() << " (see --help)\n";
        return 2;
    }
    if (!report_only.empty()) {
        std::vector<run_result> runs;
        std::map<std::string, std::vector<const run_result*>> by_scenario;
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(report_only)) {
            if (e.path().extension() == ".json") files.push_back(e.path());
        }
        std::sort(files.begin(), files.end());
        try {
            for (const auto& f : files) {
                std::ifstream in(f);
                std::stringstream ss;
                ss << in.rdbuf();
                runs.push_back(run_from_json(boost::json::parse(ss.str())));
            }
        } catch (const std::exception& e) {
            std::cerr << "ghost_scenario: --report-only: " << e.what() << "\n";
            return 1;
        }
        // Files sort as <scenario>-ghostlet before <scenario>-kwok.
        for (const auto& r : runs) by_scenario[r.scenario].push_back(&r);
        std::ofstream(report_only / "results.md") << markdown_report(runs);
        for (const auto& [name, rs] : by_scenario)
            std::ofstream(report_only / (name + ".svg")) << svg_report(name, rs);
        std::cout << markdown_report(runs);
        return 0;
    }
    std::vector<std::string> names =
        scenario == "all" ? std::vector<std::string>{"kwok-benchmark", "pod-startup", "steady-state",
                                                     "metrics-scrape"}
                          : split(scenario);
    std::vector<scenario_spec> specs;
    try {
        for (const auto& n : names) specs.push_back(make_scenario(n, cfg));
    } catch (const std::exception& e) {
        std::cerr << "ghost_scenario: " << e.what() << "\n";
        return 2;
    }
    if (!fs::exists(cfg.ghostctl)) {
        std::cerr << "ghost_scenario: ghostctl not found at " << cfg.ghostctl << " (--ghostctl)\n";
        return 2;
    }
    if (out.empty()) out = fs::current_path() / "build" / "bench-results" / utc_stamp();
    cfg.out_dir = fs::absolute(out);
    fs::create_directories(cfg.out_dir);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGPIPE, SIG_IGN);

    std::vector<run_result> runs;
    auto write_outputs = [&] {
        std::ofstream(cfg.out_dir / "results.md") << markdown_report(runs);
        for (const auto& s : specs) {
            std::vector<const run_result*> mine;
            for (const auto& r : runs) {
                if (r.scenario == s.name) mine.push_back(&r);
            }
            if (!mine.empty()) std::ofstream(cfg.out_dir / (s.name + ".svg")) << svg_report(s.name, mine);
        }
    };
    for (const auto& s : specs) {
        for (const auto& sim : sims) {
            if (interrupted) break;
            runs.push_back(run_scenario(s, sim, cfg));
            std::ofstream(cfg.out_dir / (s.name + "-" + sim + ".json"))
                << boost::json::serialize(to_json(runs.back())) << "\n";
            write_outputs();   // partial results survive an interrupted suite
        }
    }
    write_outputs();
    std::cout << markdown_report(runs) << "\nResults in " << cfg.out_dir.string() << "\n";
    if (interrupted) return 130;
    if (require_complete) {
        for (const auto& r : runs) {
            for (const auto& p : r.phases) {
                if (p.status != "ok" || (p.target && p.done < p.target)) {
                    std::cerr << "ghost_scenario: " << r.simulator << " " << r.scenario << "/"
                              << p.name << " did not complete: " << p.status << " " << p.done
                              << "/" << p.target << "\n";
                    return 2;
                }
            }
            if (r.status != "ok" || r.phases.empty()) {
                std::cerr << "ghost_scenario: " << r.simulator << " " << r.scenario << ": "
                          << r.status << " " << r.note << "\n";
                return 2;
            }
        }
    }
    return 0;
}
