#pragma once
// Hierarchical timer wheel with O(1) add/cancel and injectable time: the wheel never reads a
// clock, `advance(now)` fires what is due. Four levels of 256 slots cover 2^32 ticks (49 days at
// 1 ms); later timers wait on an overflow list. A timer lands in the level given by the highest
// tick bits in which its due tick differs from the cursor, so every level-0 timer is due before
// every level-1 timer and so on; higher slots cascade down as the cursor enters their range.
//
// Due times are rounded up to the next tick: a timer never fires early and at most one tick late.
// Timers due in the same tick fire in (due, insertion) order. Callbacks may add and cancel timers;
// a timer added from a callback that is already due fires in the same advance().

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace ghost::engine {

class timer_wheel {
public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;
    using callback = std::function<void()>;

    struct timer_id {
        std::uint32_t slot = 0;
        std::uint32_t generation = 0;   // 0 never names a live timer
        friend bool operator==(timer_id, timer_id) = default;
    };

    explicit timer_wheel(time_point start,
                         std::chrono::microseconds tick = std::chrono::milliseconds(1));
    timer_wheel(const timer_wheel&) = delete;
    timer_wheel& operator=(const timer_wheel&) = delete;

    timer_id add(time_point due, callback cb);
    // False when the id is stale (already fired, cancelled, or never issued).
    bool cancel(timer_id id);
    // Runs every callback due at or before `now`, in due order; returns how many ran.
    std::size_t advance(time_point now);
    // Earliest pending due time, rounded up to its tick.
    std::optional<time_point> next_due() const;
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    // The tick (rounded) time up to which the wheel has already advanced.
    time_point now() const noexcept;

private:
    static constexpr int level_bits = 8;
    static constexpr int levels = 4;
    static constexpr std::uint32_t slots_per_level = 1u << level_bits;
    static constexpr std::uint32_t slot_mask = slots_per_level - 1;
    static constexpr std::uint32_t bucket_count = levels * slots_per_level + 1;
    static constexpr std::uint32_t overflow_bucket = bucket_count - 1;
    static constexpr std::uint32_t npos = 0xffffffffu;
    static constexpr std::uint32_t bucket_free = 0xffffffffu;
    static constexpr std::uint32_t bucket_firing = 0xfffffffeu;

    struct node {
        time_point due{};
        std::uint64_t tick = 0;
        std::uint64_t seq = 0;
        callback cb;
        std::uint32_t generation = 1;
        std::uint32_t prev = npos;
        std::uint32_t next = npos;
        std::uint32_t bucket = bucket_free;
    };
    struct bucket {
        std::uint32_t head = npos;
        std::uint32_t tail = npos;
    };

    std::uint64_t tick_of(time_point due) const noexcept;
    void place(std::uint32_t idx);
    void link(std::uint32_t b, std::uint32_t idx);
    void unlink(std::uint32_t idx);
    void release(std::uint32_t idx);
    void cascade();
    std::size_t fire_current(time_point now);
    int find_set(int level, std::uint32_t from) const noexcept;
    std::uint64_t next_cascade_tick() const noexcept;

    time_point start_;
    std::chrono::microseconds tick_;
    std::uint64_t cursor_ = 0;   // next tick to process; everything before it has fired
    std::uint64_t seq_ = 0;
    std::size_t size_ = 0;
    std::vector<node> nodes_;
    std::uint32_t free_head_ = npos;
    std::array<bucket, bucket_count> buckets_{};
    std::array<std::array<std::uint64_t, slots_per_level / 64>, levels> bits_{};
    std::vector<std::uint32_t> batch_;   // reused scratch for fire_current
};

}  // namespace ghost::engine
