#pragma once
// Shared by the usage tests: kwok's shipped documents, read in place, and small Node/Pod objects.

#include "lang/yaml_json.hpp"
#include "usage/usage_state.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace ghost::usage::testing {

inline boost::json::object shipped(const std::string& file) {
    std::ifstream in(std::filesystem::path(GHOST_SHARED_DIR) / "kwok-metrics" / file);
    std::stringstream ss;
    ss << in.rdbuf();
    auto doc = lang::yaml_to_json(ss.str());
    if (!doc || !doc->is_object()) throw std::runtime_error("cannot read " + file);
    return doc->get_object();
}

inline boost::json::object yaml(const std::string& text) {
    auto doc = lang::yaml_to_json(text);
    if (!doc || !doc->is_object()) throw std::runtime_error("bad test YAML");
    return doc->get_object();
}

inline boost::json::value make_node(const std::string& name) {
    return boost::json::parse(R"({"kind":"Node","metadata":{"name":")" + name +
                              R"(","uid":"u-)" + name + R"(","labels":{},"annotations":{}}})");
}

/// A pod on `node` with `containers`; `annotations` as a JSON object text ("" = none at all).
inline boost::json::value make_pod(const std::string& ns, const std::string& name,
                                   const std::string& node,
                                   const std::vector<std::string>& containers,
                                   const std::string& annotations) {
    std::string c;
    for (const auto& n : containers) c += (c.empty() ? "" : ",") + (R"({"name":")" + n + R"("})");
    std::string meta = R"("name":")" + name + R"(","namespace":")" + ns +
                       R"(","uid":"u-)" + name +
                       R"(","creationTimestamp":"2026-01-01T00:00:00Z")";
    if (!annotations.empty()) meta += R"(,"annotations":)" + annotations;
    return boost::json::parse(R"({"metadata":{)" + meta + R"(},"spec":{"nodeName":")" + node +
                              R"(","containers":[)" + c + R"(]},"status":{"phase":"Running"}})");
}

/// A clock the test moves by hand.
struct manual_clock {
    std::chrono::steady_clock::time_point now{std::chrono::seconds(1000)};
    usage_state::clock_fn fn() {
        return [this] { return now; };
    }
};

}  // namespace ghost::usage::testing
