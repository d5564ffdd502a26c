#include "engine/write_queue.hpp"

#include <algorithm>

namespace ghost::engine {

write_queue::write_queue() : write_queue(config{}) {}
write_queue::write_queue(config cfg) : cfg_(cfg) {}

std::chrono::milliseconds write_queue::backoff(std::uint32_t attempt) const {
    auto d = cfg_.initial_backoff;
    for (std::uint32_t i = 1; i < attempt && d < cfg_.max_backoff; ++i)
        d *= 2;
    return std::min(d, cfg_.max_backoff);
}

bool write_queue::is_in_flight(const std::string& key) const {
    auto it = keys_.find(key);
    return it != keys_.end() && it->second.in_flight;
}

void write_queue::make_ready(const std::string& key, entry& e) {
    e.at = where::ready;
    e.seq = ++seq_;
    ready_[static_cast<int>(e.priority)].push_back({key, e.seq});
}

std::optional<std::uint64_t> write_queue::push(std::string key, write_priority priority,
                                               http_request request, std::uint64_t id) {
    ++stats_.queued;
    auto [it, inserted] = keys_.try_emplace(std::move(key));
    key_state& ks = it->second;
    if (ks.waiting) {
        // Coalesce: the newest state wins but keeps the older one's place in line (and any
        // backoff it is serving). A more urgent class moves it to that class's queue.
        entry& e = *ks.waiting;
        std::uint64_t replaced = e.id;
        e.id = id;
        e.request = std::move(request);
        ++stats_.coalesced;
        if (priority < e.priority) {
            e.priority = priority;
            if (e.at == where::ready)
                make_ready(it->first, e);   // the old queue slot goes stale
        }
        return replaced;
    }
    ks.waiting.emplace(entry{id, priority, std::move(request), 0, 0, time_point{}, where::parked});
    ++waiting_;
    if (!ks.in_flight)
        make_ready(it->first, *ks.waiting);
    return std::nullopt;
}

void write_queue::promote_due(time_point now) {
    while (!delayed_.empty() && delayed_.top().due <= now) {
        delayed_ref d = delayed_.top();
        delayed_.pop();
        auto it = keys_.find(d.key);
        if (it == keys_.end() || !it->second.waiting || it->second.waiting->seq != d.seq ||
            it->second.waiting->at != where::delayed)
            continue;
        make_ready(it->first, *it->second.waiting);
    }
}

// Takes the next live entry of class `c` (skipping stale references); false when it has none.
bool write_queue::take_one(std::size_t c, std::vector<write_ticket>& out) {
    auto& q = ready_[c];
    while (!q.empty()) {
        queued_ref ref = std::move(q.front());
        q.pop_front();
        auto it = keys_.find(ref.key);
        if (it == keys_.end())
            continue;
        key_state& ks = it->second;
        if (ks.in_flight || !ks.waiting || ks.waiting->seq != ref.seq ||
            ks.waiting->at != where::ready)
            continue;   // stale reference (coalesced into another class)
        entry& e = *ks.waiting;
        out.push_back({e.id, it->first, e.priority, std::move(e.request), e.attempt});
        ks.waiting.reset();
        ks.in_flight = true;
        --waiting_;
        ++in_flight_;
        ++stats_.sent;
        return true;
    }
    return false;
}

std::vector<write_ticket> write_queue::prepare_batch(std::size_t max, time_point now) {
    promote_due(now);
    std::vector<write_ticket> out;
    // Leases come first, but a saturated API server must not starve status writes forever
    // (found by the kwok benchmark at 5000 nodes: renewals took every slot and pods never ran).
    // Slots follow the pattern lease, status, lease, other, lease, status, lease, event; a class
    // with nothing ready gives its slot to the most urgent class that has something. Events get
    // the smallest share: in kubelet mode a starting pod's 3 Events queued level with its status
    // PATCHes and held its start-up back (1000 nodes x 10 pods).
    static constexpr std::size_t pattern[] = {0, 1, 0, 2, 0, 1, 0, 3};
    while (out.size() < max) {
        std::size_t preferred = pattern[turn_++ % std::size(pattern)];
        if (take_one(preferred, out))
            continue;
        bool any = false;
        for (std::size_t c = 0; c < std::size(ready_) && !any; ++c)
            any = take_one(c, out);
        if (!any)
            break;
    }
    return out;
}

write_queue::commit_result write_queue::commit(write_ticket&& t, const write_outcome& outcome,
                                               time_point now) {
    auto it = keys_.find(t.key);
    if (it == keys_.end() || !it->second.in_flight)
        return commit_result::done;   // not ours; nothing to do
    key_state& ks = it->second;
    ks.in_flight = false;
    --in_flight_;
    commit_result res = commit_result::done;
    switch (outcome.k) {
    case write_outcome::kind::success:
        ++stats_.succeeded;
        break;
    case write_outcome::kind::permanent:
        ++stats_.failed;
        break;
    case write_outcome::kind::transient:
        if (ks.waiting) {
            ++stats_.superseded;
            res = commit_result::superseded;
        } else if (cfg_.max_attempts != 0 && t.attempt + 1 >= cfg_.max_attempts) {
            ++stats_.failed;
        } else {
            ++stats_.retried;
            std::uint32_t attempt = t.attempt + 1;
            auto delay = outcome.retry_after ? *outcome.retry_after : backoff(attempt);
            ks.waiting.emplace(entry{t.id, t.priority, std::move(t.request), ++seq_, attempt,
                                     now + delay, where::delayed});
            ++waiting_;
            delayed_.push({now + delay, it->first, ks.waiting->seq});
            return commit_result::requeued;
        }
        break;
    }
    if (ks.waiting) {
        if (ks.waiting->at == where::parked)
            make_ready(it->first, *ks.waiting);
    } else {
        keys_.erase(it);
    }
    return res;
}

std::optional<write_queue::time_point> write_queue::next_retry_due() const {
    if (delayed_.empty())
        return std::nullopt;
    return delayed_.top().due;
}

}  // namespace ghost::engine
