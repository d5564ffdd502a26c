#pragma once
// Pod IP pools (kwok spec §1.8): one pool per CIDR string. Allocation starts at the CIDR's base
// address as written (+1) and increments; released addresses are reused first; there is no
// exhaustion check (kwok walks past the end too). IPv4 and IPv6.

#include "engine/ip_address.hpp"

#include <map>
#include <set>
#include <string>
#include <string_view>

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
    std::size_t used_count() const noexcept { return used_.size(); }
    bool is_v6() const noexcept { return v6_; }

private:
    using u128 = engine::uint128;
    bool parse(std::string_view ip, u128& out) const;
    std::string format(u128 v) const;

    bool v6_ = false;
    u128 base_ = 0;
    u128 index_ = 0;
    std::set<u128> used_;
    std::set<u128> released_;
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
