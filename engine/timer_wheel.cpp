#include "engine/timer_wheel.hpp"

#include <algorithm>
#include <bit>
#include <cassert>

namespace ghost::engine {

timer_wheel::timer_wheel(time_point start, std::chrono::microseconds tick)
    : start_(start), tick_(tick.count() > 0 ? tick : std::chrono::microseconds(1)) {}

timer_wheel::time_point timer_wheel::now() const noexcept {
    return start_ + tick_ * static_cast<std::int64_t>(cursor_ == 0 ? 0 : cursor_ - 1);
}

std::uint64_t timer_wheel::tick_of(time_point due) const noexcept {
    if (due <= start_)
        return 0;
    auto d = static_cast<std::uint64_t>((due - start_).count());
    auto t = static_cast<std::uint64_t>(
        std::chrono::duration_cast<clock::duration>(tick_).count());
    return (d + t - 1) / t;   // round up: never fire early
}

timer_wheel::timer_id timer_wheel::add(time_point due, callback cb) {
    std::uint32_t idx;
    if (free_head_ != npos) {
        idx = free_head_;
        free_head_ = nodes_[idx].next;
    } else {
        idx = static_cast<std::uint32_t>(nodes_.size());
        nodes_.emplace_back();
    }
    node& n = nodes_[idx];
    n.due = due;
    n.tick = std::max(tick_of(due), cursor_);
    n.seq = seq_++;
    n.cb = std::move(cb);
    place(idx);
    ++size_;
    return {idx, n.generation};
}

bool timer_wheel::cancel(timer_id id) {
    if (id.slot >= nodes_.size())
        return false;
    node& n = nodes_[id.slot];
    if (n.generation != id.generation || n.bucket == bucket_free)
        return false;
    if (n.bucket != bucket_firing)
        unlink(id.slot);
    release(id.slot);
    return true;
}

void timer_wheel::place(std::uint32_t idx) {
    std::uint64_t t = nodes_[idx].tick;
    std::uint64_t x = t ^ cursor_;
    for (int level = 0; level < levels; ++level) {
        if (x < (std::uint64_t{1} << (level_bits * (level + 1)))) {
            auto slot = static_cast<std::uint32_t>((t >> (level_bits * level)) & slot_mask);
            link(static_cast<std::uint32_t>(level) * slots_per_level + slot, idx);
            return;
        }
    }
    link(overflow_bucket, idx);
}

void timer_wheel::link(std::uint32_t b, std::uint32_t idx) {
    node& n = nodes_[idx];
    bucket& bk = buckets_[b];
    n.bucket = b;
    n.next = npos;
    n.prev = bk.tail;
    if (bk.tail != npos)
        nodes_[bk.tail].next = idx;
    else
        bk.head = idx;
    bk.tail = idx;
    if (b != overflow_bucket)
        bits_[b / slots_per_level][(b % slots_per_level) / 64] |= std::uint64_t{1} << (b % 64);
}

void timer_wheel::unlink(std::uint32_t idx) {
    node& n = nodes_[idx];
    bucket& bk = buckets_[n.bucket];
    if (n.prev != npos)
        nodes_[n.prev].next = n.next;
    else
        bk.head = n.next;
    if (n.next != npos)
        nodes_[n.next].prev = n.prev;
    else
        bk.tail = n.prev;
    if (bk.head == npos && n.bucket != overflow_bucket) {
        std::uint32_t b = n.bucket;
        bits_[b / slots_per_level][(b % slots_per_level) / 64] &= ~(std::uint64_t{1} << (b % 64));
    }
    n.prev = n.next = npos;
}

void timer_wheel::release(std::uint32_t idx) {
    node& n = nodes_[idx];
    n.cb = nullptr;
    n.bucket = bucket_free;
    if (++n.generation == 0)
        n.generation = 1;
    n.prev = npos;
    n.next = free_head_;
    free_head_ = idx;
    --size_;
}

int timer_wheel::find_set(int level, std::uint32_t from) const noexcept {
    for (std::uint32_t w = from / 64; w < slots_per_level / 64; ++w) {
        std::uint64_t word = bits_[level][w];
        if (w == from / 64)
            word &= ~std::uint64_t{0} << (from % 64);
        if (word != 0)
            return static_cast<int>(w * 64 + std::countr_zero(word));
    }
    return -1;
}

void timer_wheel::cascade() {
    // Called when the cursor enters a new level-0 block; re-place each higher slot whose range
    // the cursor just entered (highest first).
    auto move_bucket = [&](std::uint32_t b) {
        std::uint32_t idx = buckets_[b].head;
        buckets_[b] = {};
        if (b != overflow_bucket)
            bits_[b / slots_per_level][(b % slots_per_level) / 64] &=
                ~(std::uint64_t{1} << (b % 64));
        while (idx != npos) {
            std::uint32_t next = nodes_[idx].next;
            place(idx);
            idx = next;
        }
    };
    if ((cursor_ & ((std::uint64_t{1} << (level_bits * levels)) - 1)) == 0)
        move_bucket(overflow_bucket);
    for (int level = levels - 1; level >= 1; --level) {
        std::uint64_t low = (std::uint64_t{1} << (level_bits * level)) - 1;
        if ((cursor_ & low) != 0)
            continue;
        auto slot = static_cast<std::uint32_t>((cursor_ >> (level_bits * level)) & slot_mask);
        move_bucket(static_cast<std::uint32_t>(level) * slots_per_level + slot);
    }
}

std::size_t timer_wheel::fire_current(time_point) {
    const std::uint32_t b = static_cast<std::uint32_t>(cursor_ & slot_mask);
    std::size_t fired = 0;
    // Callbacks may add timers due in this very tick; keep draining until the slot stays empty.
    while (buckets_[b].head != npos) {
        batch_.clear();
        for (std::uint32_t idx = buckets_[b].head; idx != npos; idx = nodes_[idx].next)
            batch_.push_back(idx);
        buckets_[b] = {};
        bits_[0][b / 64] &= ~(std::uint64_t{1} << (b % 64));
        for (std::uint32_t idx : batch_)
            nodes_[idx].bucket = bucket_firing;
        std::sort(batch_.begin(), batch_.end(), [this](std::uint32_t a, std::uint32_t c) {
            const node& na = nodes_[a];
            const node& nc = nodes_[c];
            return na.due != nc.due ? na.due < nc.due : na.seq < nc.seq;
        });
        // batch_ is not touched by callbacks (advance is not reentrant), so iterate by index.
        for (std::size_t i = 0; i < batch_.size(); ++i) {
            std::uint32_t idx = batch_[i];
            if (nodes_[idx].bucket != bucket_firing)
                continue;   // cancelled by an earlier callback of this batch
            callback cb = std::move(nodes_[idx].cb);
            release(idx);
            ++fired;
            cb();
        }
    }
    return fired;
}

std::size_t timer_wheel::advance(time_point now) {
    if (now < start_)
        return 0;
    const auto tick_ns = std::chrono::duration_cast<clock::duration>(tick_).count();
    const auto target = static_cast<std::uint64_t>((now - start_).count() / tick_ns);
    std::size_t fired = 0;
    while (cursor_ <= target) {
        const std::uint64_t block = cursor_ & ~std::uint64_t{slot_mask};
        int s = find_set(0, static_cast<std::uint32_t>(cursor_ & slot_mask));
        if (s >= 0 && block + static_cast<std::uint64_t>(s) <= target) {
            cursor_ = block + static_cast<std::uint64_t>(s);
            fired += fire_current(now);
            ++cursor_;
        } else {
            cursor_ = std::min(next_cascade_tick(), target + 1);
        }
        if ((cursor_ & slot_mask) == 0)
            cascade();
    }
    return fired;
}

std::uint64_t timer_wheel::next_cascade_tick() const noexcept {
    // Level 0 has nothing left in this block: skip straight to the start of the first non-empty
    // higher slot (the cascades in between would move nothing).
    for (int level = 1; level < levels; ++level) {
        const int shift = level_bits * level;
        auto digit = static_cast<std::uint32_t>((cursor_ >> shift) & slot_mask);
        if (digit + 1 < slots_per_level) {
            int s = find_set(level, digit + 1);
            if (s >= 0) {
                std::uint64_t base = cursor_ & ~((std::uint64_t{1} << (shift + level_bits)) - 1);
                return base + (static_cast<std::uint64_t>(s) << shift);
            }
        }
    }
    const int top = level_bits * levels;
    if (buckets_[overflow_bucket].head != npos)
        return (cursor_ | ((std::uint64_t{1} << top) - 1)) + 1;
    return ~std::uint64_t{0} - 1;
}

std::optional<timer_wheel::time_point> timer_wheel::next_due() const {
    if (size_ == 0)
        return std::nullopt;
    auto at = [this](std::uint64_t t) { return start_ + tick_ * static_cast<std::int64_t>(t); };
    int s = find_set(0, static_cast<std::uint32_t>(cursor_ & slot_mask));
    if (s >= 0)
        return at((cursor_ & ~std::uint64_t{slot_mask}) + static_cast<std::uint64_t>(s));
    auto min_in = [this](std::uint32_t b) {
        std::uint64_t best = ~std::uint64_t{0};
        for (std::uint32_t idx = buckets_[b].head; idx != npos; idx = nodes_[idx].next)
            best = std::min(best, nodes_[idx].tick);
        return best;
    };
    for (int level = 1; level < levels; ++level) {
        auto digit = static_cast<std::uint32_t>((cursor_ >> (level_bits * level)) & slot_mask);
        if (digit + 1 >= slots_per_level)
            continue;
        int ls = find_set(level, digit + 1);
        if (ls >= 0)
            return at(min_in(static_cast<std::uint32_t>(level) * slots_per_level +
                             static_cast<std::uint32_t>(ls)));
    }
    if (buckets_[overflow_bucket].head != npos)
        return at(min_in(overflow_bucket));
    return std::nullopt;   // only firing (detached) timers remain
}

}  // namespace ghost::engine
