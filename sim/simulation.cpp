#include "sim/simulation.hpp"

#include "engine/log.hpp"
#include "kube/patch.hpp"
#include "kube/resource.hpp"
#include "kube/status.hpp"
#include "kube/time.hpp"
#include "kube/write_requests.hpp"
#include "sim/lease_writes.hpp"
#include "sim/node_addresses.hpp"
#include "sim/patch_effect.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <utility>


namespace ghost::sim {

using namespace ghost::stages;
using lang::func_map;

namespace {

namespace http = boost::beast::http;
using json_value = boost::json::value;
using func_result = boost::system::result<json_value>;
using args_t = std::span<const json_value>;

std::string_view string_arg(args_t args, std::size_t i) {
    return i < args.size() && args[i].is_string() ? std::string_view(args[i].get_string())
                                                  : std::string_view();
}

std::uint64_t fnv1a64(std::string_view text) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

// A pod's uid as 8 bytes (0: none): two uids of one pod name colliding is a 2^-64 chance.
std::uint64_t uid_hash(std::string_view uid) {
    if (uid.empty()) return 0;
    auto h = fnv1a64(uid);
    return h == 0 ? 1 : h;
}

bool bool_arg(args_t args, std::size_t i) {
    return i < args.size() && args[i].is_bool() && args[i].get_bool();
}

json_value string_array(const std::vector<std::string>& items) {
    boost::json::array a;
    for (const auto& s : items) a.emplace_back(s);
    return a;
}

const boost::json::object* child(const boost::json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v ? v->if_object() : nullptr;
}

std::string_view child_string(const boost::json::object* o, std::string_view key) {
    auto* v = o ? o->if_contains(key) : nullptr;
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

bool is_v6(std::string_view ip) { return ip.find(':') != std::string_view::npos; }

const char* kind_name(bool node) { return node ? "node" : "pod"; }

}  // namespace

simulation::simulation(simulation_config config, std::vector<stage> stages,
                       engine::scheduler& timers, write_sink sink)
    : config_(std::move(config)), timers_(timers), sink_(std::move(sink)) {
    if (!config_.steady_now) config_.steady_now = [this] { return timers_.now(); };
    if (!config_.wall_now) config_.wall_now = [] { return std::chrono::system_clock::now(); };
    rng_.seed(config_.seed ? config_.seed : std::random_device{}());

    replace_stages(std::move(stages));
    node_funcs_ = make_node_funcs();
    pod_funcs_ = make_pod_funcs();

    // The pipelines name stages by their index in stage_table_, which only grows: a stage
    // chosen before the set was replaced still plays as it was when chosen.
    auto matcher = [this](kind_ref kind) {
        return [this, kind](const json_value& obj) -> std::optional<stage_choice> {
            const stage_set& set = kind == kind_ref::node ? *node_stages_ : *pod_stages_;
            std::string error;
            const stage* st = set.stages.match(obj, rng_, &error);
            auto delay = st ? set.stages.delay(*st, obj, config_.wall_now(), rng_, &error)
                            : std::chrono::milliseconds(0);
            if (!error.empty()) {
                ++stats_.play_errors;
                GHOST_LOG_WARN(kind_name(kind == kind_ref::node), " ",
                               kube::object_key(obj.as_object()), ": ", error);
            }
            if (!st) return std::nullopt;
            auto index = set.base + static_cast<std::size_t>(st - set.stages.stages().data());
            return stage_choice{index, delay};
        };
    };
    node_pipeline_ = std::make_unique<object_pipeline>(
        timers_, matcher(kind_ref::node),
        [this](std::size_t i, const std::string& key, object_snapshot obj,
               engine::scheduler::time_point due) {
            play(kind_ref::node, i, key, std::move(obj), due);
        });
    pod_pipeline_ = std::make_unique<object_pipeline>(
        timers_, matcher(kind_ref::pod),
        [this](std::size_t i, const std::string& key, object_snapshot obj,
               engine::scheduler::time_point due) {
            play(kind_ref::pod, i, key, std::move(obj), due);
        });
}

void simulation::replace_stages(std::vector<stage> stages) {
    std::vector<stage> node_stages, pod_stages;
    for (auto& s : stages) {
        if (s.api_group == "v1" && s.kind == "Node") {
            node_stages.push_back(std::move(s));
        } else if (s.api_group == "v1" && s.kind == "Pod") {
            pod_stages.push_back(std::move(s));
        } else {
            throw stage_error(s.source + ": stage \"" + s.name + "\": spec.resourceRef: kind " +
                              s.api_group + "/" + s.kind +
                              " is not supported yet (ghostlet plays v1 Node and v1 Pod stages)");
        }
    }
    auto add = [this](std::vector<stage> list) {
        auto set = std::make_unique<stage_set>();
        set->stages = lifecycle(std::move(list));
        set->base = stage_table_.size();
        for (const auto& st : set->stages.stages()) stage_table_.push_back(&st);
        stage_sets_.push_back(std::move(set));
        return stage_sets_.back().get();
    };
    node_stages_ = add(std::move(node_stages));
    pod_stages_ = add(std::move(pod_stages));
}

simulation::~simulation() {
    for (auto& [name, ls] : leases_) timers_.cancel(ls.timer);
}

std::size_t simulation::pending_stages() const noexcept {
    return node_pipeline_->pending() + pod_pipeline_->pending();
}

std::string simulation::node_field_selector() const {
    if (config_.mode == simulation_config::manage_mode::single_node) {
        return "metadata.name=" + config_.single_node;
    }
    return {};
}

std::string simulation::pod_field_selector() const {
    if (config_.mode == simulation_config::manage_mode::single_node) {
        return "spec.nodeName=" + config_.single_node;
    }
    return "spec.nodeName!=";
}

std::string simulation::now_text() const { return kube::format_rfc3339_nano(config_.wall_now()); }

// ---------------------------------------------------------------------------------------------
// Which objects are ours.

bool simulation::disregarded(const boost::json::object& obj) const {
    if (config_.disregard_label_selector) {
        auto* labels = metadata_map(obj, "labels");
        if (labels && !labels->empty() && config_.disregard_label_selector->matches(labels)) {
            return true;
        }
    }
    if (config_.disregard_annotation_selector) {
        auto* annotations = metadata_map(obj, "annotations");
        if (annotations && !annotations->empty() &&
            config_.disregard_annotation_selector->matches(annotations)) {
            return true;
        }
    }
    return false;
}

bool simulation::node_wanted(const boost::json::object& node) const {
    using mode = simulation_config::manage_mode;
    switch (config_.mode) {
    case mode::all_nodes: return true;
    case mode::single_node: return metadata_string(node, "name") == config_.single_node;
    case mode::selectors: break;
    }
    // Selector mode: objects without any labels/annotations never match (kwok filters them).
    if (config_.node_label_selector) {
        auto* labels = metadata_map(node, "labels");
        if (!labels || !config_.node_label_selector->matches(labels)) return false;
    }
    if (config_.node_annotation_selector) {
        auto* annotations = metadata_map(node, "annotations");
        if (!annotations || !config_.node_annotation_selector->matches(annotations)) return false;
    }
    return true;
}

bool simulation::node_owned(std::string_view name) const {
    return !config_.owns_node || config_.owns_node(name);
}

void simulation::reevaluate_ownership() {
    std::vector<std::string> leaving, joining;
    nodes_.for_each([&](const std::string& name, const node_entry& e) {
        bool ours = e.selected && node_owned(name);
        if (e.managed && !ours) leaving.push_back(name);
        if (!e.managed && ours) joining.push_back(name);
    });
    if (!leaving.empty()) {
        for (const auto& name : leaving) nodes_.set_managed(name, false);
        give_up_nodes(leaving);
    }
    for (const auto& name : joining) {
        nodes_.set_managed(name, true);
        ++stats_.nodes_taken;
        if (config_.lease_duration_seconds > 0) {
            lease_start(name, nodes_.find(name)->uid);
            if (auto it = leases_.find(name); it != leases_.end()) it->second.read_pods = true;
        } else {
            read_node(name);
            read_pods_of(name);
        }
    }
    if (!leaving.empty() || !joining.empty()) {
        GHOST_LOG_INFO("shard membership changed: ", leaving.size(), " nodes handed over, ",
                       joining.size(), " taken; managing ", nodes_.managed_count());
    }
}

// Stages, lease and pods of nodes that are no longer ours. The pods stay as they are on the
// API server (their IPs stay marked used here: they still have them); the new owner reads
// them.
void simulation::give_up_nodes(const std::vector<std::string>& names) {
    std::unordered_set<std::string_view> gone;
    for (const auto& name : names) {
        node_pipeline_->on_delete(name);
        lease_give_up(name);
        drop_parked_pods(name);
        gone.insert(name);
        if (config_.owns_node) ++stats_.nodes_released;
    }
    std::erase_if(pods_, [&](const auto& entry) {
        if (!gone.count(entry.second.node)) return false;
        pod_pipeline_->on_delete(entry.first);
        return true;
    });
}

// The pods of a node that became ours, as the API server has them now, fed in as events.
void simulation::read_pods_of(const std::string& node) {
    write_op op;
    op.key = "node-pods/" + node;
    op.priority = engine::write_priority::lease;
    op.request.method = http::verb::get;
    kube::list_options selector;
    selector.field_selector = "spec.nodeName=" + node;
    op.request.target = kube::with_query("/api/v1/pods", selector);
    op.on_done = [this, node](const engine::result<engine::http_response>& r) {
        if (!r || r->status != 200) {
            GHOST_LOG_WARN("node ", node, ": listing its pods after taking it failed: ",
                           r ? "HTTP " + std::to_string(r->status) : r.error().message());
            return;
        }
        boost::system::error_code ec;
        auto doc = boost::json::parse(r->body, ec);
        auto* items = !ec && doc.is_object() ? doc.get_object().if_contains("items") : nullptr;
        if (!items || !items->is_array()) {
            GHOST_LOG_WARN("node ", node, ": unreadable pod list: expected {\"items\": [...]}");
            return;
        }
        if (!nodes_.is_managed(node)) return;  // moved away again meanwhile
        for (auto& pod : items->get_array()) {
            if (pod.is_object()) reserve_pod_ips(pod.get_object());
        }
        for (auto& pod : items->get_array()) on_pod_upsert(std::move(pod));
    };
    ++stats_.writes;
    sink_(std::move(op));
}

bool simulation::node_ready_for_stages(const std::string& name) const {
    if (!nodes_.is_managed(name)) return false;
    if (config_.lease_duration_seconds <= 0) return true;
    auto it = leases_.find(name);
    return it != leases_.end() && it->second.fsm && it->second.fsm->held();
}

// ---------------------------------------------------------------------------------------------
// Nodes.

void simulation::on_node_upsert(json_value node) {
    ++stats_.node_events;
    auto* obj = node.if_object();
    if (!obj) return;
    if (disregarded(*obj)) return;
    std::string name(metadata_string(*obj, "name"));
    if (name.empty()) return;
    bool selected = node_wanted(*obj);
    bool managed = selected && node_owned(name);
    const node_entry* before = nodes_.find(name);
    bool was_managed = before && before->managed;
    // Sharded: seen before as another member's, so its pods' events were not kept.
    bool moved_in = managed && before && !was_managed && config_.owns_node;
    node_entry& entry = nodes_.upsert(*obj, managed);
    entry.selected = selected;
    if (!managed) {
        if (was_managed) give_up_nodes({name});
        drop_parked_pods(name);
        return;
    }
    std::string uid = entry.uid;
    auto snapshot = std::make_shared<const json_value>(std::move(node));
    if (config_.lease_duration_seconds > 0) {
        auto& ls = leases_[name];
        if (!ls.fsm) {
            ls.latest_node = std::move(snapshot);
            lease_start(name, uid);
            if (moved_in) ++stats_.nodes_taken;
            if (auto it = leases_.find(name); it != leases_.end()) it->second.read_pods = moved_in;
            return;  // staged once the lease is ours
        }
        ls.fsm->set_node_uid(uid);
        if (!ls.fsm->held()) {
            ls.latest_node = std::move(snapshot);
            return;
        }
        // Held: the pipeline has what it needs. Keeping every node's DOM here cost ~10 KB a
        // node for as long as it exists.
        ls.latest_node.reset();
    }
    stage_node(name, std::move(snapshot));
    if (!was_managed) release_parked_pods(name);
    if (moved_in) read_pods_of(name);
}

void simulation::on_node_delete(const json_value& node) {
    ++stats_.node_events;
    auto* obj = node.if_object();
    if (!obj) return;
    std::string name(metadata_string(*obj, "name"));
    node_pipeline_->on_delete(name);
    lease_stop(name);
    nodes_.erase(name);
    drop_parked_pods(name);
}

void simulation::stage_node(const std::string& name, object_snapshot node) {
    node_pipeline_->on_upsert(name, std::move(node), config_.steady_now());
}

void simulation::release_parked_pods(const std::string& node) {
    auto it = parked_pods_.find(node);
    if (it == parked_pods_.end()) return;
    auto pods = std::move(it->second);
    parked_pods_.erase(it);
    parked_count_ -= pods.size();
    for (auto& pod : pods) on_pod_upsert(*pod);
}

void simulation::drop_parked_pods(const std::string& node) {
    auto it = parked_pods_.find(node);
    if (it == parked_pods_.end()) return;
    parked_count_ -= it->second.size();
    parked_pods_.erase(it);
}

void simulation::forget_parked_pod(const std::string& node, const std::string& key) {
    auto it = parked_pods_.find(node);
    if (it == parked_pods_.end()) return;
    auto& pods = it->second;
    auto before = pods.size();
    std::erase_if(pods, [&](const object_snapshot& p) {
        return kube::object_key(p->get_object()) == key;
    });
    parked_count_ -= before - pods.size();
    if (pods.empty()) parked_pods_.erase(it);
}

// ---------------------------------------------------------------------------------------------
// Pods.

void simulation::mark_pod_ips(const boost::json::object& pod, pod_state& state) {
    auto* spec = child(pod, "spec");
    if (spec) {
        auto* hn = spec->if_contains("hostNetwork");
        if (hn && hn->is_bool() && hn->get_bool()) return;  // node IPs are not pool addresses
    }
    auto* status = child(pod, "status");
    if (!status) return;
    std::vector<std::string> ips;
    if (auto* list = status->if_contains("podIPs"); list && list->is_array()) {
        for (const auto& item : list->get_array()) {
            auto ip = item.is_object() ? child_string(&item.get_object(), "ip") : "";
            if (!ip.empty()) ips.emplace_back(ip);
        }
    }
    if (ips.empty()) {
        auto ip = child_string(status, "podIP");
        if (!ip.empty()) ips.emplace_back(ip);
    }
    if (ips.empty()) return;
    // The API server's addresses win over ours: an allocation whose status write was lost
    // (etcd restarted without it) must not stay reserved beside the one the pod shows.
    if (!state.ips.empty() && !std::ranges::equal(state.ips, ips)) {
        std::vector<std::string> stale(state.ips.begin(), state.ips.end());
        std::erase_if(stale, [&ips](const std::string& ip) {
            return std::find(ips.begin(), ips.end(), ip) != ips.end();
        });
        release_pod_ips(state.node, stale);
    }
    const node_entry* node = nodes_.find(state.node);
    std::vector<std::string> cidrs = node ? node->pod_cidrs : std::vector<std::string>{};
    cidrs.push_back(config_.cidr);
    for (const auto& ip : ips) {
        for (const auto& cidr : cidrs) {
            if (is_v6(ip) != is_v6(cidr)) continue;
            try {
                ip_pools_.mark_used(cidr, ip);
            } catch (const std::exception&) {
                // A node with a malformed podCIDR: nothing to reserve in it.
            }
        }
    }
    state.ips.assign(std::make_move_iterator(ips.begin()), std::make_move_iterator(ips.end()));
}

void simulation::release_pod_ips(std::string_view node_name, std::span<const std::string> ips) {
    const node_entry* node = nodes_.find(node_name);
    std::vector<std::string> cidrs = node ? node->pod_cidrs : std::vector<std::string>{};
    cidrs.push_back(config_.cidr);
    for (const auto& ip : ips) {
        for (const auto& cidr : cidrs) {
            if (is_v6(ip) != is_v6(cidr)) continue;
            try {
                ip_pools_.release(cidr, ip);
            } catch (const std::exception&) {
            }
        }
    }
}

void simulation::reserve_pod_ips(const boost::json::object& pod) {
    auto node = child_string(child(pod, "spec"), "nodeName");
    if (node.empty()) return;
    pod_state probe;
    probe.node = std::string(node);
    mark_pod_ips(pod, probe);
}

void simulation::on_pod_upsert(json_value pod) {
    ++stats_.pod_events;
    auto* obj = pod.if_object();
    if (!obj || disregarded(*obj)) return;
    std::string node(child_string(child(*obj, "spec"), "nodeName"));
    if (node.empty()) return;
    const node_entry* entry = nodes_.find(node);
    bool park = !entry || (entry->managed && !node_ready_for_stages(node));
    if (park) {
        // The node is not known yet (its event may come later) or its lease is not ours yet.
        if (parked_count_ >= max_parked_pods) {
            ++stats_.pods_dropped;
            GHOST_LOG_WARN("pod ", kube::object_key(*obj), " on unknown node ", node,
                           " dropped: ", max_parked_pods, " pods already wait for their nodes");
            return;
        }
        ++parked_count_;
        ++stats_.pods_parked;
        parked_pods_[node].push_back(std::make_shared<const json_value>(std::move(pod)));
        return;
    }
    if (!entry->managed) return;
    std::string key = kube::object_key(*obj);
    auto& state = pod_entry(key);
    const std::uint64_t uid = uid_hash(metadata_string(*obj, "uid"));
    if ((state.uid_hash != 0 && state.uid_hash != uid) ||
        (!state.node.empty() && state.node != node)) {
        // Another pod under this name, or a binding that etcd lost and the scheduler made
        // again elsewhere: our addresses were for the other one, on another node's range.
        release_pod_ips(state.node, state.ips);
        state = pod_state{};
    }
    state.node = node;
    state.uid_hash = uid;
    mark_pod_ips(*obj, state);
    pod_pipeline_->on_upsert(key, std::make_shared<const json_value>(std::move(pod)),
                             config_.steady_now());
}

simulation::pod_state& simulation::pod_entry(std::string_view key) {
    auto it = pods_.find(key);
    if (it == pods_.end()) it = pods_.try_emplace(std::string(key)).first;
    return it->second;
}

void simulation::on_pod_delete(const json_value& pod) {
    ++stats_.pod_events;
    auto* obj = pod.if_object();
    if (!obj) return;
    std::string key = kube::object_key(*obj);
    pod_pipeline_->on_delete(key);
    forget_parked_pod(std::string(child_string(child(*obj, "spec"), "nodeName")), key);
    auto it = pods_.find(key);
    if (it == pods_.end()) return;
    release_pod_ips(it->second.node, it->second.ips);
    pods_.erase(it);
}

// ---------------------------------------------------------------------------------------------
// Leases (kwok §1.7): GET, then CREATE or UPDATE, renewed every duration/4 (+0-4 % jitter).

void simulation::lease_start(const std::string& node, const std::string& uid) {
    auto& ls = leases_[node];
    kube::lease_identity id{node, uid, config_.identity, config_.lease_duration_seconds, {}};
    ls.fsm = std::make_unique<kube::lease_fsm>(
        std::move(id), [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); });
    ls.generation = ++lease_generation_;
    ls.in_flight = false;
    if (config_.holder_alive) ls.fsm->set_holder_alive(config_.holder_alive);
    // Most nodes are new: try CREATE first and read the lease only when it already exists
    // (409), which halves the requests of a mass node creation.
    ls.fsm->observe(std::nullopt);
    lease_step(node);
}

void simulation::lease_schedule(const std::string& node,
                                std::chrono::system_clock::time_point due) {
    auto it = leases_.find(node);
    if (it == leases_.end()) return;
    auto delay = std::max(due - config_.wall_now(), std::chrono::system_clock::duration::zero());
    timers_.cancel(it->second.timer);
    it->second.timer = timers_.add(
        config_.steady_now() +
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay),
        [this, node] { lease_step(node); });
}

void simulation::lease_step(const std::string& node) {
    auto it = leases_.find(node);
    if (it == leases_.end() || it->second.in_flight) return;
    auto& ls = it->second;
    auto act = ls.fsm->step(config_.wall_now());
    using kind = kube::lease_fsm::action_kind;
    if (act.kind == kind::wait) {
        lease_schedule(node, ls.fsm->next_due());
        return;
    }
    write_op op;
    op.priority = engine::write_priority::lease;
    op.key = "lease/" + node;
    bool is_get = act.kind == kind::get;
    if (act.kind == kind::update) ++stats_.lease_renewals;
    op.request = lease_request(act, node);
    ls.in_flight = true;
    op.on_done = [this, node, is_get, generation = ls.generation](
                     const engine::result<engine::http_response>& r) {
        auto it = leases_.find(node);
        // The node went away meanwhile, or was released and taken again: not this fsm's reply.
        if (it == leases_.end() || it->second.generation != generation) {
            if (!is_get && it == leases_.end()) release_late_acquisition(node, r);
            return;
        }
        auto& ls = it->second;
        ls.in_flight = false;
        if (apply_lease_reply(*ls.fsm, is_get, r, config_.wall_now(), node)) lease_acquired(node);
        if (auto again = leases_.find(node); again != leases_.end())
            lease_schedule(node, again->second.fsm->next_due());
    };
    ++stats_.writes;
    sink_(std::move(op));
}

void simulation::lease_acquired(const std::string& node) {
    ++stats_.leases_acquired;
    auto it = leases_.find(node);
    if (it == leases_.end() || !nodes_.is_managed(node)) return;
    bool read_pods = std::exchange(it->second.read_pods, false);
    if (auto latest = std::move(it->second.latest_node)) {
        stage_node(node, std::move(latest));
    } else {
        read_node(node);  // taken back after a loss with no node event meanwhile
    }
    release_parked_pods(node);
    if (read_pods) read_pods_of(node);
}

// The node as the API server has it now, fed in as an event: its stages were dropped while
// the lease was someone else's.
void simulation::read_node(const std::string& node) {
    write_op op;
    op.key = "node-read/" + node;
    op.priority = engine::write_priority::lease;
    op.request.method = http::verb::get;
    op.request.target = kube::object_path(kube::resources::nodes(), "", node);
    op.on_done = [this, node](const engine::result<engine::http_response>& r) {
        if (!r || r->status != 200) {
            GHOST_LOG_WARN("node ", node, ": reading it after taking its lease back failed: ",
                           r ? "HTTP " + std::to_string(r->status) : r.error().message());
            return;
        }
        boost::system::error_code ec;
        auto doc = boost::json::parse(r->body, ec);
        if (ec || !doc.is_object()) {
            GHOST_LOG_WARN("node ", node, ": unreadable reply to GET: ", ec.message());
            return;
        }
        on_node_upsert(std::move(doc));
    };
    ++stats_.writes;
    sink_(std::move(op));
}

void simulation::lease_stop(const std::string& node) {
    auto it = leases_.find(node);
    if (it == leases_.end()) return;
    timers_.cancel(it->second.timer);
    leases_.erase(it);
}

// A lease of ours on the server for a node that is not ours any more (a write that was
// queued or in flight when the node moved away, or a release that conflicted): given up, so
// that the node's owner does not wait for it to expire.
void simulation::release_late_acquisition(const std::string& node,
                                          const engine::result<engine::http_response>& r) {
    if (!config_.owns_node || leases_.count(node) || !r || r->status < 200 || r->status >= 300)
        return;
    boost::system::error_code ec;
    auto doc = boost::json::parse(r->body, ec);
    if (ec || !doc.is_object()) return;
    auto info = kube::read_lease(doc.get_object());
    if (info.holder != config_.identity) return;  // someone else holds it: nothing of ours
    kube::lease_identity id{node, "", config_.identity, info.duration_seconds, {}};
    auto released = kube::make_released_lease(id, info, config_.wall_now());
    auto* md = doc.get_object().if_contains("metadata");
    auto* owners = md && md->is_object() ? md->get_object().if_contains("ownerReferences")
                                         : nullptr;
    if (owners) released["metadata"].as_object()["ownerReferences"] = *owners;
    send_lease_release(node, std::move(released));
}

void simulation::lease_give_up(const std::string& node) {
    auto it = leases_.find(node);
    if (it == leases_.end()) return;
    std::optional<boost::json::object> body;
    if (config_.owns_node && it->second.fsm) body = it->second.fsm->release(config_.wall_now());
    lease_stop(node);
    if (body) send_lease_release(node, std::move(*body));
}

// PUT of the given-up lease. It goes after a renewal still in flight (same write key), whose
// new resourceVersion it lacks: on 409 the lease is read and, while it is still ours, given up
// again.
void simulation::send_lease_release(const std::string& node, boost::json::object body) {
    kube::lease_fsm::action act{kube::lease_fsm::action_kind::update, std::move(body)};
    write_op op;
    op.key = "lease/" + node;
    op.priority = engine::write_priority::lease;
    op.request = lease_request(act, node);
    op.on_done = [this, node](const engine::result<engine::http_response>& r) {
        if (r && r->status >= 200 && r->status < 300) return;
        if (!r || r->status != 409) {
            GHOST_LOG_WARN("lease ", node, ": giving it up failed (",
                           r ? "HTTP " + std::to_string(r->status) : r.error().message(),
                           "); it expires instead");
            return;
        }
        if (leases_.count(node)) return;  // ours again meanwhile: the fsm has it
        write_op get;
        get.key = "lease/" + node;
        get.priority = engine::write_priority::lease;
        get.request = lease_request({kube::lease_fsm::action_kind::get, {}}, node);
        get.on_done = [this, node](const engine::result<engine::http_response>& r) {
            if (r && r->status == 200) release_late_acquisition(node, r);
        };
        ++stats_.writes;
        sink_(std::move(get));
    };
    ++stats_.writes;
    sink_(std::move(op));
}

// ---------------------------------------------------------------------------------------------
// Playing stages.

void simulation::play(kind_ref kind, std::size_t stage_index, const std::string& key,
                      object_snapshot object, engine::scheduler::time_point due) {
    bool is_node = kind == kind_ref::node;
    if (is_node ? !node_ready_for_stages(key) : pods_.count(key) == 0) {
        return;  // deleted or no longer ours while the stage was waiting
    }
    const stage& st = *stage_table_[stage_index];
    const func_map& funcs = is_node ? node_funcs_ : pod_funcs_;
    // The rendered patches live only until they are serialized below: an arena (first block
    // on the stack) makes them and frees them at once.
    unsigned char first_block[16 * 1024];
    boost::json::monotonic_resource arena(first_block, sizeof first_block);
    boost::json::storage_ptr sp(&arena);
    render_fn render = [&funcs, &sp](const lang::compiled_template& t, const json_value& dot,
                                     std::string* error) {
        return t.render_to_json(dot, funcs, error, sp);
    };
    std::string error;
    if (is_node) playing_node_ = key;
    auto actions = play_stage(st, *object, render, {}, &error);
    playing_node_.clear();
    if (!actions) {
        ++stats_.play_errors;
        GHOST_LOG_WARN("stage ", st.name, " on ", kind_name(is_node), " ", key, ": ", error);
        return;
    }
    ++stats_.stages_played;
    GHOST_LOG_DEBUG("stage ", st.name, " on ", kind_name(is_node), " ", key);
    auto chain = std::make_shared<stage_play>();
    chain->kind = kind;
    chain->key = key;
    chain->st = &st;
    chain->feed_back = st.immediate_next_stage;
    chain->writes.reserve(actions->size());
    for (action& a : *actions) {
        if (is_node && a.kind == action_kind::patch && a.type == kube::patch_type::strategic &&
            patches_object_itself(a) &&
            fix_repeated_address_types(a.data, *object) != addresses_fix::none) {
            ++stats_.node_addresses_fixed;
        }
        if (a.kind == action_kind::patch && patches_object_itself(a) &&
            !patch_changes(*object, a.data, a.type,
                           is_node ? node_merge_keys() : pod_merge_keys())) {
            ++stats_.writes_skipped;  // kwok's checkNeedPatch: nothing to change, no request
            continue;
        }
        stage_write w{{}, std::nullopt, a.kind, a.step};
        if (a.kind == action_kind::apply) {
            auto apply = encode_apply(a, metadata_string(object->get_object(), "namespace"),
                                      config_.resolve_apply_target, config_.field_manager, &error);
            if (!apply) {
                ++stats_.play_errors;
                GHOST_LOG_WARN("stage ", st.name, " on ", kind_name(is_node), " ", key, ": step ",
                               a.step, ": ", error);
                break;  // a step that cannot be sent ends the play, as a failed one would
            }
            w.op = std::move(apply->op);
            w.patch_if_exists = std::move(apply->patch_if_exists);
        } else {
            auto op = action_to_write(kind, a, object->get_object());
            if (!op) continue;
            w.op = std::move(*op);
        }
        w.op.origin = due;
        chain->writes.push_back(std::move(w));
    }
    actions->clear();  // the rendered DOMs
    object.reset();
    send_writes(std::move(chain), 0);
}

// Writes of one stage go out one after the other, in step order; the next is sent when the
// previous succeeded (a failed step ends the play, as kwok drops the job). Events do not wait.
void simulation::send_writes(std::shared_ptr<stage_play> play, std::size_t index) {
    for (; index < play->writes.size(); ++index) {
        stage_write& w = play->writes[index];
        write_op op = std::move(w.op);
        ++stats_.writes;
        if (w.kind == action_kind::event) {
            op.on_done = [](const engine::result<engine::http_response>& r) {
                if (!r || r->status >= 300) {
                    GHOST_LOG_DEBUG("event not recorded: ",
                                    r ? std::to_string(r->status) : r.error().message());
                }
            };
            sink_(std::move(op));
            continue;
        }
        const kind_ref kind = play->kind;
        bool feed_back = w.kind == action_kind::patch && play->feed_back;
        bool is_delete = w.kind == action_kind::delete_object && kind == kind_ref::pod;
        if (is_delete) {
            // Events that arrive while our DELETE waits (the API server may be saturated) match
            // pod-delete again; one DELETE per pod is enough.
            auto it = pods_.find(play->key);
            if (it == pods_.end() || it->second.deleting) return;
            it->second.deleting = true;
        }
        op.on_done = [this, play, index, feed_back,
                      is_delete](const engine::result<engine::http_response>& r) {
            const kind_ref kind = play->kind;
            if (r && r->status >= 200 && r->status < 300) {
                if (feed_back) {
                    boost::system::error_code ec;
                    auto updated = boost::json::parse(r->body, ec);
                    if (!ec && updated.is_object()) {
                        if (kind == kind_ref::node) {
                            on_node_upsert(std::move(updated));
                        } else {
                            on_pod_upsert(std::move(updated));
                        }
                    }
                }
                send_writes(play, index + 1);
                return;
            }
            stage_write& w = play->writes[index];
            if (r && r->status == 409 && w.patch_if_exists) {
                write_op patch = std::move(*w.patch_if_exists);
                w.patch_if_exists.reset();
                patch.on_done = [this, play, index](const engine::result<engine::http_response>& r2) {
                    if (r2 && r2->status >= 200 && r2->status < 300) {
                        send_writes(play, index + 1);
                        return;
                    }
                    step_failed(*play, index, r2);
                };
                ++stats_.writes;
                sink_(std::move(patch));
                return;
            }
            // A 404 for the played object means it is gone: nothing left to do.
            if (r && r->status == 404 && w.kind != action_kind::apply) return;
            if (is_delete) {
                if (auto it = pods_.find(play->key); it != pods_.end()) it->second.deleting = false;
            }
            step_failed(*play, index, r);
        };
        sink_(std::move(op));
        return;  // the rest follows from on_done
    }
}

void simulation::step_failed(const stage_play& play, std::size_t index,
                             const engine::result<engine::http_response>& r) {
    ++stats_.write_errors;
    std::string what = r ? "HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 300)
                         : r.error().message();
    GHOST_LOG_WARN("stage ", play.st->name, " on ", kind_name(play.kind == kind_ref::node), " ",
                   play.key, ": step ", play.writes[index].step, " failed: ", what);
}

std::optional<write_op> simulation::action_to_write(kind_ref kind, const action& a,
                                                    const boost::json::object& object) {
    bool is_node = kind == kind_ref::node;
    std::string_view name = metadata_string(object, "name");
    std::string_view ns = metadata_string(object, "namespace");
    auto resource = is_node ? kube::resources::nodes() : kube::resources::pods();
    write_op op;
    switch (a.kind) {
    case action_kind::patch: {
        auto path = kube::object_path(resource, ns, name, a.subresource);
        op.key = path;
        op.priority = a.subresource == "status" ? engine::write_priority::status
                                                : engine::write_priority::other;
        op.request = kube::make_patch_request(std::move(path), a.type, a.data);
        break;
    }
    case action_kind::delete_object: {
        auto path = kube::object_path(resource, ns, name);
        op.key = path + "#delete";
        op.priority = engine::write_priority::other;
        op.request = kube::make_force_delete_request(std::move(path));
        break;
    }
    case action_kind::event: {
        auto now = now_text();
        op.key = "event/" + std::to_string(++events_sent_);
        op.priority = engine::write_priority::event;
        op.request = kube::make_event_request(
            {"v1", is_node ? "Node" : "Pod", name, ns, metadata_string(object, "uid"),
             metadata_string(object, "resourceVersion")},
            {a.event.type, a.event.reason, a.event.message, config_.event_component, now});
        break;
    }
    case action_kind::apply:
        return std::nullopt;  // encode_apply
    }
    if (a.impersonation) op.request.headers.emplace_back("Impersonate-User", *a.impersonation);
    return op;
}

// ---------------------------------------------------------------------------------------------
// Template functions (kwok §1.6, §1.8, §4).

func_map simulation::make_common_funcs() {
    return kwok_default_funcs(config_.version, [this] { return now_text(); });
}

std::uint32_t fallback_node_offset(std::string_view node_name, std::uint32_t attempt) {
    constexpr std::uint64_t hosts = 65534;  // .0.1 .. .255.254
    return static_cast<std::uint32_t>((fnv1a64(node_name) + attempt) % hosts) + 1;
}

std::string fallback_node_address(std::uint32_t offset) {
    return "10.255." + std::to_string(offset >> 8) + "." + std::to_string(offset & 0xff);
}

const std::string& simulation::fallback_node_ip(std::string_view node) {
    std::string name(node);
    if (auto it = fallback_ips_.find(name); it != fallback_ips_.end()) return it->second;
    std::uint32_t offset = fallback_node_offset(node);
    for (std::uint32_t attempt = 1; fallback_used_.count(offset) && attempt < 65534; ++attempt) {
        offset = fallback_node_offset(node, attempt);
    }
    fallback_used_.insert(offset);
    auto& ip = fallback_ips_[name] = fallback_node_address(offset);
    GHOST_LOG_DEBUG("node ", name, ": no --node-ip; its InternalIP (if it has none) is ", ip);
    return ip;
}

func_map simulation::make_node_funcs() {
    auto funcs = make_common_funcs();
    // kwok: --node-ip. Without one, the node being staged gets its own stable address, so
    // node-initialize (ours or kwok's, both add "InternalIP: NodeIP" when it is missing) gives
    // it an InternalIP its pods use as hostIP.
    funcs["NodeIP"] = [this](args_t) -> func_result {
        if (!config_.node_ip.empty() || playing_node_.empty()) return json_value(config_.node_ip);
        return json_value(fallback_node_ip(playing_node_));
    };
    funcs["NodeName"] = [this](args_t) -> func_result { return json_value(config_.node_name); };
    funcs["NodePort"] = [this](args_t) -> func_result {
        return json_value(static_cast<std::int64_t>(config_.node_port));
    };
    return funcs;
}

std::vector<std::string> simulation::node_ips_with(std::string_view node) {
    const node_entry* e = nodes_.find(node);
    if (e && !e->host_ips.empty()) return e->host_ips;
    if (!config_.node_ip.empty()) return {config_.node_ip};
    // The address node-initialize gives (or gave) a managed node without an InternalIP, also
    // before the node's own update with it has come back.
    if (e && e->managed) return {fallback_node_ip(node)};
    return {};
}

std::vector<std::string> simulation::pod_ips_with(std::string_view node, bool host_network,
                                                  std::string_view key) {
    if (host_network) return node_ips_with(node);
    auto& state = pod_entry(key);
    if (!state.node.empty() && state.node != node) {
        release_pod_ips(state.node, state.ips);  // addresses of the node the pod left
        state.ips.clear();
    }
    // One allocation per pod, however often rendered.
    if (!state.ips.empty()) return {state.ips.begin(), state.ips.end()};
    state.node = std::string(node);
    const node_entry* e = nodes_.find(node);
    std::vector<std::string> cidrs =
        e && !e->pod_cidrs.empty() ? e->pod_cidrs : std::vector<std::string>{config_.cidr};
    for (const auto& cidr : cidrs) {
        try {
            state.ips.push_back(ip_pools_.allocate(cidr));
        } catch (const std::exception& ex) {
            GHOST_LOG_WARN("node ", node, ": podCIDR ", cidr, " unusable: ", ex.what());
        }
    }
    return {state.ips.begin(), state.ips.end()};
}

func_map simulation::make_pod_funcs() {
    auto funcs = make_common_funcs();
    funcs["NodeIP"] = [this](args_t) -> func_result { return json_value(config_.node_ip); };
    funcs["NodeIPWith"] = [this](args_t args) -> func_result {
        auto ips = node_ips_with(string_arg(args, 0));
        return ips.empty() ? json_value(config_.node_ip) : json_value(ips.front());
    };
    funcs["NodeIPsWith"] = [this](args_t args) -> func_result {
        return string_array(node_ips_with(string_arg(args, 0)));
    };
    // PodIPWith / PodIPsWith nodeName hostNetwork uid name namespace.
    auto pod_key = [](args_t args) {
        std::string key(string_arg(args, 4));
        if (!key.empty()) key += '/';
        key += string_arg(args, 3);
        return key;
    };
    funcs["PodIPsWith"] = [this, pod_key](args_t args) -> func_result {
        return string_array(pod_ips_with(string_arg(args, 0), bool_arg(args, 1), pod_key(args)));
    };
    funcs["PodIPWith"] = [this, pod_key](args_t args) -> func_result {
        auto ips = pod_ips_with(string_arg(args, 0), bool_arg(args, 1), pod_key(args));
        return ips.empty() ? json_value(nullptr) : json_value(ips.front());
    };
    funcs["PodIP"] = [this](args_t) -> func_result {
        return json_value(ip_pools_.allocate(config_.cidr));
    };
    return funcs;
}

}  // namespace ghost::sim
