#pragma once
// kwok's debugging resource types as data (spec §6.3, schemas in ../shared/kwok-crds): Logs /
// ClusterLogs, Exec / ClusterExec, Attach / ClusterAttach, PortForward / ClusterPortForward.
// A namespaced one applies to the pod of its own name and namespace, a Cluster* one to the pods
// its selector matches (kwok's ObjectSelector, the same as ClusterResourceUsage's).

#include "usage/resource_usage.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::debugging {

using object_selector = usage::usage_selector;

/// spec.logs[i]: `containers` empty = every container not named by another entry.
struct logs_entry {
    std::vector<std::string> containers;
    std::string logs_file;
    std::string previous_logs_file;
    bool follow = false;  ///< accepted; as kwok, the request's `follow` decides
};

struct env_var {
    std::string name;
    std::string value;
};

/// spec.execs[i]; without `local` nothing can be run (kwok: "not set local exec").
struct exec_entry {
    std::vector<std::string> containers;
    bool local = false;
    std::string work_dir;
    std::vector<env_var> envs;
    std::optional<std::int64_t> run_as_user;
    std::optional<std::int64_t> run_as_group;
};

/// spec.attaches[i]: attach streams `logs_file`.
struct attach_entry {
    std::vector<std::string> containers;
    std::string logs_file;
};

struct forward_address {
    std::string address;
    std::uint16_t port = 0;
};

/// spec.forwards[i]: `ports` empty = every port; `command` (stdio as the stream) wins over
/// `target`.
struct forward_entry {
    std::vector<std::int32_t> ports;
    std::optional<forward_address> target;
    std::vector<std::string> command;
};

enum class debug_kind { logs, exec, attach, port_forward };

struct debug_resource {
    debug_kind kind = debug_kind::logs;
    bool cluster = false;
    std::string name;
    std::string namespace_;                  ///< namespaced kinds only
    std::optional<object_selector> selector;  ///< Cluster* kinds; nullopt = every pod
    std::vector<logs_entry> logs;
    std::vector<exec_entry> execs;
    std::vector<attach_entry> attaches;
    std::vector<forward_entry> forwards;

    /// The pod this resource applies to (its own name for a namespaced one).
    bool applies_to(std::string_view pod_namespace, std::string_view pod_name) const;
};

/// Whether `kind` is one of the eight debugging kinds.
bool is_debug_kind(std::string_view kind);

/// Parses one object of a debugging kind; nullopt with `error` set to one line naming `source`
/// (the file, or "custom resource"), the object, the field and what was expected:
/// `f.yaml: Logs "p": spec.logs[0].logsFile: expected a string, got 3`.
std::optional<debug_resource> parse_debug_resource(const boost::json::object& object,
                                                   std::string_view source, std::string& error);

}  // namespace ghost::debugging
