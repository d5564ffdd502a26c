#include "sim/ip_pool.hpp"

#include "engine/ip_address.hpp"

#include <algorithm>
#include <stdexcept>

namespace ghost::sim {

ip_pool::ip_pool(std::string_view cidr) {
    auto slash = cidr.find('/');
    std::optional<engine::ip_address> base;
    if (slash == std::string_view::npos) {
        base = engine::parse_ip(cidr);
    } else if (auto p = engine::parse_cidr(cidr)) {
        base = p->base;
    }
    if (!base) throw std::invalid_argument("invalid CIDR \"" + std::string(cidr) + "\"");
    v6_ = base->v6;
    base_ = base->value;
}

bool ip_pool::offset_of(std::string_view ip, u128& out) const {
    auto a = engine::parse_ip(ip);
    if (!a || a->v6 != v6_) return false;
    out = a->value - base_;
    if (!v6_) out &= 0xffffffffu;
    return true;
}

std::string ip_pool::format(u128 offset) const {
    return engine::to_string(engine::add({base_, v6_}, offset));
}

bool ip_pool::used(u128 offset) const {
    if (offset >= near_limit) return far_used_.count(offset) != 0;
    auto word = static_cast<std::size_t>(offset / 64);
    return word < near_.size() && (near_[word] >> (offset % 64) & 1u) != 0;
}

void ip_pool::set_used(u128 offset, bool on) {
    if (on) ++used_count_; else --used_count_;
    if (offset >= near_limit) {
        if (on) far_used_.insert(offset); else far_used_.erase(offset);
        return;
    }
    auto word = static_cast<std::size_t>(offset / 64);
    if (word >= near_.size()) near_.resize(word + 1);
    const std::uint64_t bit = std::uint64_t{1} << (offset % 64);
    if (on) near_[word] |= bit; else near_[word] &= ~bit;
}

ip_pool::u128 ip_pool::take_near_free() {
    for (;; ++near_hint_) {
        std::uint64_t free_bits = near_hint_ < near_.size() ? ~near_[near_hint_] : ~std::uint64_t{0};
        if (near_hint_ == 0) free_bits &= ~std::uint64_t{1};  // offset 0 is never handed out
        if (free_bits == 0) continue;
        u128 offset = u128{near_hint_} * 64 + static_cast<unsigned>(__builtin_ctzll(free_bits));
        // near_free_ > 0 guarantees a clear bit at or below index_ from the hint on.
        --near_free_;
        set_used(offset, true);
        return offset;
    }
}

std::string ip_pool::allocate() {
    if (near_free_ > 0) return format(take_near_free());
    if (!far_released_.empty()) {
        u128 offset = *far_released_.begin();
        far_released_.erase(far_released_.begin());
        set_used(offset, true);
        return format(offset);
    }
    for (;;) {
        ++index_;
        if (!v6_) index_ &= 0xffffffffu;
        if (!used(index_)) {
            set_used(index_, true);
            return format(index_);
        }
    }
}

void ip_pool::mark_used(std::string_view ip) {
    u128 offset;
    if (!offset_of(ip, offset) || used(offset)) return;
    set_used(offset, true);
    if (offset > index_) return;  // allocation will skip it when it gets there
    if (in_bitmap_range(offset)) --near_free_;
    else far_released_.erase(offset);
}

void ip_pool::release(std::string_view ip) {
    u128 offset;
    if (!offset_of(ip, offset) || !used(offset)) return;
    set_used(offset, false);
    if (offset > index_) return;  // allocation reaches it in its turn
    if (in_bitmap_range(offset)) {
        ++near_free_;
        near_hint_ = std::min(near_hint_, static_cast<std::size_t>(offset / 64));
    } else {
        far_released_.insert(offset);
    }
}

bool ip_pool::in_use(std::string_view ip) const {
    u128 offset;
    return offset_of(ip, offset) && used(offset);
}

ip_pool& pool_set::get(std::string_view cidr) {
    auto it = pools_.find(cidr);
    if (it == pools_.end()) it = pools_.emplace(std::string(cidr), ip_pool(cidr)).first;
    return it->second;
}

}  // namespace ghost::sim
