#include "apps/ghostctl/scale.hpp"

#include "apps/ghostctl/dry_run.hpp"
#include "kube/api_client.hpp"
#include "kube/bulk_writer.hpp"
#include "kube/fake_objects.hpp"
#include "kube/kubeconfig.hpp"
#include "lang/jq.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <chrono>
#include <iomanip>
#include <ostream>
#include <set>

namespace ghost::ghostctl {
namespace asio = boost::asio;

boost::json::object scale_parameters(const scale_request& req) {
    boost::json::value params = req.resource == "node" ? kube::default_fake_node_parameters()
                                                       : kube::default_fake_pod_parameters();
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

std::string scale_plan(const scale_request& req, const std::filesystem::path& kubeconfig,
                       const std::vector<int>& create, const std::vector<int>& remove) {
    const std::string prefix = req.name.empty() ? req.resource : req.name;
    const bool nodes = req.resource == "node";
    std::vector<std::string> base{req.kubectl.string(), "--kubeconfig", kubeconfig.string()};
    if (!nodes) base.insert(base.end(), {"--namespace", req.ns});
    std::string out;
    if (!create.empty()) {
        auto params = scale_parameters(req);
        boost::json::array items;
        for (int i : create) {
            auto u = static_cast<std::size_t>(i);
            items.push_back(nodes ? kube::make_fake_node(prefix, u, params, req.serial_length)
                                  : kube::make_fake_pod(prefix, u, params, req.ns,
                                                        req.serial_length));
        }
        boost::json::object list{{"apiVersion", "v1"}, {"kind", "List"}, {"items", items}};
        auto argv = base;
        // As ghostctl's own POST: no client-side schema check (nodeInfo is partial until
        // ghostlet fills it).
        argv.insert(argv.end(), {"create", "--validate=false", "-f", "-"});
        out += shell_command(argv) + " <<'EOF'\n" + boost::json::serialize(list) + "\nEOF\n";
    }
    if (!remove.empty()) {
        auto argv = base;
        argv.insert(argv.end(), {"delete", req.resource});
        for (int i : remove)
            argv.push_back(kube::scaled_name(prefix, static_cast<std::size_t>(i),
                                             req.serial_length));
        out += shell_command(argv) + "\n";
    }
    return out;
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
        opts.label_selector = std::string(kube::scale_label) + "=" + prefix;
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
        if (req.dry_run) {
            out << scale_plan(req, kubeconfig, to_create, to_delete);
            co_return;
        }
        std::size_t done = 0, failed = 0;
        const std::size_t total = to_create.size() + to_delete.size();
        auto progress = [&] {
            out << "\r" << req.resource << " " << prefix << ": " << done << "/" << total
                << (to_create.empty() ? " deleted" : " created") << std::flush;
        };
        auto index_of = [&](std::size_t k) {
            return static_cast<std::size_t>(k < to_create.size() ? to_create[k]
                                                                 : to_delete[k - to_create.size()]);
        };
        auto make = [&](std::size_t k) {
            kube::bulk_op op;
            auto i = index_of(k);
            if (k < to_create.size()) {
                auto obj = nodes ? kube::make_fake_node(prefix, i, params, req.serial_length)
                                 : kube::make_fake_pod(prefix, i, params, ns, req.serial_length);
                op.path = kube::collection_path(resource, ns);
                op.body = boost::json::serialize(obj);
            } else {
                op.k = kube::bulk_op::kind::remove;
                op.path = kube::object_path(resource, ns,
                                            kube::scaled_name(prefix, i, req.serial_length));
            }
            return op;
        };
        auto on_result = [&](std::size_t k, const kube::bulk_op& op,
                             const kube::api_result<kube::api_response>& r) {
            if (!r && r.error().ec != kube::errc::already_exists &&
                r.error().ec != kube::errc::not_found) {
                if (failed++ < 5) {
                    bool create = op.k == kube::bulk_op::kind::create;
                    out << "\nerror: " << (create ? "create " : "delete ")
                        << kube::scaled_name(prefix, index_of(k), req.serial_length) << ": "
                        << r.error().ec.message() << " " << r.error().status.message << "\n";
                }
            }
            ++done;
            if (done % 500 == 0) progress();
        };
        kube::bulk_options options;
        options.parallelism = static_cast<std::size_t>(std::max(1, req.parallelism));
        co_await kube::async_bulk_write(client, total, make, on_result, options);
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
