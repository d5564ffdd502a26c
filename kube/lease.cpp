#include "kube/lease.hpp"

#include "kube/resource.hpp"

#include <boost/json/array.hpp>

#include <algorithm>


namespace ghost::kube {

namespace json = boost::json;
using namespace std::chrono;

std::string node_lease_path(std::string_view node_name) {
    auto r = resources::leases();
    return node_name.empty() ? collection_path(r, node_lease_namespace)
                             : object_path(r, node_lease_namespace, node_name);
}

lease_info read_lease(const json::object& lease) {
    lease_info info;
    if (auto* md = lease.if_contains("metadata"); md && md->is_object()) {
        const auto& m = md->get_object();
        if (auto* rv = m.if_contains("resourceVersion"); rv && rv->is_string())
            info.resource_version = rv->get_string();
        if (auto* owners = m.if_contains("ownerReferences"); owners && owners->is_array()) {
            for (const auto& o : owners->get_array()) {
                if (!o.is_object()) continue;
                auto* kind = o.get_object().if_contains("kind");
                if (kind && kind->is_string() && kind->get_string() == "Node") info.has_owner = true;
            }
        }
    }
    if (auto* sp = lease.if_contains("spec"); sp && sp->is_object()) {
        const auto& s = sp->get_object();
        if (auto* v = s.if_contains("holderIdentity"); v && v->is_string())
            info.holder = v->get_string();
        if (auto* v = s.if_contains("leaseDurationSeconds"); v && v->is_int64())
            info.duration_seconds = int(v->get_int64());
        if (auto* v = s.if_contains("leaseTransitions"); v && v->is_int64())
            info.transitions = int(v->get_int64());
        if (auto* v = s.if_contains("renewTime"); v && v->is_string())
            info.renew_time = parse_rfc3339(v->get_string());
        if (auto* v = s.if_contains("acquireTime"); v && v->is_string())
            info.acquire_time = v->get_string();
    }
    return info;
}

json::object make_lease(const lease_identity& id, wall_clock::time_point renew,
                        std::string_view acquire_time, int transitions,
                        std::string_view resource_version) {
    json::object meta;
    meta["name"] = id.node_name;
    meta["namespace"] = node_lease_namespace;
    if (!resource_version.empty()) meta["resourceVersion"] = resource_version;
    if (!id.labels.empty()) {
        json::object labels;
        for (const auto& [k, v] : id.labels) labels[k] = v;
        meta["labels"] = std::move(labels);
    }
    if (!id.node_uid.empty()) {
        json::object owner;
        owner["apiVersion"] = "v1";
        owner["kind"] = "Node";
        owner["name"] = id.node_name;
        owner["uid"] = id.node_uid;
        meta["ownerReferences"] = json::array{std::move(owner)};
    }
    json::object spec;
    spec["holderIdentity"] = id.holder;
    spec["leaseDurationSeconds"] = id.duration_seconds;
    std::string now = format_micro_time(renew);
    spec["acquireTime"] = acquire_time.empty() ? std::string_view(now) : acquire_time;
    spec["renewTime"] = now;
    if (transitions > 0) spec["leaseTransitions"] = transitions;
    json::object lease;
    lease["apiVersion"] = "coordination.k8s.io/v1";
    lease["kind"] = "Lease";
    lease["metadata"] = std::move(meta);
    lease["spec"] = std::move(spec);
    return lease;
}

json::object make_released_lease(const lease_identity& id, const lease_info& current,
                                 wall_clock::time_point now) {
    auto body = make_lease(id, now, current.acquire_time, current.transitions,
                           current.resource_version);
    body["spec"].as_object().erase("holderIdentity");
    return body;
}

bool lease_expired(const lease_info& l, wall_clock::time_point now) {
    if (l.holder.empty() || !l.renew_time) return true;
    return *l.renew_time + seconds(l.duration_seconds) < now;
}

milliseconds renew_interval(int duration_seconds, double jitter01) {
    double base_ms = duration_seconds * 1000.0 / 4.0;
    return milliseconds(static_cast<long long>(base_ms * (1.0 + 0.04 * jitter01)));
}

lease_fsm::lease_fsm(lease_identity id, std::function<double()> jitter)
    : id_(std::move(id)), jitter_(std::move(jitter)) {}

milliseconds lease_fsm::interval() {
    return renew_interval(id_.duration_seconds, jitter_ ? jitter_() : 0.0);
}

lease_fsm::action lease_fsm::step(wall_clock::time_point now) {
    action a;
    if (!known_) {
        a.kind = action_kind::get;
        return a;
    }
    if (!current_) {
        a.kind = action_kind::create;
        a.body = make_lease(id_, now, {}, 0);
        write_pending_ = true;
        return a;
    }
    const lease_info& cur = *current_;
    if (cur.holder == id_.holder) {
        a.kind = action_kind::update;
        a.body = make_lease(id_, now, cur.acquire_time, cur.transitions, cur.resource_version);
        write_pending_ = true;
        return a;
    }
    bool holder_gone = holder_alive_ && !cur.holder.empty() && !holder_alive_(cur.holder);
    if (holder_gone || lease_expired(cur, now)) {
        a.kind = action_kind::update;   // take over
        a.body = make_lease(id_, now, {}, cur.transitions + 1, cur.resource_version);
        write_pending_ = true;
        return a;
    }
    held_ = false;
    next_due_ = now + (holder_alive_ ? std::min(interval(), milliseconds(1000)) : interval());
    // Look again next time: the holder may have stopped renewing by then.
    known_ = false;
    return a;
}

void lease_fsm::observe(std::optional<lease_info> lease) {
    known_ = true;
    current_ = std::move(lease);
    if (current_ && current_->holder != id_.holder) held_ = false;
}

bool lease_fsm::on_write_done(const lease_info& returned, wall_clock::time_point now) {
    write_pending_ = false;
    bool was_held = held_;
    observe(returned);
    held_ = returned.holder == id_.holder;
    next_due_ = now + interval();
    return held_ && !was_held;
}

void lease_fsm::on_get_failed(const boost::system::error_code& ec, wall_clock::time_point now) {
    if (ec == errc::not_found) {
        observe(std::nullopt);
        next_due_ = now;
        return;
    }
    next_due_ = now + seconds(1);
}

void lease_fsm::on_write_failed(const boost::system::error_code& ec, wall_clock::time_point now) {
    write_pending_ = false;
    if (ec == errc::conflict || ec == errc::already_exists) {
        known_ = false;   // someone else wrote it: read it again right away
        next_due_ = now;
    } else if (ec == errc::not_found && !current_) {
        next_due_ = now + seconds(1);   // kube-node-lease namespace missing
    } else if (ec == errc::not_found) {
        observe(std::nullopt);          // deleted under us: create it again
        next_due_ = now;
    } else {
        next_due_ = now + interval();
    }
    // A failed renewal does not drop the lease yet: it stays ours until it expires.
    if (held_ && current_ && lease_expired(*current_, now)) held_ = false;
}

void lease_fsm::set_node_uid(std::string uid) { id_.node_uid = std::move(uid); }

void lease_fsm::set_holder_alive(std::function<bool(std::string_view)> alive) {
    holder_alive_ = std::move(alive);
}

std::optional<json::object> lease_fsm::release(wall_clock::time_point now) {
    if (!held_ || !current_) return std::nullopt;
    held_ = false;
    known_ = false;
    return make_released_lease(id_, *current_, now);
}

}  // namespace ghost::kube
