#include "engine/pool_state.hpp"

#include <algorithm>
#include <boost/assert.hpp>

namespace ghost::engine {

pool_state::pool_state(config cfg) : cfg_(cfg) {
    if (cfg_.max_connections == 0)
        cfg_.max_connections = 1;
}

std::vector<pool_state::conn_id> pool_state::expire_idle(time_point now) {
    std::vector<conn_id> out;
    auto old = [&](const idle_entry& e) { return now - e.since > cfg_.idle_timeout; };
    for (const auto& e : idle_)
        if (old(e))
            out.push_back(e.conn);
    std::erase_if(idle_, old);
    open_ -= out.size();
    return out;
}

std::vector<pool_state::conn_id> pool_state::drop_idle() {
    std::vector<conn_id> out;
    out.reserve(idle_.size());
    for (const auto& e : idle_)
        out.push_back(e.conn);
    open_ -= idle_.size();
    idle_.clear();
    return out;
}

pool_state::acquire_action pool_state::acquire(time_point now, std::vector<conn_id>& expired) {
    if (closed_)
        return closed{};
    auto old = expire_idle(now);
    expired.insert(expired.end(), old.begin(), old.end());
    if (!idle_.empty()) {
        auto c = idle_.back().conn;
        idle_.pop_back();
        return use_idle{c};
    }
    if (open_ < cfg_.max_connections) {
        ++open_;
        return open_new{++next_conn_};
    }
    auto w = ++next_waiter_;
    waiters_.push_back(w);
    return wait{w};
}

pool_state::release_action pool_state::release(conn_id conn, bool reusable, time_point now) {
    if (closed_) {
        BOOST_ASSERT(waiters_.empty());
        --open_;
        return close_conn{};
    }
    if (!waiters_.empty()) {
        auto w = waiters_.front();
        waiters_.pop_front();
        if (reusable)
            return hand_over{w, conn};
        return grant_slot{w, ++next_conn_};   // the slot passes on; open_ is unchanged
    }
    if (reusable) {
        idle_.push_back({conn, now});
        return keep_idle{};
    }
    --open_;
    return close_conn{};
}

bool pool_state::cancel_wait(waiter_id waiter) {
    auto it = std::find(waiters_.begin(), waiters_.end(), waiter);
    if (it == waiters_.end())
        return false;
    waiters_.erase(it);
    return true;
}

pool_state::close_result pool_state::close() {
    close_result r;
    closed_ = true;
    r.idle = drop_idle();
    r.waiters.assign(waiters_.begin(), waiters_.end());
    waiters_.clear();
    return r;
}

}  // namespace ghost::engine
