#include "apps/ghostctl/snapshot_replay.hpp"

#include <algorithm>
#include <numeric>

namespace ghost::ghostctl {

namespace json = boost::json;
using namespace std::chrono;

std::vector<std::size_t> replay_order(const std::vector<nanoseconds>& offsets) {
    std::vector<std::size_t> order(offsets.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return offsets[a] < offsets[b]; });
    return order;
}

replay_runner::replay_runner(engine::scheduler& s, std::vector<nanoseconds> offsets, double speed,
                             apply_fn apply, std::function<void()> finished)
    : sched_(s),
      offsets_(std::move(offsets)),
      order_(replay_order(offsets_)),
      speed_(speed > 0 ? speed : 1.0),
      apply_(std::move(apply)),
      finished_(std::move(finished)) {}

replay_runner::~replay_runner() {
    if (timer_) sched_.cancel(*timer_);
}

engine::scheduler::time_point replay_runner::due(std::size_t index) const {
    const double ns = double(std::max(offsets_[index], nanoseconds(0)).count()) / speed_;
    return start_ + duration_cast<engine::scheduler::clock::duration>(
                        duration<double, std::nano>(ns));
}

void replay_runner::start() {
    start_ = sched_.now();
    schedule_next();
}

void replay_runner::stop() {
    stopped_ = true;
    if (timer_) {
        sched_.cancel(*timer_);
        timer_.reset();
    }
    if (!in_flight_) finish();
}

void replay_runner::finish() {
    if (finished_called_) return;
    finished_called_ = true;
    if (finished_) finished_();
}

void replay_runner::schedule_next() {
    if (stopped_ || next_ >= order_.size()) {
        finish();
        return;
    }
    const std::size_t index = order_[next_];
    // Never before its time; right away when an earlier write ran late.
    auto when = std::max(due(index), sched_.now());
    timer_ = sched_.add(when, [this, index] {
        timer_.reset();
        ++next_;
        in_flight_ = true;
        apply_(index, [this] {
            in_flight_ = false;
            ++applied_;
            schedule_next();
        });
    });
}

replay_patch_requests split_recorded_patch(json::object patch, bool has_status, bool pod) {
    replay_patch_requests r;
    if (auto* spec = patch.if_contains("spec"); pod && spec != nullptr && spec->is_object()) {
        if (const auto* n = spec->get_object().if_contains("nodeName"); n && n->is_string()) {
            r.bind_to = std::string(n->get_string());
            spec->get_object().erase("nodeName");
            if (spec->get_object().empty()) patch.erase("spec");
        }
    }
    if (has_status) {
        if (auto* s = patch.if_contains("status")) {
            r.status["status"] = std::move(*s);
            patch.erase("status");
        }
    }
    if (auto* m = patch.if_contains("metadata"); m != nullptr && m->is_object()) {
        auto& meta = m->get_object();
        if (auto* d = meta.if_contains("deletionTimestamp"); d != nullptr && !d->is_null()) {
            r.delete_after = true;
            if (const auto* g = meta.if_contains("deletionGracePeriodSeconds");
                g != nullptr && g->is_int64())
                r.grace_seconds = static_cast<int>(g->get_int64());
        }
        meta.erase("deletionTimestamp");
        meta.erase("deletionGracePeriodSeconds");
        if (meta.empty()) patch.erase("metadata");
    }
    r.main = std::move(patch);
    return r;
}

void relink_owner_uids(json::object& o,
                       const std::function<const std::string*(std::string_view)>& new_uid) {
    auto* m = o.if_contains("metadata");
    if (m == nullptr || !m->is_object()) return;
    for (const char* list : {"ownerReferences", "$setElementOrder/ownerReferences"}) {
        auto* refs = m->get_object().if_contains(list);
        if (refs == nullptr || !refs->is_array()) continue;
        for (auto& r : refs->get_array()) {
            if (!r.is_object()) continue;
            auto* uid = r.get_object().if_contains("uid");
            if (uid == nullptr || !uid->is_string()) continue;
            if (const auto* now = new_uid(uid->get_string())) *uid = *now;
        }
    }
}

}  // namespace ghost::ghostctl
