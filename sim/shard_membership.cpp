#include "sim/shard_membership.hpp"

#include "engine/log.hpp"
#include "sim/lease_writes.hpp"
#include "sim/node_registry.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>

namespace ghost::sim {

namespace {

// splitmix64's finalizer: FNV-1a alone mixes the last bytes of similar names poorly.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 14695981039346656037ull) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

bool label_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
}

bool alnum(char c) { return label_char(c) && c != '-' && c != '_' && c != '.'; }

}  // namespace

std::uint64_t rendezvous_weight(std::string_view member, std::string_view key) {
    return mix(fnv1a(key, mix(fnv1a(member))));
}

std::string_view rendezvous_owner(std::span<const std::string> members, std::string_view key) {
    std::string_view best;
    std::uint64_t best_weight = 0;
    for (const auto& m : members) {
        auto w = rendezvous_weight(m, key);
        if (best.empty() || w > best_weight || (w == best_weight && m < best)) {
            best = m;
            best_weight = w;
        }
    }
    return best;
}

std::string shard_lease_name(std::string_view group, std::string_view identity) {
    std::string name = "ghostlet-shard-";
    name += group;
    name += '-';
    name += identity;
    for (char& c : name) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
            c = '-';
    }
    if (name.size() > 253) name.resize(253);
    while (!name.empty() && !alnum(name.back())) name.pop_back();
    return name;
}

std::string shard_label_selector(std::string_view group) {
    return std::string(shard_group_label) + "=" + std::string(group);
}

std::string check_shard_group(std::string_view group) {
    if (group.empty()) return "expected a name, got \"\"";
    if (group.size() > 63) return "expected at most 63 characters (a label value), got " +
                                  std::to_string(group.size());
    if (!std::all_of(group.begin(), group.end(), label_char) || !alnum(group.front()) ||
        !alnum(group.back())) {
        return "expected a label value ([A-Za-z0-9_.-], starting and ending with a letter or "
               "digit), got \"" + std::string(group) + "\"";
    }
    return {};
}

shard_membership::shard_membership(shard_config config, engine::scheduler& timers,
                                   write_sink sink, std::function<void()> on_change)
    : config_(std::move(config)), timers_(timers), sink_(std::move(sink)),
      on_change_(std::move(on_change)) {
    if (!config_.steady_now) config_.steady_now = [this] { return timers_.now(); };
    if (!config_.wall_now) config_.wall_now = [] { return std::chrono::system_clock::now(); };
    rng_.seed(config_.seed ? config_.seed : std::random_device{}());
    lease_name_ = shard_lease_name(config_.group, config_.identity);
    kube::lease_identity id{lease_name_, "", config_.identity, config_.lease_duration_seconds,
                            {{std::string(shard_group_label), config_.group}}};
    fsm_ = std::make_unique<kube::lease_fsm>(
        std::move(id), [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); });
}

shard_membership::~shard_membership() {
    timers_.cancel(lease_timer_);
    timers_.cancel(refresh_timer_);
}

// ---------------------------------------------------------------------------------------------
// Our own membership Lease, driven like a node lease.

void shard_membership::start() {
    fsm_->observe(std::nullopt);  // usually new: CREATE first, read on 409
    lease_step();
}

engine::scheduler::time_point shard_membership::steady_at(kube::wall_clock::time_point due) const {
    auto delay = std::max(due - config_.wall_now(), std::chrono::system_clock::duration::zero());
    return config_.steady_now() +
           std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay);
}

void shard_membership::lease_schedule(kube::wall_clock::time_point due) {
    timers_.cancel(lease_timer_);
    lease_timer_ = timers_.add(steady_at(due), [this] { lease_step(); });
}

void shard_membership::lease_step() {
    if (lease_in_flight_ || leaving_) return;
    auto act = fsm_->step(config_.wall_now());
    if (act.kind == kube::lease_fsm::action_kind::wait) {
        lease_schedule(fsm_->next_due());
        return;
    }
    bool is_get = act.kind == kube::lease_fsm::action_kind::get;
    write_op op;
    op.key = "lease/" + lease_name_;
    op.priority = engine::write_priority::lease;
    op.request = lease_request(act, lease_name_);
    lease_in_flight_ = true;
    op.on_done = [this, is_get](const engine::result<engine::http_response>& r) {
        lease_in_flight_ = false;
        if (leaving_) return;
        bool acquired = apply_lease_reply(*fsm_, is_get, r, config_.wall_now(), lease_name_);
        if (!is_get && r && r->status >= 200 && r->status < 300) {
            // Our own renewal counts at once; its watch event may come later.
            boost::system::error_code ec;
            auto doc = boost::json::parse(r->body, ec);
            if (!ec && doc.is_object()) record(doc.get_object());
        }
        if (acquired) GHOST_LOG_INFO("shard group ", config_.group, ": joined as ",
                                     config_.identity, " (Lease ", lease_name_, ")");
        refresh();
        // A failed renewal is tried again within a second, not a quarter duration later:
        // two misses in a row would otherwise drop us out of the group.
        bool failed = !r || r->status >= 300;
        auto due = fsm_->next_due();
        if (failed) due = std::min(due, config_.wall_now() + std::chrono::seconds(1));
        lease_schedule(due);
    };
    sink_(std::move(op));
}

void shard_membership::leave() {
    if (leaving_) return;
    leaving_ = true;
    timers_.cancel(lease_timer_);
    auto body = fsm_->release(config_.wall_now());
    if (!body) return;
    write_op op;
    op.key = "lease/" + lease_name_;
    op.priority = engine::write_priority::lease;
    op.request = lease_request({kube::lease_fsm::action_kind::update, std::move(*body)},
                               lease_name_);
    op.on_done = [](const engine::result<engine::http_response>&) {};
    sink_(std::move(op));
}

// ---------------------------------------------------------------------------------------------
// The group's Leases.

void shard_membership::record(const boost::json::object& lease) {
    auto name = metadata_string(lease, "name");
    if (name.empty()) return;
    auto info = kube::read_lease(lease);
    auto [it, fresh] = leases_.try_emplace(std::string(name));
    auto& m = it->second;
    if (!info.holder.empty()) seen_.insert(info.holder);
    bool renewed = fresh || m.renew != info.renew_time || m.holder != info.holder;
    m.holder = std::move(info.holder);
    m.renew = info.renew_time;
    m.duration_seconds = info.duration_seconds;
    if (!renewed) return;  // an older or repeated view: the clock keeps running from before
    kube::lease_info probe;
    probe.holder = m.holder;
    probe.renew_time = m.renew;
    probe.duration_seconds = m.duration_seconds;
    if (kube::lease_expired(probe, config_.wall_now())) m.observed.reset();
    else m.observed = config_.steady_now();
}

bool shard_membership::lease_live(const member_lease& m,
                                  engine::scheduler::time_point now) const {
    return !m.holder.empty() && m.observed &&
           *m.observed + std::chrono::seconds(m.duration_seconds) >= now;
}

void shard_membership::on_lease_upsert(const boost::json::object& lease) {
    record(lease);
    refresh();
}

void shard_membership::on_lease_delete(const boost::json::object& lease) {
    leases_.erase(std::string(metadata_string(lease, "name")));
    refresh();
}

void shard_membership::on_listed() {
    listed_ = true;
    refresh();
}

bool shard_membership::alive(std::string_view holder) const {
    return std::binary_search(live_.begin(), live_.end(), holder);
}

bool shard_membership::departed(std::string_view holder) const {
    return seen_.count(holder) > 0 && !alive(holder);
}

std::string_view shard_membership::owner(std::string_view node) const {
    if (!synced_) return {};
    return rendezvous_owner(live_, node);
}

bool shard_membership::owns(std::string_view node) const {
    return synced_ && owner(node) == config_.identity;
}

// The live set at the wall clock's now; on_change when it differs (or we just synced). A
// member is live while renewTime + duration >= now, so the set is looked at again just after
// the first live lease would expire.
void shard_membership::refresh() {
    auto now = config_.steady_now();
    std::vector<std::string> live;
    for (const auto& [name, m] : leases_) {
        if (lease_live(m, now)) live.push_back(m.holder);
    }
    std::sort(live.begin(), live.end());
    live.erase(std::unique(live.begin(), live.end()), live.end());
    bool self_live = std::binary_search(live.begin(), live.end(), config_.identity);
    bool now_synced = listed_ && self_live && fsm_->held();
    bool changed = live != live_ || now_synced != synced_;
    bool was_synced = synced_;
    live_ = std::move(live);
    synced_ = now_synced;
    schedule_refresh();
    if (!changed) return;
    std::string names;
    for (const auto& m : live_) names += (names.empty() ? "" : ", ") + m;
    GHOST_LOG_INFO("shard group ", config_.group, ": ", live_.size(), " live member(s): ", names,
                   synced_ ? "" : " (not synced: no node is ours)");
    // Before the first sync nothing was ours and nothing is: no one to tell.
    if (!synced_ && !was_synced) return;
    ++changes_;
    if (on_change_) on_change_();
}

void shard_membership::schedule_refresh() {
    std::optional<engine::scheduler::time_point> next;
    auto now = config_.steady_now();
    for (const auto& [name, m] : leases_) {
        if (!lease_live(m, now)) continue;
        auto expiry = *m.observed + std::chrono::seconds(m.duration_seconds);
        if (!next || expiry < *next) next = expiry;
    }
    timers_.cancel(refresh_timer_);
    if (!next) return;
    refresh_timer_ = timers_.add(*next + std::chrono::milliseconds(1), [this] { refresh(); });
}

}  // namespace ghost::sim
