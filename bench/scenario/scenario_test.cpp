// Pure parts of the scenario runner: Prometheus text, quantiles, latency summaries, reports,
// the backlog scenario's series and convergence.

#include "bench/scenario/backlog.hpp"
#include "bench/scenario/prom_text.hpp"
#include "bench/scenario/report.hpp"
#include "bench/scenario/results.hpp"
#include "bench/scenario/tcp_bytes.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace ghost::bench {
namespace {

const char* scrape_a = R"(# HELP apiserver_request_total x
# TYPE apiserver_request_total counter
apiserver_request_total{code="201",resource="pods",subresource="",verb="POST"} 10
apiserver_request_total{code="200",resource="nodes",subresource="status",verb="PATCH"} 4
apiserver_request_total{code="200",resource="pods",subresource="status",verb="PATCH"} 6
lat_seconds_bucket{verb="PATCH",le="0.1"} 1
lat_seconds_bucket{verb="PATCH",le="1"} 2
lat_seconds_bucket{verb="PATCH",le="+Inf"} 2
lat_seconds_sum{verb="PATCH"} 0.6
lat_seconds_count{verb="PATCH"} 2
odd{msg="a \"quoted\", b"} 3
)";

const char* scrape_b = R"(apiserver_request_total{code="201",resource="pods",subresource="",verb="POST"} 15
apiserver_request_total{code="200",resource="nodes",subresource="status",verb="PATCH"} 4
apiserver_request_total{code="200",resource="pods",subresource="status",verb="PATCH"} 16
apiserver_request_total{code="200",resource="pods",subresource="",verb="DELETE"} 7
lat_seconds_bucket{verb="PATCH",le="0.1"} 1
lat_seconds_bucket{verb="PATCH",le="1"} 12
lat_seconds_bucket{verb="PATCH",le="+Inf"} 12
lat_seconds_sum{verb="PATCH"} 5.6
lat_seconds_count{verb="PATCH"} 12
)";

TEST(PromText, ParsesLabelsWithEscapes) {
    auto s = parse_prom_text(scrape_a);
    ASSERT_EQ(s.size(), 9u);
    EXPECT_EQ(s.back().name, "odd");
    EXPECT_EQ(s.back().labels.at("msg"), "a \"quoted\", b");
    EXPECT_EQ(s.back().value, 3);
}

TEST(PromText, SumsAndDiffsByVerb) {
    auto a = sum_by(parse_prom_text(scrape_a), "apiserver_request_total", {"verb"});
    auto b = sum_by(parse_prom_text(scrape_b), "apiserver_request_total", {"verb"});
    EXPECT_EQ(a.at("PATCH"), 10);
    auto d = delta(a, b);
    EXPECT_EQ(d.at("POST"), 5);
    EXPECT_EQ(d.at("PATCH"), 10);
    EXPECT_EQ(d.at("DELETE"), 7);
    auto r = sum_by(parse_prom_text(scrape_b), "apiserver_request_total",
                    {"verb", "resource", "subresource"});
    EXPECT_EQ(r.at("PATCH pods status"), 16);
}

TEST(PromText, HistogramDeltaQuantile) {
    auto ha = histograms(parse_prom_text(scrape_a));
    auto hb = histograms(parse_prom_text(scrape_b));
    const std::string key = "lat_seconds{verb=\"PATCH\"}";
    ASSERT_TRUE(ha.count(key));
    auto d = delta(ha.at(key), hb.at(key));
    EXPECT_EQ(d.count, 10);
    EXPECT_NEAR(d.sum, 5.0, 1e-9);
    // All 10 new observations fell in (0.1, 1]: the median interpolates to the middle.
    EXPECT_NEAR(quantile(d, 0.5), 0.55, 1e-9);
    EXPECT_NEAR(quantile(d, 0.99), 0.991, 1e-9);
    EXPECT_TRUE(std::isnan(quantile(histogram{}, 0.5)));
}

TEST(PromText, AFamilyWithoutSeriesYetIsAZeroBaseline) {
    // metrics-server before its first scrape: the family is declared, no series.
    auto before = merged(histograms(parse_prom_text(
                             "# TYPE req_seconds histogram\nother_total 3\n")),
                         "req_seconds");
    EXPECT_EQ(before.count, 0);
    auto after = merged(histograms(parse_prom_text(
                            "req_seconds_bucket{node=\"a\",le=\"0.01\"} 3\n"
                            "req_seconds_bucket{node=\"a\",le=\"+Inf\"} 4\n"
                            "req_seconds_count{node=\"a\"} 4\nreq_seconds_sum{node=\"a\"} 0.02\n")),
                        "req_seconds");
    auto d = delta(before, after);
    EXPECT_EQ(d.count, 4);
    EXPECT_NEAR(quantile(d, 0.5), 0.01 * 2 / 3, 1e-9);
}

TEST(PromText, MergedAddsEverySeriesOfOneFamily) {
    // metrics-server's kubelet request histogram has one series per node.
    auto h = histograms(parse_prom_text(
        "req_seconds_bucket{node=\"a\",le=\"0.01\"} 3\n"
        "req_seconds_bucket{node=\"a\",le=\"+Inf\"} 4\n"
        "req_seconds_count{node=\"a\"} 4\nreq_seconds_sum{node=\"a\"} 0.5\n"
        "req_seconds_bucket{node=\"b\",le=\"0.01\"} 1\n"
        "req_seconds_bucket{node=\"b\",le=\"+Inf\"} 6\n"
        "req_seconds_count{node=\"b\"} 6\nreq_seconds_sum{node=\"b\"} 1.5\n"
        "req_seconds_total_bucket{le=\"+Inf\"} 100\n"));
    auto m = merged(h, "req_seconds");
    EXPECT_EQ(m.count, 10);
    EXPECT_NEAR(m.sum, 2.0, 1e-9);
    ASSERT_EQ(m.buckets.size(), 2u);
    EXPECT_EQ(m.buckets[0].second, 4);
    EXPECT_EQ(m.buckets[1].second, 10);   // not the other family's 100
    EXPECT_TRUE(merged(h, "absent").buckets.empty());
}

TEST(Results, NearestRankPercentiles) {
    std::vector<double> v;
    for (int i = 100; i >= 1; --i) v.push_back(i / 100.0);
    auto s = summarize(v);
    EXPECT_EQ(s.count, 100u);
    EXPECT_DOUBLE_EQ(s.p50, 0.50);
    EXPECT_DOUBLE_EQ(s.p90, 0.90);
    EXPECT_DOUBLE_EQ(s.p99, 0.99);
    EXPECT_DOUBLE_EQ(s.max, 1.0);
    EXPECT_EQ(summarize({}).count, 0u);
}

run_result fake_run(const std::string& sim, double wall) {
    run_result r;
    r.scenario = "smoke";
    r.simulator = sim;
    phase_result p;
    p.name = "nodes-ready";
    p.target = 20;
    p.done = 20;
    p.wall_s = wall;
    p.objects_per_s = 20 / wall;
    p.latency = summarize({0.1, 0.2, 0.3});
    p.api_by_verb["PATCH"] = 40;
    p.apiserver_cpu_s = wall * 10;
    p.schedulable_s = wall * 3;
    p.schedulable = summarize({wall, wall * 2});
    p.samples = {{0, 0, 0, 10, 0}, {wall, 20, 20, 12, 0.5}};
    r.phases.push_back(p);
    return r;
}

TEST(Report, MarkdownHasRatios) {
    std::vector<run_result> runs{fake_run("ghostlet", 1.0), fake_run("kwok", 4.0)};
    auto md = markdown_report(runs);
    EXPECT_NE(md.find("| nodes-ready | done / target (%) | 100.0 | 100.0 |"), std::string::npos) << md;
    EXPECT_NE(md.find("| nodes-ready | wall time (s) | 1.00 | 4.00 | 0.25 |"), std::string::npos)
        << md;
    EXPECT_NE(md.find("| nodes-ready | API PATCH | 40 | 40 | 1.00 |"), std::string::npos) << md;
    EXPECT_NE(md.find("| nodes-ready | kube-apiserver CPU (s) | 10.00 | 40.00 | 0.25 |"),
              std::string::npos) << md;
    EXPECT_NE(md.find("| nodes-ready | time to schedulable (s) | 3.00 | 12.00 | 0.25 |"),
              std::string::npos) << md;
    EXPECT_NE(md.find("| run | kube-apiserver CPU, all phases (s) | 10.00 | 40.00 | 0.25 |"),
              std::string::npos) << md;
    EXPECT_NE(md.find("| nodes-ready | etcd CPU (s) | — | — |"), std::string::npos)
        << "not measured is not zero: " << md;
}

TEST(Report, WindowPhasesShowTheApiServersViewPerNodeAndMinute) {
    auto window = [](const std::string& sim, double lease_puts, double watches) {
        run_result r;
        r.scenario = "steady-state";
        r.simulator = sim;
        r.settings["nodes"] = 10;
        if (sim == "ghostlet") r.settings["ghostlet_args"] = boost::json::array{"api-mode=kubelet"};
        phase_result p;
        p.name = "steady-window";
        p.wall_s = 120;  // two minutes
        p.api_by_resource["PUT leases"] = lease_puts;
        p.api_open_watches = watches;
        r.phases.push_back(p);
        return r;
    };
    auto md = markdown_report({window("ghostlet", 120, 52), window("kwok", 24, 3)});
    EXPECT_NE(md.find("ghostlet ran with `--api-mode=kubelet`"), std::string::npos) << md;
    // 120 PUTs / 10 nodes / 2 min = 6 per node and minute (a kubelet: one every 10 s).
    EXPECT_NE(md.find("| steady-window | API PUT leases per node·min | 6.000 | 1.200 | 5.00 |"),
              std::string::npos) << md;
    EXPECT_NE(md.find("| steady-window | API open WATCH requests (end) | 52 | 3 |"),
              std::string::npos) << md;
}

TEST(TcpBytes, ReadsTheProcessConnectionsFromSs) {
    const char* ss = "ESTAB 0 0 127.0.0.1:40000 127.0.0.1:6443 users:((\"ghostlet\",pid=42,fd=7))\n"
                     "\t cubic wscale:7,7 rto:204 bytes_sent:999 bytes_acked:1000 bytes_received:5000 segs_out:3\n"
                     "ESTAB 0 0 127.0.0.1:40001 127.0.0.1:6443 users:((\"other\",pid=420,fd=3))\n"
                     "\t cubic bytes_acked:7 bytes_received:7\n"
                     "ESTAB 0 0 127.0.0.1:40002 127.0.0.1:6443 users:((\"ghostlet\",pid=42,fd=8))\n"
                     "\t cubic bytes_acked:10 bytes_received:20\n";
    auto got = parse_ss_output(ss, 42);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_DOUBLE_EQ(got.at("127.0.0.1:40000 127.0.0.1:6443").sent, 1000);
    EXPECT_DOUBLE_EQ(got.at("127.0.0.1:40000 127.0.0.1:6443").received, 5000);
    EXPECT_DOUBLE_EQ(got.at("127.0.0.1:40002 127.0.0.1:6443").received, 20);

    // A connection there before counts from its earlier reading, a new one from zero.
    std::map<std::string, tcp_bytes> before{{"127.0.0.1:40000 127.0.0.1:6443", {400, 1000}}};
    auto d = tcp_delta_mb(before, got);
    EXPECT_DOUBLE_EQ(d.sent, (600 + 10) / 1e6);
    EXPECT_DOUBLE_EQ(d.received, (4000 + 20) / 1e6);
}

TEST(Results, JsonRoundTrip) {
    auto r = fake_run("kwok", 2.0);
    r.phases[0].runner_requests["POST nodes"] = 20;
    r.phases[0].scrape = scrape_figures{8000, 0.002, 0.004, 0.02, 0.3, 1000, 10000};
    auto back = run_from_json(to_json(r));
    EXPECT_EQ(back.simulator, "kwok");
    ASSERT_EQ(back.phases.size(), 1u);
    EXPECT_EQ(back.phases[0].done, 20u);
    EXPECT_DOUBLE_EQ(back.phases[0].latency.p90, 0.3);
    EXPECT_EQ(back.phases[0].runner_requests.at("POST nodes"), 20);
    EXPECT_EQ(back.phases[0].samples.size(), 2u);
    EXPECT_DOUBLE_EQ(back.phases[0].apiserver_cpu_s, 20);
    EXPECT_DOUBLE_EQ(back.phases[0].schedulable.p99, 4);
    ASSERT_TRUE(back.phases[0].scrape);
    EXPECT_DOUBLE_EQ(back.phases[0].scrape->p99_s, 0.02);
    EXPECT_DOUBLE_EQ(back.phases[0].scrape->pods_with_metrics, 10000);
    EXPECT_EQ(markdown_report({r}), markdown_report({back}));
    EXPECT_NE(markdown_report({r}).find("metrics-server scrape p99 (ms)"), std::string::npos);
}

backlog_figures fake_backlog() {
    using seg = backlog_segment;
    backlog_figures f;
    // Steady 100, 104, 96 (median 100); load up to 130; stopped up to 180; after 150, then 120.
    f.series = {{0, seg::steady, 100, 2},  {1, seg::steady, 104, 4},   {2, seg::steady, 96, 3},
                {3, seg::load, 130, 50},   {4, seg::paused, 160, 900}, {5, seg::paused, 180, 1200},
                {6, seg::resumed, 150, 300}, {7, seg::resumed, 120, std::nullopt}};
    return f;
}

TEST(Backlog, SeriesSummaryTakesTheSteadyMedianAndPeaksPerSegment) {
    auto f = fake_backlog();
    summarize_series(f);
    EXPECT_DOUBLE_EQ(f.steady_rss_mb, 100);
    EXPECT_DOUBLE_EQ(f.load_peak_rss_mb, 130);
    EXPECT_DOUBLE_EQ(f.pause_peak_rss_mb, 180);
    EXPECT_DOUBLE_EQ(f.resume_peak_rss_mb, 150);
    EXPECT_DOUBLE_EQ(f.final_rss_mb, 120);
    ASSERT_TRUE(f.peak_ratio);
    EXPECT_DOUBLE_EQ(*f.peak_ratio, 1.8);
    EXPECT_TRUE(f.within_bound);
    EXPECT_DOUBLE_EQ(f.floor_rss_mb, 96);   // the steady segment's lowest, not the load's
    EXPECT_DOUBLE_EQ(*f.floor_ratio, 180.0 / 96);
    EXPECT_DOUBLE_EQ(*f.steady_queue, 3);
    EXPECT_DOUBLE_EQ(*f.pause_peak_queue, 1200);
    EXPECT_DOUBLE_EQ(*f.resume_peak_queue, 300);   // a sample without the gauge is no zero

    f.series[5].rss_mb = 201;   // just over 2x the median
    summarize_series(f);
    EXPECT_DOUBLE_EQ(*f.peak_ratio, 2.01);
    EXPECT_FALSE(f.within_bound);
}

TEST(Backlog, NoSteadySamplesIsNoRatioAndNoPass) {
    auto f = fake_backlog();
    std::erase_if(f.series, [](const backlog_sample& s) { return s.segment == backlog_segment::steady; });
    summarize_series(f);
    EXPECT_FALSE(f.peak_ratio);
    EXPECT_FALSE(f.within_bound);
    EXPECT_FALSE(f.steady_queue);
}

TEST(Backlog, ConvergesOnlyWhenNodesLeasesAndPodsHoldAtOnce) {
    convergence_view v{.nodes = 10, .nodes_ready = 10, .leases_renewed = 3, .pods_expected = 20,
                       .pods_live = 22, .pods_running = 20, .pods_terminating = 2,
                       .loads_done = true};
    convergence_clock c;
    c.observe(1, v);
    EXPECT_EQ(c.nodes_s, 1);
    EXPECT_FALSE(c.leases_s);
    EXPECT_FALSE(c.pods_s) << "two pods still Terminating";
    v.leases_renewed = 10;
    v.pods_live = 20;
    v.pods_terminating = 0;
    v.loads_done = false;   // the runner's own requests are not all answered yet
    c.observe(2, v);
    EXPECT_EQ(c.leases_s, 2);
    EXPECT_FALSE(c.pods_s);
    EXPECT_FALSE(c.converged());
    v.loads_done = true;
    v.pods_running = 19;    // one Pending
    c.observe(3, v);
    EXPECT_FALSE(c.converged());
    v.pods_running = 20;
    c.observe(4, v);
    EXPECT_EQ(c.pods_s, 4);
    ASSERT_TRUE(c.converged());
    EXPECT_EQ(*c.all_s, 4);
    v.nodes_ready = 9;      // later changes do not move the first time
    c.observe(5, v);
    EXPECT_EQ(*c.all_s, 4);

    backlog_figures f;
    take_convergence(f, c);
    EXPECT_TRUE(f.converged);
    EXPECT_EQ(f.converge_s, 4);
    EXPECT_EQ(f.nodes_not_ready, 0u);
}

TEST(Backlog, NotConvergedSaysWhatWasMissing) {
    convergence_clock c;
    c.observe(1, convergence_view{.nodes = 10, .nodes_ready = 8, .leases_renewed = 7,
                                  .pods_expected = 20, .pods_live = 18, .pods_running = 15,
                                  .pods_terminating = 1, .loads_done = true});
    backlog_figures f;
    take_convergence(f, c);
    EXPECT_FALSE(f.converged);
    EXPECT_FALSE(f.converge_s);
    EXPECT_EQ(f.nodes_not_ready, 2u);
    EXPECT_EQ(f.leases_not_renewed, 3u);
    EXPECT_EQ(f.pods_missing, 2u);
    EXPECT_EQ(f.pods_not_running, 3u);
    EXPECT_EQ(f.pods_terminating, 1u);
}

TEST(Backlog, JsonRoundTripAndReportRows) {
    auto r = fake_run("ghostlet", 2.0);
    r.scenario = "backlog";
    auto f = fake_backlog();
    f.pause_s = 60;
    f.write_gauge_peaks["ghostlet_writer_queue_depth"] = 1200;
    summarize_series(f);
    convergence_clock c;
    c.observe(12.5, convergence_view{.nodes = 1, .nodes_ready = 1, .leases_renewed = 1,
                                     .loads_done = true});
    take_convergence(f, c);
    r.phases[0].name = "backlog";
    r.phases[0].backlog = f;
    auto back = run_from_json(to_json(r));
    ASSERT_TRUE(back.phases[0].backlog);
    const auto& b = *back.phases[0].backlog;
    ASSERT_EQ(b.series.size(), 8u);
    EXPECT_EQ(b.series[4].segment, backlog_segment::paused);
    EXPECT_FALSE(b.series[7].queue_depth);
    EXPECT_DOUBLE_EQ(*b.peak_ratio, 1.8);
    EXPECT_DOUBLE_EQ(*b.floor_ratio, 180.0 / 96);
    EXPECT_EQ(b.converge_s, 12.5);
    EXPECT_EQ(b.write_gauge_peaks.at("ghostlet_writer_queue_depth"), 1200);
    auto md = markdown_report({back});
    EXPECT_EQ(md, markdown_report({r}));
    EXPECT_NE(md.find("| backlog | RSS peak / steady | 1.80 | — |"), std::string::npos) << md;
    EXPECT_NE(md.find("| backlog | peak within 2x steady | pass | — |"), std::string::npos) << md;
    EXPECT_NE(md.find("| backlog | converged after the resume (s) | 12.5 | — |"),
              std::string::npos) << md;
    EXPECT_NE(md.find("| ghostlet | backlog | paused | 4–5 | 2 | 160.0 | 180.0 | 180.0 | 1200 |"),
              std::string::npos) << md;
}

TEST(Report, SvgHasBothSimulators) {
    auto g = fake_run("ghostlet", 1.0), k = fake_run("kwok", 2.0);
    auto svg = svg_report("smoke", {&g, &k});
    EXPECT_EQ(svg.rfind("<svg", 0), 0u);
    EXPECT_NE(svg.find("#1f77b4"), std::string::npos);
    EXPECT_NE(svg.find("#ff7f0e"), std::string::npos);
    EXPECT_NE(svg.find("<polyline"), std::string::npos);
    EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

}  // namespace
}  // namespace ghost::bench
