#include "apps/ghostctl/scale.hpp"

#include "engine/http_pool.hpp"
#include "kube/api_client.hpp"
#include "kube/kubeconfig.hpp"
#include "lang/jq.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <ostream>
#include <set>
#include <sstream>

namespace ghost::ghostctl {
namespace {

namespace asio = boost::asio;
using u128 = unsigned __int128;

u128 to_u128(const asio::ip::address& a) {
    u128 v = 0;
    if (a.is_v4()) return a.to_v4().to_uint();
    for (auto byte : a.to_v6().to_bytes()) v = (v << 8) | byte;
    return v;
}

std::string from_u128(u128 v, bool v6) {
    if (!v6) return asio::ip::address_v4(static_cast<std::uint32_t>(v)).to_string();
    asio::ip::address_v6::bytes_type bytes{};
    for (int i = 15; i >= 0; --i) {
        bytes[static_cast<std::size_t>(i)] = static_cast<unsigned char>(v & 0xff);
        v >>= 8;
    }
    return asio::ip::address_v6(bytes).to_string();
}

boost::json::object default_node_params() {
    return boost::json::parse(R"({
        "podCIDR": "10.0.0.0/24", "podCIDRv6": "fd00::/64",
        "internalIP": "192.0.2.1", "internalIPv6": "2001:db8::1",
        "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
        "labels": {}, "annotations": {}})")
        .as_object();
}

boost::json::object default_pod_params() {
    return boost::json::parse(R"({
        "nodeName": "", "hostNetwork": false, "image": "busybox",
        "resources": {}, "labels": {}, "annotations": {}})")
        .as_object();
}

void merge_strings(boost::json::object& into, const boost::json::value& extra) {
    if (!extra.is_object()) return;
    for (const auto& [k, v] : extra.get_object()) into[k] = v;
}

}  // namespace

std::string scaled_name(const std::string& prefix, int index, int serial_length) {
    std::ostringstream out;
    out << prefix << '-' << std::setw(serial_length) << std::setfill('0') << index;
    return out.str();
}

std::string add_cidr(const std::string& cidr, std::uint64_t index) {
    auto slash = cidr.find('/');
    boost::system::error_code ec;
    auto base = asio::ip::make_address(cidr.substr(0, slash), ec);
    int bits = 0;
    if (slash != std::string::npos) {
        std::from_chars(cidr.data() + slash + 1, cidr.data() + cidr.size(), bits);
    }
    if (ec || slash == std::string::npos) throw scale_error("bad CIDR \"" + cidr + "\"");
    int width = base.is_v4() ? 32 : 128;
    u128 step = static_cast<u128>(1) << (width - bits);
    return from_u128(to_u128(base) + step * index, base.is_v6()) + cidr.substr(slash);
}

std::string add_ip(const std::string& ip, std::uint64_t index) {
    boost::system::error_code ec;
    auto base = asio::ip::make_address(ip, ec);
    if (ec) throw scale_error("bad IP \"" + ip + "\"");
    return from_u128(to_u128(base) + index, base.is_v6());
}

boost::json::object scale_parameters(const scale_request& req) {
    boost::json::value params =
        req.resource == "node" ? default_node_params() : default_pod_params();
    for (const auto& p : req.params) {
        std::string error;
        auto program = lang::jq_program::try_parse(p, &error);
        if (!program) throw scale_error("--param '" + p + "': " + error);
        auto out = program->first(params);
        if (!out || !out->is_object()) {
            throw scale_error("--param '" + p +
                              "': expected an assignment such as '.nodeName=\"node-000000\"'");
        }
        params = std::move(*out);
    }
    return params.as_object();
}

boost::json::object make_scaled_node(const std::string& prefix, int index,
                                     const boost::json::object& params, int serial_length) {
    auto name = scaled_name(prefix, index, serial_length);
    auto str = [&](const char* k) { return std::string(params.at(k).as_string()); };
    auto i = static_cast<std::uint64_t>(index);
    boost::json::object labels{{"beta.kubernetes.io/arch", "amd64"},
                               {"beta.kubernetes.io/os", "linux"},
                               {"kubernetes.io/arch", "amd64"},
                               {"kubernetes.io/hostname", name},
                               {"kubernetes.io/os", "linux"},
                               {"kubernetes.io/role", "agent"},
                               {"node-role.kubernetes.io/agent", ""},
                               {"type", "kwok"},
                               {scale_label, prefix}};
    merge_strings(labels, params.at("labels"));
    boost::json::object annotations{
        {"kwok.x-k8s.io/node", "fake"},
        {"node.alpha.kubernetes.io/ttl", "0"},
        {"metrics.k8s.io/resource-metrics-path", "/metrics/nodes/" + name + "/metrics/resource"}};
    merge_strings(annotations, params.at("annotations"));
    auto cidr4 = add_cidr(str("podCIDR"), i);
    auto cidr6 = add_cidr(str("podCIDRv6"), i);
    const auto& alloc = params.at("allocatable");
    return boost::json::object{
        {"apiVersion", "v1"},
        {"kind", "Node"},
        {"metadata", {{"name", name}, {"labels", labels}, {"annotations", annotations}}},
        {"spec",
         {{"podCIDR", cidr4},
          {"podCIDRs", boost::json::array{cidr4, cidr6}},
          {"taints",
           boost::json::array{boost::json::object{
               {"key", "kwok.x-k8s.io/node"}, {"value", "fake"}, {"effect", "NoSchedule"}}}}}},
        {"status",
         {{"allocatable", alloc},
          {"capacity", alloc},
          {"addresses",
           boost::json::array{
               boost::json::object{{"type", "InternalIP"}, {"address", add_ip(str("internalIP"), i)}},
               boost::json::object{{"type", "InternalIP"},
                                   {"address", add_ip(str("internalIPv6"), i)}}}},
          {"nodeInfo", {{"architecture", "amd64"}, {"operatingSystem", "linux"}}}}}};
}

boost::json::object make_scaled_pod(const std::string& prefix, int index,
                                    const boost::json::object& params, const std::string& ns,
                                    int serial_length) {
    auto name = scaled_name(prefix, index, serial_length);
    boost::json::object labels{{"app", prefix}, {scale_label, prefix}};
    merge_strings(labels, params.at("labels"));
    boost::json::object container{{"name", "container-0"},
                                  {"image", params.at("image")},
                                  {"resources", params.at("resources")}};
    boost::json::object spec{
        {"containers", boost::json::array{container}},
        {"tolerations",
         boost::json::array{boost::json::object{{"key", "kwok.x-k8s.io/node"},
                                                {"operator", "Exists"},
                                                {"effect", "NoSchedule"}}}}};
    const auto& node = params.at("nodeName");
    if (node.is_string() && !node.get_string().empty()) {
        spec["nodeName"] = node;
    } else {
        // Without a node name the scheduler places the pod; keep it on fake nodes.
        spec["affinity"] = boost::json::parse(R"({"nodeAffinity":{
            "requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[
            {"matchExpressions":[{"key":"type","operator":"In","values":["kwok"]}]}]}}})");
    }
    if (params.at("hostNetwork").is_bool() && params.at("hostNetwork").get_bool()) {
        spec["hostNetwork"] = true;
    }
    return boost::json::object{
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels},
                      {"annotations", params.at("annotations")}}},
        {"spec", spec}};
}

int run_scale(const scale_request& req, const std::filesystem::path& kubeconfig,
              std::ostream& out) {
    if (req.resource != "node" && req.resource != "pod") {
        throw scale_error("scale: expected 'node' or 'pod', got \"" + req.resource + "\"");
    }
    if (req.replicas < 0) throw scale_error("scale: --replicas is required (a number >= 0)");
    const std::string prefix = req.name.empty() ? req.resource : req.name;
    const bool nodes = req.resource == "node";
    auto params = scale_parameters(req);
    auto access = kube::load_kubeconfig(kubeconfig);

    asio::io_context ioc{1};
    engine::pool_config cfg;
    cfg.max_connections = static_cast<std::size_t>(req.parallelism);
    auto pool = kube::make_http_pool(ioc.get_executor(), access, cfg);
    kube::api_client client(*pool, {access.base_path});
    auto resource = nodes ? kube::resources::nodes() : kube::resources::pods();
    std::string ns = nodes ? std::string() : req.ns;
    int exit_code = 0;
    auto started = std::chrono::steady_clock::now();

    auto job = [&]() -> asio::awaitable<void> {
        kube::list_options opts;
        opts.label_selector = std::string(scale_label) + "=" + prefix;
        auto listed = co_await client.async_list(kube::collection_path(resource, ns), opts);
        if (!listed) {
            out << "error: listing " << req.resource << "s failed: "
                << listed.error().ec.message() << " " << listed.error().status.message << "\n";
            exit_code = 1;
            co_return;
        }
        std::set<int> existing;
        for (const auto& item : listed->items) {
            auto name = item.at("metadata").at("name").as_string();
            auto dash = std::string_view(name).rfind('-');
            int index = -1;
            if (dash != std::string_view::npos) {
                std::from_chars(name.data() + dash + 1, name.data() + name.size(), index);
            }
            if (index >= 0) existing.insert(index);
        }
        std::vector<int> to_create, to_delete;
        for (int i = 0; i < req.replicas; ++i) {
            if (!existing.count(i)) to_create.push_back(i);
        }
        for (int i : existing) {
            if (i >= req.replicas) to_delete.push_back(i);
        }
        std::size_t next = 0, done = 0, failed = 0;
        const std::size_t total = to_create.size() + to_delete.size();
        auto progress = [&] {
            out << "\r" << req.resource << " " << prefix << ": " << done << "/" << total
                << (to_create.empty() ? " deleted" : " created") << std::flush;
        };
        auto worker = [&]() -> asio::awaitable<void> {
            while (next < total) {
                std::size_t k = next++;
                kube::api_result<kube::api_response> r;
                std::string what;
                if (k < to_create.size()) {
                    int i = to_create[k];
                    auto obj = nodes ? make_scaled_node(prefix, i, params, req.serial_length)
                                     : make_scaled_pod(prefix, i, params, ns, req.serial_length);
                    what = "create " + scaled_name(prefix, i, req.serial_length);
                    r = co_await client.async_create(kube::collection_path(resource, ns),
                                                     boost::json::serialize(obj));
                } else {
                    int i = to_delete[k - to_create.size()];
                    auto name = scaled_name(prefix, i, req.serial_length);
                    what = "delete " + name;
                    r = co_await client.async_delete(kube::object_path(resource, ns, name));
                }
                if (!r && r.error().ec != kube::errc::already_exists &&
                    r.error().ec != kube::errc::not_found) {
                    if (failed++ < 5) {
                        out << "\nerror: " << what << ": " << r.error().ec.message() << " "
                            << r.error().status.message << "\n";
                    }
                }
                ++done;
                if (done % 500 == 0) progress();
            }
        };
        std::vector<asio::awaitable<void>> workers;
        int n = std::max(1, std::min<int>(req.parallelism, static_cast<int>(total)));
        int running = n;
        auto ex = co_await asio::this_coro::executor;
        asio::steady_timer all_done(ex, std::chrono::steady_clock::time_point::max());
        for (int w = 0; w < n; ++w) {
            asio::co_spawn(ex, worker(), [&](std::exception_ptr) {
                if (--running == 0) all_done.cancel();
            });
        }
        if (total > 0) co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
        progress();
        auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
        out << "\nscaled " << req.resource << " " << prefix << " to " << req.replicas
            << " replicas (" << to_create.size() << " created, " << to_delete.size()
            << " deleted) in " << std::fixed << std::setprecision(1) << secs.count() << "s\n";
        if (failed) {
            out << failed << " requests failed\n";
            exit_code = 1;
        }
    };
    asio::co_spawn(ioc, job(), [&](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                out << "error: " << ex.what() << "\n";
                exit_code = 1;
            }
        }
    });
    ioc.run();
    return exit_code;
}

}  // namespace ghost::ghostctl
