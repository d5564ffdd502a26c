#include "sim/object_pipeline.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace ghost::sim {

std::string_view resource_version_of(const boost::json::value& object) {
    const auto* obj = object.if_object();
    const auto* meta = obj ? obj->if_contains("metadata") : nullptr;
    const auto* rv = meta && meta->is_object() ? meta->get_object().if_contains("resourceVersion")
                                               : nullptr;
    return rv && rv->is_string() ? std::string_view(rv->get_string()) : std::string_view();
}

object_pipeline::object_pipeline(engine::scheduler& timers, match_fn match, play_fn play)
    : timers_(timers), match_(std::move(match)), play_(std::move(play)) {}

object_pipeline::~object_pipeline() { cancel_all(); }

std::optional<std::chrono::milliseconds> object_pipeline::on_upsert(
    const std::string& key, object_snapshot object, engine::scheduler::time_point now) {
    auto rv = resource_version_of(*object);
    auto it = pending_.find(key);
    if (it != pending_.end() && !rv.empty() && it->second.resource_version == rv) {
        ++deduplicated_;  // the same version is already waiting for its stage
        return std::nullopt;
    }
    auto choice = match_(*object);
    if (!choice) {
        // As kwok: an older pending stage is not cancelled when the new version matches nothing.
        return std::nullopt;
    }
    ++matched_;
    if (it != pending_.end()) {
        timers_.cancel(it->second.timer);
        pending_.erase(it);
    }
    if (choice->delay <= std::chrono::milliseconds::zero()) {
        play_(choice->stage_index, key, std::move(object), now);
        return choice->delay;
    }
    auto index = choice->stage_index;
    auto due = now + choice->delay;
    // A delayed stage may wait minutes (node heartbeats: ~10): keep the snapshot as compact
    // JSON text, about a quarter of the DOM's memory, and parse it again when it is due.
    auto text = boost::json::serialize(*object);
    std::string resource_version(rv);  // rv views into the snapshot released next
    object.reset();
    auto timer = timers_.add(due, [this, index, key, text = std::move(text), due]() {
        pending_.erase(key);
        auto snapshot = std::make_shared<const boost::json::value>(boost::json::parse(
            text, boost::json::make_shared_resource<boost::json::monotonic_resource>(
                      2 * text.size() + 512)));
        play_(index, key, std::move(snapshot), due);
    });
    pending_.insert_or_assign(key, pending_entry{std::move(resource_version), timer});
    return choice->delay;
}

void object_pipeline::on_delete(const std::string& key) {
    auto it = pending_.find(key);
    if (it == pending_.end()) {
        return;
    }
    timers_.cancel(it->second.timer);
    pending_.erase(it);
}

void object_pipeline::cancel_all() {
    for (auto& [key, entry] : pending_) {
        timers_.cancel(entry.timer);
    }
    pending_.clear();
}

}  // namespace ghost::sim
