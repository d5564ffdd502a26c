#include "tools/ghostlet/sim_writer.hpp"

namespace ghost::ghostlet {
namespace {

engine::write_priority to_engine(stages::write_class c) {
    switch (c) {
    case stages::write_class::lease: return engine::write_priority::lease;
    case stages::write_class::status: return engine::write_priority::status;
    case stages::write_class::other: break;
    }
    return engine::write_priority::other;
}

}  // namespace

sim_writer::sim_writer(boost::asio::any_io_executor, engine::http_pool& pool,
                       std::string base_path, int max_in_flight,
                       std::function<void()> after_completion)
    : base_path_(std::move(base_path)),
      after_completion_(std::move(after_completion)),
      driver_(pool,
              engine::write_driver_config{.max_in_flight = static_cast<std::size_t>(max_in_flight)},
              [this](const engine::write_report& report) {
                  auto it = callbacks_.find(report.id);
                  if (it == callbacks_.end()) return;
                  auto cb = std::move(it->second);
                  callbacks_.erase(it);
                  if (report.response && cb) cb(*report.response);
                  if (after_completion_) after_completion_();
              }) {}

void sim_writer::submit(stages::write_op op) {
    if (!base_path_.empty()) op.request.target = base_path_ + op.request.target;
    op.request.headers.emplace_back("Accept", "application/json");
    auto id = driver_.submit(std::move(op.key), to_engine(op.priority), std::move(op.request));
    if (op.on_done) callbacks_.emplace(id, std::move(op.on_done));
}

boost::asio::awaitable<void> sim_writer::async_run() { co_await driver_.run(); }

}  // namespace ghost::ghostlet
