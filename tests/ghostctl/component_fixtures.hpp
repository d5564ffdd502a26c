#pragma once
// Shared by the ghostctl component tests: look a component up and ask for one of its arguments.

#include "apps/ghostctl/components.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace ghost::ghostctl::testing {

inline const component* find(const std::vector<component>& v, const std::string& n) {
    for (auto& c : v) {
        if (c.name == n) return &c;
    }
    return nullptr;
}

inline bool has(const component* c, const std::string& arg) {
    return c != nullptr && std::find(c->args.begin(), c->args.end(), arg) != c->args.end();
}

}  // namespace ghost::ghostctl::testing
