#pragma once
// The simulated usage behind kwok's Usage / CumulativeUsage / StartedContainersTotal (spec
// §6.1-6.2): the ResourceUsage and ClusterResourceUsage in force, the running integrals of
// CumulativeUsage (rate x seconds since the previous evaluation of the same key, on an injected
// clock), and the CEL environment whose functions read them. Single-threaded; not movable (the
// environment's functions point at it).

#include "usage/resource_usage.hpp"

#include "lang/cel.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ghost::usage {

class usage_state {
public:
    using clock_fn = std::function<std::chrono::steady_clock::time_point()>;
    using started_fn = std::function<std::uint64_t(std::string_view node_name)>;

    explicit usage_state(clock_fn clock);
    usage_state(const usage_state&) = delete;
    usage_state& operator=(const usage_state&) = delete;

    /// Metric and ResourceUsage expressions compile against this one.
    const lang::cel::environment& environment() const noexcept { return env_; }

    /// The ResourceUsage and ClusterResourceUsage objects in lookup order (config files first).
    void set_usages(std::vector<resource_usage> usages) { usages_ = std::move(usages); }
    void set_started_containers(started_fn f) { started_ = std::move(f); }

    /// Node-wide sums and the per-scrape caches refer to this node and its pods until the next
    /// begin_scrape; the documents must outlive it.
    void begin_scrape(const boost::json::value* node,
                      std::span<const boost::json::value* const> pods);
    /// Forgets the node and pods of the scrape (node sums are errors until the next one).
    void end_scrape() noexcept {
        node_ = nullptr;
        pods_ = {};
    }

    /// Usage of one container (cores for cpu, bytes for memory); 0 when no usage applies.
    double container_usage(const lang::cel::value& pod, const lang::cel::value& container,
                           std::string_view resource);
    /// Drops the integrals of a deleted pod (ns/name) or node.
    void forget_pod(std::string_view ns, std::string_view name);
    void forget_node(std::string_view name);
    std::size_t integrals() const noexcept { return cumulative_.size(); }

private:
    struct integral {
        std::chrono::steady_clock::time_point at;
        double total = 0;
    };
    lang::cel::value usage(const lang::cel::value& object, std::string_view resource,
                           const std::string_view* container, bool cumulative);
    double pod_usage(const lang::cel::value& pod, std::string_view resource,
                     const std::string_view* container, bool cumulative);
    double integrate(const std::string& key, double rate);
    const usage_entry* find_entry(std::string_view ns, std::string_view name,
                                  std::string_view container) const;

    clock_fn clock_;
    started_fn started_;
    lang::cel::environment env_;
    std::vector<resource_usage> usages_;
    std::map<std::string, integral, std::less<>> cumulative_;  ///< "ns/pod/container/res"
    // Within one scrape each key is computed once (pod = sum of its containers' integrals).
    std::unordered_map<std::string, double> scrape_cache_;
    const boost::json::value* node_ = nullptr;
    std::span<const boost::json::value* const> pods_;
    std::chrono::steady_clock::time_point now_{};
    int depth_ = 0;  ///< a usage expression calling Usage: bounded, not endless
};

}  // namespace ghost::usage
