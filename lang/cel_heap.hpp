#pragma once

// Heap parts of values; internal to the library.

#include <string>
#include <utility>
#include <vector>

#include "lang/cel_value.hpp"

namespace ghost::lang::cel::detail {

struct heap_string final : heap_object {
    explicit heap_string(std::string s) : text(std::move(s)) {}
    std::string text;
};

struct heap_list final : heap_object {
    explicit heap_list(std::vector<value> v) : items(std::move(v)) {}
    std::vector<value> items;
};

struct heap_map final : heap_object {
    explicit heap_map(std::vector<std::pair<value, value>> v) : entries(std::move(v)) {}
    std::vector<std::pair<value, value>> entries;
};

}  // namespace ghost::lang::cel::detail
