#include "sim/ip_pool.hpp"

#include "engine/ip_address.hpp"

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

bool ip_pool::parse(std::string_view ip, u128& out) const {
    auto a = engine::parse_ip(ip);
    if (!a || a->v6 != v6_) return false;
    out = a->value;
    return true;
}

std::string ip_pool::format(u128 v) const { return engine::to_string(engine::ip_address{v, v6_}); }

std::string ip_pool::allocate() {
    if (!released_.empty()) {
        u128 v = *released_.begin();
        released_.erase(released_.begin());
        used_.insert(v);
        return format(v);
    }
    for (;;) {
        ++index_;
        u128 v = engine::add({base_, v6_}, index_).value;
        if (used_.insert(v).second) return format(v);
    }
}

void ip_pool::mark_used(std::string_view ip) {
    u128 v;
    if (!parse(ip, v)) return;
    released_.erase(v);
    used_.insert(v);
}

void ip_pool::release(std::string_view ip) {
    u128 v;
    if (!parse(ip, v)) return;
    if (used_.erase(v)) released_.insert(v);
}

bool ip_pool::in_use(std::string_view ip) const {
    u128 v;
    return parse(ip, v) && used_.count(v) != 0;
}

ip_pool& pool_set::get(std::string_view cidr) {
    auto it = pools_.find(cidr);
    if (it == pools_.end()) it = pools_.emplace(std::string(cidr), ip_pool(cidr)).first;
    return it->second;
}

}  // namespace ghost::sim
