#include "debugging/resources.hpp"

#include "usage/json_fields.hpp"

#include <algorithm>
#include <array>
#include <limits>

namespace ghost::debugging {

namespace {

using usage::detail::field_reader;

struct kind_info {
    std::string_view kind;
    debug_kind type;
    bool cluster;
    std::string_view list;  ///< the spec field holding the entries
};

constexpr std::array<kind_info, 8> kinds{{
    {"Logs", debug_kind::logs, false, "logs"},
    {"ClusterLogs", debug_kind::logs, true, "logs"},
    {"Exec", debug_kind::exec, false, "execs"},
    {"ClusterExec", debug_kind::exec, true, "execs"},
    {"Attach", debug_kind::attach, false, "attaches"},
    {"ClusterAttach", debug_kind::attach, true, "attaches"},
    {"PortForward", debug_kind::port_forward, false, "forwards"},
    {"ClusterPortForward", debug_kind::port_forward, true, "forwards"},
}};

const kind_info* find_kind(std::string_view kind) {
    for (const auto& k : kinds)
        if (k.kind == kind) return &k;
    return nullptr;
}

std::vector<std::string> strings(const field_reader& r, const boost::json::object& o,
                                 std::string_view key, const std::string& field) {
    std::vector<std::string> out;
    const auto& a = r.array(o, key, field);
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!a[i].is_string())
            r.fail(field + "[" + std::to_string(i) + "]", "expected a string, got " + r.got(a[i]));
        out.emplace_back(a[i].get_string());
    }
    return out;
}

std::int64_t integer(const field_reader& r, const boost::json::value& v, const std::string& field,
                     std::int64_t lo, std::int64_t hi) {
    std::int64_t n = 0;
    if (v.is_int64()) {
        n = v.get_int64();
    } else if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(hi)) {
        n = static_cast<std::int64_t>(v.get_uint64());
    } else {
        r.fail(field, "expected an integer, got " + r.got(v));
    }
    if (n < lo || n > hi)
        r.fail(field, "expected an integer from " + std::to_string(lo) + " to " +
                          std::to_string(hi) + ", got " + std::to_string(n));
    return n;
}

logs_entry parse_logs(const field_reader& r, const boost::json::object& o, const std::string& f) {
    logs_entry e;
    e.containers = strings(r, o, "containers", f + ".containers");
    e.logs_file = r.string(o, "logsFile", f + ".logsFile", false);
    e.previous_logs_file = r.string(o, "previousLogsFile", f + ".previousLogsFile", false);
    if (auto* v = r.find(o, "follow")) {
        if (!v->is_bool()) r.fail(f + ".follow", "expected true or false, got " + r.got(*v));
        e.follow = v->get_bool();
    }
    return e;
}

exec_entry parse_exec(const field_reader& r, const boost::json::object& o, const std::string& f) {
    exec_entry e;
    e.containers = strings(r, o, "containers", f + ".containers");
    auto* local_v = r.find(o, "local");
    if (!local_v) return e;
    const auto& local = r.object(*local_v, f + ".local");
    e.local = true;
    e.work_dir = r.string(local, "workDir", f + ".local.workDir", false);
    const auto& envs = r.array(local, "envs", f + ".local.envs");
    for (std::size_t i = 0; i < envs.size(); ++i) {
        auto ef = f + ".local.envs[" + std::to_string(i) + "]";
        const auto& env = r.object(envs[i], ef);
        env_var v{r.string(env, "name", ef + ".name", true), r.string(env, "value", ef + ".value", false)};
        if (v.name.empty()) r.fail(ef + ".name", "expected a non-empty name");
        e.envs.push_back(std::move(v));
    }
    if (auto* sc_v = r.find(local, "securityContext")) {
        auto sf = f + ".local.securityContext";
        const auto& sc = r.object(*sc_v, sf);
        constexpr auto max_id = std::numeric_limits<std::uint32_t>::max();
        if (auto* u = r.find(sc, "runAsUser")) e.run_as_user = integer(r, *u, sf + ".runAsUser", 0, max_id);
        if (auto* g = r.find(sc, "runAsGroup")) e.run_as_group = integer(r, *g, sf + ".runAsGroup", 0, max_id);
    }
    return e;
}

attach_entry parse_attach(const field_reader& r, const boost::json::object& o, const std::string& f) {
    attach_entry e;
    e.containers = strings(r, o, "containers", f + ".containers");
    e.logs_file = r.string(o, "logsFile", f + ".logsFile", false);
    return e;
}

forward_entry parse_forward(const field_reader& r, const boost::json::object& o, const std::string& f) {
    forward_entry e;
    const auto& ports = r.array(o, "ports", f + ".ports");
    for (std::size_t i = 0; i < ports.size(); ++i)
        e.ports.push_back(static_cast<std::int32_t>(
            integer(r, ports[i], f + ".ports[" + std::to_string(i) + "]", 0, 65535)));
    e.command = strings(r, o, "command", f + ".command");
    if (auto* t_v = r.find(o, "target")) {
        const auto& t = r.object(*t_v, f + ".target");
        forward_address a;
        a.address = r.string(t, "address", f + ".target.address", true);
        if (a.address.empty()) r.fail(f + ".target.address", "expected a non-empty address");
        auto* port = r.find(t, "port");
        if (!port) r.fail(f + ".target.port", "expected a port from 0 to 65535, got nothing");
        a.port = static_cast<std::uint16_t>(integer(r, *port, f + ".target.port", 0, 65535));
        e.target = std::move(a);
    }
    if (e.command.empty() && !e.target)
        r.fail(f, "expected target (address and port) or command");
    return e;
}

debug_resource parse(const boost::json::object& object, std::string_view source) {
    field_reader r{usage::object_prefix(object, source)};
    auto kind = r.string(object, "kind", "kind", true);
    const auto* info = find_kind(kind);
    if (!info)
        r.fail("kind", "expected Logs, ClusterLogs, Exec, ClusterExec, Attach, ClusterAttach, "
                       "PortForward or ClusterPortForward, got " + kind);
    debug_resource out;
    out.kind = info->type;
    out.cluster = info->cluster;
    const auto* meta_v = r.find(object, "metadata");
    if (!meta_v) r.fail("metadata.name", "expected a string, got nothing");
    const auto& meta = r.object(*meta_v, "metadata");
    out.name = r.string(meta, "name", "metadata.name", true);
    if (!out.cluster) {
        out.namespace_ = r.string(meta, "namespace", "metadata.namespace", false);
        if (out.namespace_.empty()) out.namespace_ = "default";
    }
    const auto* spec_v = r.find(object, "spec");
    std::string list(info->list);
    if (!spec_v) r.fail("spec", "expected an object with " + list + ", got nothing");
    const auto& spec = r.object(*spec_v, "spec");
    if (out.cluster) {
        if (auto* sel = r.find(spec, "selector")) {
            const auto& so = r.object(*sel, "spec.selector");
            out.selector = object_selector{
                strings(r, so, "matchNamespaces", "spec.selector.matchNamespaces"),
                strings(r, so, "matchNames", "spec.selector.matchNames")};
        }
    }
    if (!r.find(spec, info->list)) r.fail("spec." + list, "expected a list, got nothing");
    const auto& entries = r.array(spec, info->list, "spec." + list);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        auto f = "spec." + list + "[" + std::to_string(i) + "]";
        const auto& o = r.object(entries[i], f);
        switch (out.kind) {
        case debug_kind::logs: out.logs.push_back(parse_logs(r, o, f)); break;
        case debug_kind::exec: out.execs.push_back(parse_exec(r, o, f)); break;
        case debug_kind::attach: out.attaches.push_back(parse_attach(r, o, f)); break;
        case debug_kind::port_forward: out.forwards.push_back(parse_forward(r, o, f)); break;
        }
    }
    return out;
}

}  // namespace

bool debug_resource::applies_to(std::string_view pod_namespace, std::string_view pod_name) const {
    if (!cluster) return name == pod_name && namespace_ == pod_namespace;
    return !selector || selector->matches(pod_namespace, pod_name);
}

bool is_debug_kind(std::string_view kind) { return find_kind(kind) != nullptr; }

std::optional<debug_resource> parse_debug_resource(const boost::json::object& object,
                                                   std::string_view source, std::string& error) {
    try {
        return parse(object, source);
    } catch (const usage::usage_error& e) {
        error = e.what();
        return std::nullopt;
    }
}

}  // namespace ghost::debugging
