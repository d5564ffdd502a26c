#pragma once
// The kinds of kwok's API group kwok.x-k8s.io/v1alpha1 (spec §0): what --enable-crds accepts,
// what ghostctl installs as CustomResourceDefinitions, and how ghostlet finds their resources.

#include <span>
#include <string_view>

namespace ghost::stages {

struct kwok_kind {
    std::string_view kind;      // "Stage"
    std::string_view plural;    // "stages"
    std::string_view singular;  // "stage"
    bool namespaced = false;
};

inline constexpr std::string_view kwok_group = "kwok.x-k8s.io";
inline constexpr std::string_view kwok_version = "v1alpha1";

/// All twelve, in kwok's documentation order.
std::span<const kwok_kind> kwok_kinds();
/// nullptr when `kind` is not one of them.
const kwok_kind* find_kwok_kind(std::string_view kind);

}  // namespace ghost::stages
