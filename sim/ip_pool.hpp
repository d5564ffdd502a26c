#pragma once
// Pod IP pools (kwok spec §1.8): one pool per CIDR string. Allocation starts at the CIDR's base
// address as written (+1) and increments; released addresses are reused first (lowest first);
// there is no exhaustion check (kwok walks past the end too). IPv4 and IPv6.
// Addresses within 4M of the base cost a bit each (a bitmap of offsets, one word per 64
// addresses: a pod's address is not a tree node of its own); others go to ordered sets.

#include "engine/ip_address.hpp"

#include <map>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::sim {

class ip_pool {
public:
    // Throws std::invalid_argument for a malformed CIDR.
    explicit ip_pool(std::string_view cidr);

    std::string allocate();
    // An address already assigned (e.g. a pod's podIP after a restart): never handed out.
    void mark_used(std::string_view ip);
    // Returns an address to the pool; ignores addresses it does not know.
    void release(std::string_view ip);
    bool in_use(std::string_view ip) const;
    std::size_t used_count() const noexcept { return used_count_; }
    bool is_v6() const noexcept { return v6_; }

private:
    using u128 = engine::uint128;
    static constexpr u128 near_limit = u128{1} << 22;

    /// The address's offset from the base (wrapping within the family); false for text that
    /// is not an address of this family.
    bool offset_of(std::string_view ip, u128& out) const;
    std::string format(u128 offset) const;
    bool used(u128 offset) const;
    void set_used(u128 offset, bool on);
    /// The lowest released offset in the bitmap (near_free_ > 0).
    u128 take_near_free();
    bool in_bitmap_range(u128 offset) const { return offset >= 1 && offset < near_limit; }

    bool v6_ = false;
    u128 base_ = 0;
    u128 index_ = 0;  ///< the highest offset allocation has passed
    std::size_t used_count_ = 0;
    std::vector<std::uint64_t> near_;  ///< bit per offset below near_limit
    std::set<u128> far_used_;          ///< used offsets from near_limit on
    /// Released offsets up to index_ in the bitmap range: its clear bits (every offset there
    /// was used when index_ passed it), counted, with the lowest word that may hold one.
    std::size_t near_free_ = 0;
    std::size_t near_hint_ = 0;
    std::set<u128> far_released_;  ///< released offsets up to index_ outside the bitmap range
};

// Pools keyed by CIDR string, created on first use.
class pool_set {
public:
    ip_pool& get(std::string_view cidr);  // throws std::invalid_argument for a bad CIDR
    std::string allocate(std::string_view cidr) { return get(cidr).allocate(); }
    void mark_used(std::string_view cidr, std::string_view ip) { get(cidr).mark_used(ip); }
    void release(std::string_view cidr, std::string_view ip) { get(cidr).release(ip); }
    std::size_t size() const noexcept { return pools_.size(); }

private:
    std::map<std::string, ip_pool, std::less<>> pools_;
};

}  // namespace ghost::sim
