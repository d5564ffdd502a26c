#include "sim/node_status.hpp"

#include "kube/patch.hpp"
#include "kube/resource.hpp"
#include "kube/time.hpp"
#include "kube/write_requests.hpp"
#include "sim/node_registry.hpp"

#include <boost/json/parse.hpp>

namespace ghost::sim {

namespace json = boost::json;
using namespace std::chrono;

// --- the decision -------------------------------------------------------------------------

std::optional<node_status_fsm::time_point> node_status_fsm::report_due() const {
    if (!last_report_) return std::nullopt;
    return *last_report_ + timing_->report_frequency + delay_;
}

bool node_status_fsm::period_expired(time_point now) const {
    auto due = report_due();
    return !due || now >= *due;  // never reported (a restart): report now
}

milliseconds node_status_fsm::next_period(double rand01) const {
    auto f = duration<double, std::milli>(timing_->update_frequency);
    return duration_cast<milliseconds>(f * (1.0 + timing_->update_jitter * rand01));
}

node_status_fsm::action node_status_fsm::tick(time_point now, bool changed, double rand01) {
    if (busy_) return action::none;
    bool first = !last_report_;
    if (!changed && !period_expired(now)) return action::none;
    // A report for a real change (or the first one) draws a new one-time delay; a report
    // made because the period ran out keeps the cadence (delay 0).
    if (changed || first) {
        auto f = duration<double, std::milli>(timing_->report_frequency);
        delay_ = duration_cast<milliseconds>(f * (rand01 - 0.5));
    } else {
        delay_ = milliseconds(0);
    }
    busy_ = true;
    tries_ = 1;
    return action::patch;
}

node_status_fsm::action node_status_fsm::fail_try() {
    if (tries_ >= timing_->tries) {
        busy_ = false;  // "update node status exceeds retry count": the next tick tries again
        return action::none;
    }
    ++tries_;
    return action::get;
}

node_status_fsm::action node_status_fsm::patch_done(bool ok, time_point now) {
    if (!busy_) return action::none;
    if (ok) {
        last_report_ = now;
        busy_ = false;
        return action::none;
    }
    return fail_try();
}

node_status_fsm::action node_status_fsm::get_done(bool ok, bool changed, time_point now) {
    if (!busy_) return action::none;
    if (!ok) return fail_try();
    if (changed || period_expired(now)) return action::patch;
    busy_ = false;  // the fresh node needs no report after all
    return action::none;
}

// --- the status ---------------------------------------------------------------------------

const node_condition_spec (&kubelet_node_conditions())[4] {
    // nodestatus.ReadyCondition / MemoryPressureCondition / DiskPressureCondition /
    // PIDPressureCondition: reasons and messages as the kubelet writes them.
    static const node_condition_spec list[4] = {
        {"Ready", "True", "KubeletReady", "kubelet is posting ready status"},
        {"MemoryPressure", "False", "KubeletHasSufficientMemory",
         "kubelet has sufficient memory available"},
        {"DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
        {"PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
    };
    return list;
}

namespace {

std::string_view string_at(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_string()) return {};
    return it->value().get_string();
}

}  // namespace

node_status_digest digest_node_status(const json::object& node) {
    node_status_digest d;
    auto st = node.find("status");
    if (st == node.end() || !st->value().is_object()) return d;
    auto conds = st->value().get_object().find("conditions");
    if (conds == st->value().get_object().end() || !conds->value().is_array()) return d;
    const auto& specs = kubelet_node_conditions();
    for (const auto& c : conds->value().get_array()) {
        if (!c.is_object()) continue;
        const auto& o = c.get_object();
        auto type = string_at(o, "type");
        for (int i = 0; i < 4; ++i) {
            if (type != specs[i].type) continue;
            if (string_at(o, "status") != specs[i].status) break;
            d.same_status |= static_cast<std::uint8_t>(1u << i);
            if (string_at(o, "reason") == specs[i].reason &&
                string_at(o, "message") == specs[i].message)
                d.same_all |= static_cast<std::uint8_t>(1u << i);
            break;
        }
    }
    return d;
}

json::object make_node_status_patch(const node_status_digest& cached, const std::string& now_text) {
    json::array conditions;
    const auto& specs = kubelet_node_conditions();
    for (int i = 0; i < 4; ++i) {
        json::object c{{"type", specs[i].type},
                       {"status", specs[i].status},
                       {"reason", specs[i].reason},
                       {"message", specs[i].message},
                       {"lastHeartbeatTime", now_text}};
        if (!(cached.same_status & (1u << i))) c["lastTransitionTime"] = now_text;
        conditions.emplace_back(std::move(c));
    }
    return json::object{{"status", json::object{{"conditions", std::move(conditions)}}}};
}

// --- the loops ----------------------------------------------------------------------------

node_status_reporter::node_status_reporter(node_status_timing timing, engine::scheduler& timers,
                                           write_sink sink, wall_clock wall_now,
                                           std::uint64_t seed)
    : timing_(timing), timers_(timers), sink_(std::move(sink)), wall_now_(std::move(wall_now)),
      rng_(seed ? seed : std::random_device{}()) {
    if (!wall_now_) wall_now_ = [] { return system_clock::now(); };
}

node_status_reporter::~node_status_reporter() {
    for (auto& [name, loop] : nodes_) timers_.cancel(loop.timer);
}

double node_status_reporter::rand01() {
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
}

void node_status_reporter::start(const std::string& node) {
    auto [it, fresh] = nodes_.try_emplace(node, timing_);
    if (!fresh) return;
    it->second.generation = ++generation_;
    auto first = duration_cast<engine::scheduler::clock::duration>(
        duration<double, std::milli>(timing_.update_frequency) * rand01());
    schedule(node, it->second, timers_.now() + first);
}

void node_status_reporter::stop(const std::string& node) {
    auto it = nodes_.find(node);
    if (it == nodes_.end()) return;
    timers_.cancel(it->second.timer);
    nodes_.erase(it);  // replies still in flight find another generation (or none) and stop
}

bool node_status_reporter::running(std::string_view node) const {
    return nodes_.count(std::string(node)) > 0;
}

void node_status_reporter::on_node(const std::string& node, node_status_digest digest) {
    auto it = nodes_.find(node);
    if (it == nodes_.end()) return;
    it->second.cached = digest;
    it->second.seen = true;
}

node_status_reporter::node_loop* node_status_reporter::find(const std::string& node,
                                                            std::uint64_t generation) {
    auto it = nodes_.find(node);
    if (it == nodes_.end() || it->second.generation != generation) return nullptr;
    return &it->second;
}

void node_status_reporter::schedule(const std::string& node, node_loop& loop,
                                    engine::scheduler::time_point due) {
    loop.timer = timers_.add(due, [this, node, gen = loop.generation] {
        if (find(node, gen)) tick(node);
    });
}

void node_status_reporter::tick(const std::string& node) {
    auto& loop = nodes_.at(node);
    ++stats_.ticks;
    auto now = timers_.now();
    // Before the node's watch delivered it there is nothing to compute a status from.
    if (loop.seen) act(node, loop, loop.fsm.tick(now, loop.cached.changed(), rand01()));
    schedule(node, loop, now + loop.fsm.next_period(rand01()));
}

void node_status_reporter::act(const std::string& node, node_loop& loop,
                               node_status_fsm::action a) {
    if (a == node_status_fsm::action::patch) send_patch(node, loop);
    if (a == node_status_fsm::action::get) send_get(node, loop);
}

void node_status_reporter::send_patch(const std::string& node, node_loop& loop) {
    ++stats_.patches;
    if (loop.cached.changed()) ++stats_.changed_patches;
    auto body = make_node_status_patch(loop.cached, kube::format_rfc3339(wall_now_()));
    write_op op;
    op.key = "node-status/" + node;
    op.priority = engine::write_priority::status;
    op.request = kube::make_patch_request(kube::object_path(kube::resources::nodes(), "", node, "status"),
                                          kube::patch_type::strategic, body);
    op.on_done = [this, node, gen = loop.generation](const engine::result<engine::http_response>& r) {
        auto* l = find(node, gen);
        if (!l) return;
        bool ok = r && r->status / 100 == 2;
        if (!ok) ++stats_.failures;
        if (ok) {
            // The reply is the node as written: the cache's view until the watch catches up.
            boost::system::error_code ec;
            auto v = json::parse(r->body, ec);
            if (!ec && v.is_object()) l->cached = digest_node_status(v.get_object());
        }
        act(node, *l, l->fsm.patch_done(ok, timers_.now()));
    };
    sink_(std::move(op));
}

void node_status_reporter::send_get(const std::string& node, node_loop& loop) {
    ++stats_.gets;
    write_op op;
    op.key = "node-status-get/" + node;
    op.priority = engine::write_priority::status;
    op.request.method = boost::beast::http::verb::get;
    op.request.target = kube::object_path(kube::resources::nodes(), "", node, "");
    op.on_done = [this, node, gen = loop.generation](const engine::result<engine::http_response>& r) {
        auto* l = find(node, gen);
        if (!l) return;
        bool ok = false;
        if (r && r->status / 100 == 2) {
            boost::system::error_code ec;
            auto v = json::parse(r->body, ec);
            if (!ec && v.is_object()) {
                l->cached = digest_node_status(v.get_object());
                ok = true;
            }
        }
        if (!ok) ++stats_.failures;
        act(node, *l, l->fsm.get_done(ok, l->cached.changed(), timers_.now()));
    };
    sink_(std::move(op));
}

}  // namespace ghost::sim
