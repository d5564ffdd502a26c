#pragma once
// Typed lookups of an object's fields that tolerate anything malformed (a missing field or one
// of another type reads as absent): for the kubelet-mode readers of pods and nodes.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace ghost::sim {

inline const boost::json::object* object_field(const boost::json::object* o, std::string_view key) {
    const auto* v = o ? o->if_contains(key) : nullptr;
    return v && v->is_object() ? &v->get_object() : nullptr;
}

inline const boost::json::array* array_field(const boost::json::object* o, std::string_view key) {
    const auto* v = o ? o->if_contains(key) : nullptr;
    return v && v->is_array() ? &v->get_array() : nullptr;
}

inline std::string string_field(const boost::json::object* o, std::string_view key) {
    const auto* v = o ? o->if_contains(key) : nullptr;
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace ghost::sim
