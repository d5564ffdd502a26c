#include "sim/node_addresses.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string_view>

namespace ghost::sim {

namespace json = boost::json;

namespace {

bool repeats_a_type(const json::array& addresses) {
    for (std::size_t i = 0; i < addresses.size(); ++i) {
        const json::object* a = addresses[i].if_object();
        const json::value* type = a ? a->if_contains("type") : nullptr;
        if (!type) continue;
        for (std::size_t j = i + 1; j < addresses.size(); ++j) {
            const json::object* b = addresses[j].if_object();
            const json::value* other = b ? b->if_contains("type") : nullptr;
            if (other && *other == *type) return true;
        }
    }
    return false;
}

bool is_replace_directive(const json::value& v) {
    const json::object* o = v.if_object();
    const json::value* d = o ? o->if_contains("$patch") : nullptr;
    return d && d->is_string() && d->get_string() == "replace";
}

}  // namespace

addresses_fix fix_repeated_address_types(json::value& patch, const json::value& node) {
    json::object* status = nullptr;
    if (json::object* root = patch.if_object()) {
        if (json::value* s = root->if_contains("status")) status = s->if_object();
    }
    json::value* field = status ? status->if_contains("addresses") : nullptr;
    json::array* addresses = field ? field->if_array() : nullptr;
    if (!addresses || !repeats_a_type(*addresses)) return addresses_fix::none;
    for (const auto& a : *addresses) {
        if (is_replace_directive(a)) return addresses_fix::none;  // the stage said so itself
    }
    const json::value* current = nullptr;
    if (const json::object* n = node.if_object()) {
        const json::value* s = n->if_contains("status");
        const json::object* so = s ? s->if_object() : nullptr;
        current = so ? so->if_contains("addresses") : nullptr;
    }
    if (current && *current == *field) {
        status->erase("addresses");
        return addresses_fix::dropped;
    }
    addresses->insert(addresses->begin(), json::object{{"$patch", "replace"}});
    return addresses_fix::replaced;
}

}  // namespace ghost::sim
