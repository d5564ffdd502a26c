#include "apps/ghostctl/scale.hpp"

#include "apps/ghostctl/dry_run.hpp"
#include "kube/api_client.hpp"
#include "kube/bulk_writer.hpp"
#include "kube/discovery.hpp"
#include "kube/fake_objects.hpp"
#include "kube/kubeconfig.hpp"
#include "lang/jq.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <optional>
#include <ostream>
#include <set>

namespace ghost::ghostctl {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string prefix_of(const scale_request& req) {
    return req.name.empty() ? req.resource : req.name;
}

std::string text_at(const json::object& o, const char* a, const char* b = nullptr) {
    const json::value* v = o.if_contains(a);
    if (v && b) v = v->is_object() ? v->get_object().if_contains(b) : nullptr;
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// kubectl's word for a resource: "nodes", "widgets.example.com".
std::string kubectl_resource(const kube::resource_ref& r) {
    return r.group.empty() ? r.resource : r.resource + "." + r.group;
}

}  // namespace

json::value apply_params(json::value params, const std::vector<std::string>& assignments) {
    for (const auto& p : assignments) {
        std::string error;
        auto program = lang::jq_program::try_parse(p, &error);
        if (!program) throw scale_error("--param '" + p + "': " + error);
        auto out = program->first(params);
        if (!out) {
            throw scale_error("--param '" + p +
                              "': expected an assignment such as '.nodeName=\"node-000000\"'");
        }
        params = std::move(*out);
    }
    return params;
}

scale_diff diff_scale(std::vector<scaled_object> existing, const std::string& prefix,
                      int replicas, int serial_length) {
    scale_diff d;
    const auto want = static_cast<std::size_t>(std::max(replicas, 0));
    std::set<std::string> taken;
    for (const auto& o : existing) taken.insert(o.name);
    std::erase_if(existing, [](const scaled_object& o) { return o.deleting; });
    if (existing.size() > want) {
        std::sort(existing.begin(), existing.end(), [](const auto& a, const auto& b) {
            return a.creation_timestamp != b.creation_timestamp
                       ? a.creation_timestamp < b.creation_timestamp
                       : a.name < b.name;
        });
        for (std::size_t i = want; i < existing.size(); ++i) d.remove.push_back(existing[i].name);
        return d;
    }
    for (std::size_t i = 0; d.create.size() + existing.size() < want; ++i)
        if (!taken.count(kube::scaled_name(prefix, i, serial_length))) d.create.push_back(i);
    return d;
}

scale_source builtin_source(const scale_request& req) {
    const std::string prefix = prefix_of(req);
    const int digits = req.serial_length;
    scale_source src;
    if (req.resource == "node") {
        auto params = apply_params(kube::default_fake_node_parameters(), req.params);
        if (!params.is_object()) throw scale_error("--param: node parameters must stay an object");
        src.resource = kube::resources::nodes();
        src.make = [prefix, digits, p = std::move(params.get_object())](std::size_t i) {
            try {
                return kube::make_fake_node(prefix, i, p, digits);
            } catch (const std::invalid_argument& e) {
                throw scale_error(std::string("node parameters: ") + e.what());
            }
        };
        return src;
    }
    if (req.resource == "pod") {
        auto params = apply_params(kube::default_fake_pod_parameters(), req.params);
        if (!params.is_object()) throw scale_error("--param: pod parameters must stay an object");
        src.resource = kube::resources::pods();
        src.ns = req.ns.empty() ? "default" : req.ns;
        src.make = [prefix, digits, ns = src.ns, p = std::move(params.get_object())](
                       std::size_t i) { return kube::make_fake_pod(prefix, i, p, ns, digits); };
        return src;
    }
    throw scale_error("scale: unknown resource \"" + req.resource +
                      "\": expected node, pod or the name of a KwokctlResource");
}

json::object render_scaled(const kwokctl_resource& r, const json::value& params,
                           const std::string& prefix, std::size_t index, int serial_length,
                           const std::string& ns) {
    const auto name = kube::scaled_name(prefix, index, serial_length);
    json::object obj;
    try {
        obj = r.tpl->render(params, name, ns, index);
    } catch (const std::invalid_argument& e) {
        throw scale_error(r.where + ": template (object " + name + "): " + e.what());
    }
    auto& meta = obj["metadata"];
    if (!meta.is_object()) meta = json::object();
    auto& m = meta.get_object();
    auto& labels = m["labels"];
    if (!labels.is_object()) labels = json::object();
    labels.get_object()[kube::scale_label] = prefix;
    m["name"] = name;
    if (ns.empty()) m.erase("namespace");
    else m["namespace"] = ns;
    return obj;
}

std::string scale_plan(const scale_request& req, const std::filesystem::path& kubeconfig,
                       const scale_source& src, const scale_diff& diff) {
    std::vector<std::string> base{req.kubectl.string(), "--kubeconfig", kubeconfig.string()};
    if (src.resource.namespaced) base.insert(base.end(), {"--namespace", src.ns});
    std::string out;
    if (!diff.create.empty()) {
        json::array items;
        for (auto i : diff.create) items.push_back(src.make(i));
        json::object list{{"apiVersion", "v1"}, {"kind", "List"}, {"items", items}};
        auto argv = base;
        // As ghostctl's own POST: no client-side schema check (nodeInfo is partial until
        // ghostlet fills it).
        argv.insert(argv.end(), {"create", "--validate=false", "-f", "-"});
        out += shell_command(argv) + " <<'EOF'\n" + json::serialize(list) + "\nEOF\n";
    }
    if (!diff.remove.empty()) {
        auto argv = base;
        argv.insert(argv.end(), {"delete", kubectl_resource(src.resource)});
        argv.insert(argv.end(), diff.remove.begin(), diff.remove.end());
        out += shell_command(argv) + "\n";
    }
    return out;
}

const kwokctl_resource* choose_resource(const std::string& resource,
                                        const std::vector<kwokctl_resource>& given,
                                        const std::vector<kwokctl_resource>& saved) {
    if (const auto* r = find_resource(given, resource)) return r;
    if (const auto* r = find_resource(saved, resource)) return r;
    if (resource == "node" || resource == "pod") return nullptr;
    std::set<std::string> names{"node", "pod"};
    for (const auto* list : {&given, &saved})
        for (const auto& r : *list) names.insert(r.name);
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    throw scale_error("scale: no resource \"" + resource + "\" (known: " + known +
                      "); define it with a KwokctlResource document given with -c");
}

int run_scale(const scale_request& req, const std::filesystem::path& kubeconfig,
              std::ostream& out) {
    if (req.replicas < 0) throw scale_error("scale: --replicas is required (a number >= 0)");
    const std::string prefix = prefix_of(req);
    // Built-ins and bad --params fail before anything is contacted.
    std::optional<scale_source> builtin;
    json::value params;
    if (req.custom) params = apply_params(req.custom->parameters, req.params);
    else builtin = builtin_source(req);
    auto access = kube::load_kubeconfig(kubeconfig);

    asio::io_context ioc{1};
    engine::pool_config cfg;
    cfg.max_connections = static_cast<std::size_t>(req.parallelism);
    auto pool = kube::make_http_pool(ioc.get_executor(), access, cfg);
    kube::api_client client(*pool, {access.base_path});
    int exit_code = 0;
    auto started = std::chrono::steady_clock::now();
    auto fail = [&](const std::string& line) {
        out << "error: " << line << "\n";
        exit_code = 1;
    };

    // A KwokctlResource's resource is the one serving its objects' kind (kwokctl renders an
    // example, named the prefix, with serial 0).
    auto custom_source = [&]() -> asio::awaitable<std::optional<scale_source>> {
        const auto& r = *req.custom;
        json::object example;
        try {
            example = r.tpl->render(params, prefix, req.ns, 0);
        } catch (const std::invalid_argument& e) {
            throw scale_error(r.where + ": template: " + e.what());
        }
        const auto api_version = text_at(example, "apiVersion");
        const auto kind = text_at(example, "kind");
        if (api_version.empty() || kind.empty())
            throw scale_error(r.where + ": template: the object has no apiVersion and kind");
        auto got = co_await client.async_get(kube::discovery_path(api_version));
        if (!got) {
            fail("scale " + req.resource + ": discovery of " + api_version + ": " +
                 got.error().ec.message() + " " + got.error().status.message);
            co_return std::nullopt;
        }
        std::string error;
        auto served = kube::parse_api_resource_list(got->body, api_version, &error);
        const kube::api_resource* found = served ? kube::find_kind(*served, kind) : nullptr;
        if (!found) {
            fail("scale " + req.resource + ": the API server serves no kind " + kind + " in " +
                 api_version + (error.empty() ? "" : " (" + error + ")"));
            co_return std::nullopt;
        }
        scale_source src;
        src.resource = found->ref;
        if (src.resource.namespaced) {
            src.ns = !req.ns.empty() ? req.ns : text_at(example, "metadata", "namespace");
            if (src.ns.empty()) src.ns = "default";
        } else if (!req.ns.empty()) {
            out << "warning: -n " << req.ns << " ignored: " << kind << " is cluster-scoped\n";
        }
        src.make = [&r, params, prefix, digits = req.serial_length,
                    ns = src.ns](std::size_t i) {
            return render_scaled(r, params, prefix, i, digits, ns);
        };
        co_return src;
    };

    auto job = [&]() -> asio::awaitable<void> {
        std::optional<scale_source> found = builtin;
        if (!found) found = co_await custom_source();
        if (!found) co_return;
        const scale_source& src = *found;
        kube::list_options opts;
        opts.label_selector = std::string(kube::scale_label) + "=" + prefix;
        auto listed = co_await client.async_list(kube::collection_path(src.resource, src.ns), opts);
        if (!listed) {
            fail("listing " + kubectl_resource(src.resource) + " failed: " +
                 listed.error().ec.message() + " " + listed.error().status.message);
            co_return;
        }
        std::vector<scaled_object> existing;
        for (const auto& item : listed->items) {
            const auto* meta = item.as_object().if_contains("metadata");
            if (!meta || !meta->is_object()) continue;
            existing.push_back({text_at(meta->get_object(), "name"),
                                text_at(meta->get_object(), "creationTimestamp"),
                                meta->get_object().contains("deletionTimestamp")});
        }
        const auto diff = diff_scale(existing, prefix, req.replicas, req.serial_length);
        if (req.dry_run) {
            out << scale_plan(req, kubeconfig, src, diff);
            co_return;
        }
        std::size_t done = 0, failed = 0;
        const std::size_t total = diff.create.size() + diff.remove.size();
        auto progress = [&] {
            out << "\r" << req.resource << " " << prefix << ": " << done << "/" << total
                << (diff.create.empty() ? " deleted" : " created") << std::flush;
        };
        auto name_of = [&](std::size_t k) {
            return k < diff.create.size()
                       ? kube::scaled_name(prefix, diff.create[k], req.serial_length)
                       : diff.remove[k - diff.create.size()];
        };
        auto make = [&](std::size_t k) {
            kube::bulk_op op;
            if (k < diff.create.size()) {
                op.path = kube::collection_path(src.resource, src.ns);
                op.body = json::serialize(src.make(diff.create[k]));
            } else {
                op.k = kube::bulk_op::kind::remove;
                op.path = kube::object_path(src.resource, src.ns, name_of(k));
            }
            return op;
        };
        auto on_result = [&](std::size_t k, const kube::bulk_op& op,
                             const kube::api_result<kube::api_response>& r) {
            if (!r && r.error().ec != kube::errc::already_exists &&
                r.error().ec != kube::errc::not_found) {
                if (failed++ < 5) {
                    bool create = op.k == kube::bulk_op::kind::create;
                    out << "\nerror: " << (create ? "create " : "delete ") << name_of(k) << ": "
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
            << " replicas (" << diff.create.size() << " created, " << diff.remove.size()
            << " deleted) in " << std::fixed << std::setprecision(1) << secs.count() << "s\n";
        if (failed) {
            out << failed << " requests failed\n";
            exit_code = 1;
        }
    };
    std::exception_ptr error;
    asio::co_spawn(ioc, job(), [&](std::exception_ptr e) { error = e; });
    ioc.run();
    // A template failing on object i is bad input (scale_error), as a bad --param is.
    if (error) std::rethrow_exception(error);
    return exit_code;
}

}  // namespace ghost::ghostctl
