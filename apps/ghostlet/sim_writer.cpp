#include "apps/ghostlet/sim_writer.hpp"

namespace ghost::ghostlet {
namespace {

double seconds(engine::scheduler::clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

}  // namespace

sim_writer::sim_writer(engine::http_pool& pool, engine::scheduler& timers, std::string base_path,
                       engine::write_driver_config config, writer_metrics metrics,
                       std::function<void()> after_completion)
    : timers_(timers),
      base_path_(std::move(base_path)),
      metrics_(std::move(metrics)),
      after_completion_(std::move(after_completion)),
      driver_(pool, timers, config, [this](const engine::write_report& report) { completed(report); }) {}

void sim_writer::submit(sim::write_op op) {
    if (!base_path_.empty()) op.request.target = base_path_ + op.request.target;
    op.request.headers.emplace_back("Accept", "application/json");
    auto id = driver_.submit(std::move(op.key), op.priority, std::move(op.request));
    pending_.emplace(id, pending{std::move(op.on_done), timers_.now(), op.origin});
}

void sim_writer::completed(const engine::write_report& report) {
    auto it = pending_.find(report.id);
    if (it == pending_.end()) return;
    auto p = std::move(it->second);
    pending_.erase(it);
    if (!report.response) return;  // replaced by a newer write for the same object
    auto now = timers_.now();
    if (metrics_.queue_wait) metrics_.queue_wait->observe(seconds(report.sent - p.submitted));
    if (metrics_.round_trip) {
        if (auto* h = metrics_.round_trip(report.method)) h->observe(seconds(now - report.sent));
    }
    if (p.origin) {
        if (metrics_.added_latency) metrics_.added_latency->observe(seconds(now - *p.origin));
        if (metrics_.own_latency) metrics_.own_latency->observe(seconds(report.sent - *p.origin));
    }
    if (p.on_done) p.on_done(*report.response);
    if (after_completion_) after_completion_();
}

boost::asio::awaitable<void> sim_writer::async_run() { co_await driver_.run(); }

}  // namespace ghost::ghostlet
