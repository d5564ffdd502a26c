// The k8s format of `ghostctl snapshot`: kwokctl's YAML snapshot through the API server.

#include "apps/ghostctl/snapshot.hpp"
#include "apps/ghostctl/snapshot_format.hpp"

#include "kube/api_client.hpp"
#include "kube/kubeconfig.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <fstream>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

namespace ghost::ghostctl {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

using call_fn = std::function<asio::awaitable<kube::api_result<kube::api_response>>()>;

auto no_cancel() {
    return asio::bind_cancellation_slot(asio::cancellation_slot(),
                                        asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(no_cancel());
}

// Transient failures (429, 5xx, transport) are retried 5 times, 200 ms doubling; NotFound on
// a create `not_found_tries` times a second apart (kwokctl: a namespace may just be coming).
asio::awaitable<kube::api_result<kube::api_response>> with_retries(call_fn call,
                                                                  int not_found_tries = 1) {
    int transient = 0, not_found = 0;
    while (true) {
        kube::api_result<kube::api_response> r = co_await call();
        if (r) co_return r;
        auto ec = r.error().ec;
        if (kube::is_transient(ec) && ++transient < 5) {
            co_await sleep_for(200ms * (1 << transient));
            continue;
        }
        if (ec == kube::errc::not_found && ++not_found < not_found_tries) {
            co_await sleep_for(1s);
            continue;
        }
        co_return r;
    }
}

std::string reason_of(const kube::api_error& e) {
    std::string out = e.status.reason.empty() ? e.ec.message() : e.status.reason;
    if (!e.status.message.empty()) out += ": " + e.status.message;
    return out;
}

// `n` copies of `worker` on this executor; completes when all have returned.
asio::awaitable<void> run_workers(std::size_t n, std::function<asio::awaitable<void>()> worker) {
    auto ex = co_await asio::this_coro::executor;
    std::size_t running = n;
    std::exception_ptr failure;
    asio::steady_timer all_done(ex, std::chrono::steady_clock::time_point::max());
    for (std::size_t i = 0; i < n; ++i) {
        asio::co_spawn(ex, worker(), [&](std::exception_ptr e) {
            if (e && !failure) failure = e;
            if (--running == 0) all_done.cancel();
        });
    }
    while (running > 0) co_await all_done.async_wait(no_cancel());
    if (failure) std::rethrow_exception(failure);
}

// Every served resource, each group's preferred version first (the order resolve_filter
// wants). A group/version whose discovery fails (an aggregated API that is down) is left out.
asio::awaitable<std::vector<kube::api_resource>> discover(kube::api_client& client) {
    std::vector<std::string> group_versions;
    std::string core = "/api";
    auto api = co_await with_retries([&] { return client.async_get(core); });
    if (!api) throw ghostctl_error("discovery: GET /api: " + reason_of(api.error()));
    const auto versions = json::parse(api->body);  // named: the loops below refer into it
    for (const auto& v : versions.at("versions").as_array())
        group_versions.push_back(std::string(v.as_string()));
    std::string groups_path = "/apis";
    auto apis = co_await with_retries([&] { return client.async_get(groups_path); });
    if (!apis) throw ghostctl_error("discovery: GET /apis: " + reason_of(apis.error()));
    const auto groups = json::parse(apis->body);
    for (const auto& g : groups.at("groups").as_array()) {
        const auto& group = g.as_object();
        std::string preferred;
        if (const auto* p = group.if_contains("preferredVersion"))
            preferred = std::string(p->at("groupVersion").as_string());
        if (!preferred.empty()) group_versions.push_back(preferred);
        for (const auto& v : group.at("versions").as_array()) {
            std::string gv(v.at("groupVersion").as_string());
            if (gv != preferred) group_versions.push_back(gv);
        }
    }
    std::vector<kube::api_resource> out;
    for (const auto& gv : group_versions) {
        std::string path = kube::discovery_path(gv);
        auto r = co_await with_retries([&] { return client.async_get(path); });
        if (!r) continue;
        auto list = kube::parse_api_resource_list(r->body, gv);
        if (list) out.insert(out.end(), list->begin(), list->end());
    }
    co_return out;
}

std::vector<const kube::api_resource*> resolve_filters(
    const std::vector<std::string>& filters, const std::vector<kube::api_resource>& served,
    const char* verb) {
    std::vector<const kube::api_resource*> out;
    std::string unknown;
    for (const auto& f : filters) {
        const auto* r = resolve_filter(f, served);
        if (r == nullptr) {
            unknown += (unknown.empty() ? "\"" : ", \"") + f + "\"";
            continue;
        }
        if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
    }
    if (!unknown.empty()) {
        throw snapshot_input_error(std::string(verb) + ": --filter: the server has no resource "
                                   "type " + unknown + " (kubectl api-resources lists them)");
    }
    return out;
}

// Runs `job` on a private io_context with a pool for the cluster; rethrows its exception.
void run_against(const fs::path& kubeconfig,
                 const std::function<asio::awaitable<void>(kube::api_client&)>& job) {
    auto access = kube::load_kubeconfig(kubeconfig);
    asio::io_context ioc{1};
    engine::pool_config cfg;
    cfg.max_connections = 16;
    auto pool = kube::make_http_pool(ioc.get_executor(), access, cfg);
    kube::api_client client(*pool, {access.base_path});
    std::exception_ptr failure;
    asio::co_spawn(ioc, job(client), [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    if (failure) std::rethrow_exception(failure);
}

std::string seconds_since(std::chrono::steady_clock::time_point t0) {
    std::ostringstream os;
    os << std::fixed << std::setprecision(1)
       << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << "s";
    return os.str();
}

std::string name_of(const json::object& o) {
    std::string ns, name;
    if (const auto* m = o.if_contains("metadata"); m && m->is_object()) {
        if (const auto* n = m->get_object().if_contains("namespace"); n && n->is_string())
            ns = std::string(n->get_string());
        if (const auto* n = m->get_object().if_contains("name"); n && n->is_string())
            name = std::string(n->get_string());
    }
    std::string kind;
    if (const auto* k = o.if_contains("kind"); k && k->is_string()) kind = k->get_string();
    return kind + " " + kube::object_key(ns, name);
}

std::string uid_in(const std::string& body) {
    json::error_code ec;
    auto v = json::parse(body, ec);
    if (ec || !v.is_object()) return {};
    const auto* m = v.get_object().if_contains("metadata");
    if (!m || !m->is_object()) return {};
    const auto* u = m->get_object().if_contains("uid");
    return u && u->is_string() ? std::string(u->get_string()) : std::string();
}

}  // namespace

int save_k8s_snapshot(const fs::path& kubeconfig, const snapshot_options& o, std::ostream& out,
                      std::ostream& err) {
    (void)err;
    const auto t0 = std::chrono::steady_clock::now();
    const auto& filters = o.filters.empty() ? default_snapshot_filters() : o.filters;
    const fs::path path = o.path;
    const fs::path part = path.string() + ".part";
    std::size_t total = 0, kinds = 0;
    std::ofstream file;
    try {
        run_against(kubeconfig, [&](kube::api_client& client) -> asio::awaitable<void> {
            auto served = co_await discover(client);
            auto resources = resolve_filters(filters, served, "snapshot save");
            file.open(part, std::ios::binary | std::ios::trunc);
            if (!file) throw ghostctl_error("snapshot save: cannot write " + part.string());
            for (const auto* r : resources) {
                const std::string api_version = api_version_of(r->ref);
                kube::list_options opts;
                opts.limit = 500;  // kwokctl's page size
                std::size_t count = 0;
                do {
                    std::string page_path =
                        kube::with_query(kube::collection_path(r->ref, ""), opts);
                    auto page = co_await with_retries([&] { return client.async_get(page_path); });
                    if (!page) {
                        throw ghostctl_error("snapshot save: listing " + r->ref.resource + ": " +
                                             reason_of(page.error()));
                    }
                    auto list = json::parse(page->body).as_object();
                    for (auto& item : list["items"].as_array()) {
                        auto& obj = item.as_object();
                        prepare_for_snapshot(obj, api_version, r->kind);
                        file << snapshot_document(obj, total == 0);
                        ++total;
                        ++count;
                    }
                    opts.continue_token.clear();
                    if (const auto* m = list.if_contains("metadata"); m && m->is_object()) {
                        if (const auto* c = m->get_object().if_contains("continue");
                            c && c->is_string())
                            opts.continue_token = std::string(c->get_string());
                    }
                } while (!opts.continue_token.empty());
                if (count > 0) ++kinds;
            }
        });
        file.close();
        if (!file) throw ghostctl_error("snapshot save: writing " + part.string() + " failed");
        if (total == 0) throw ghostctl_error("snapshot save: no objects of the filtered kinds");
        fs::rename(part, path);
    } catch (...) {
        std::error_code ec;
        fs::remove(part, ec);
        throw;
    }
    out << "saved " << total << " objects of " << kinds << " kinds to " << path.string() << " in "
        << seconds_since(t0) << "\n";
    return 0;
}

int restore_k8s_snapshot(const fs::path& kubeconfig, const snapshot_options& o, std::ostream& out,
                         std::ostream& err, const std::function<void()>& before_writes) {
    const auto t0 = std::chrono::steady_clock::now();
    std::ifstream in(o.path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) throw snapshot_input_error("snapshot restore: cannot read " + o.path);
    auto contents = read_snapshot_text(text.str(), o.path);
    for (const auto& e : contents.errors) err << "error: " << e << "\n";
    if (contents.objects.empty()) {
        throw snapshot_input_error("snapshot restore: " + o.path + ": no Kubernetes objects in "
                                   "the file (" + std::to_string(contents.documents) +
                                   " documents, " + std::to_string(contents.errors.size()) +
                                   " unreadable)");
    }
    if (contents.resource_patches > 0) {
        err << "warning: snapshot restore: " << o.path << ": " << contents.resource_patches
            << " ResourcePatch documents (a recording) are not replayed: not implemented\n";
    }
    std::size_t created = 0, updated = 0, conflicts = 0, filtered = 0;
    std::size_t failed = contents.errors.size();
    const auto& filters = o.filters.empty() ? default_snapshot_filters() : o.filters;

    run_against(kubeconfig, [&](kube::api_client& client) -> asio::awaitable<void> {
        auto served = co_await discover(client);
        std::set<std::pair<std::string, std::string>> wanted;  // group, kind
        for (const auto* r : resolve_filters(filters, served, "snapshot restore"))
            wanted.emplace(r->ref.group, r->kind);
        auto lookup = [&](const json::object& obj) -> const kube::api_resource* {
            auto key = key_of_object(obj);
            auto [group, version] = kube::split_group_version(key.api_version);
            for (const auto& r : served) {
                if (r.ref.group == group && r.ref.version == version && r.kind == key.kind)
                    return &r;
            }
            return nullptr;
        };
        std::map<object_key, std::size_t> lines;
        auto where = [&](const json::object& obj) {
            auto it = lines.find(key_of_object(obj));
            std::string line = it == lines.end() ? "" : std::to_string(it->second) + ":";
            return o.path + ":" + line + " " + name_of(obj);
        };
        restore_plan plan;

        auto restore_one = [&](json::object obj) -> asio::awaitable<void> {
            const auto key = key_of_object(obj);
            const auto* res = lookup(obj);
            if (res == nullptr) {
                err << "error: " << where(obj) << ": apiVersion " << key.api_version << " kind "
                    << key.kind << " is not served by the cluster\n";
                ++failed;
                co_return;
            }
            auto& meta = obj["metadata"].as_object();
            meta.erase("resourceVersion");
            std::string ns;
            if (res->ref.namespaced) {
                if (const auto* n = meta.if_contains("namespace"); n && n->is_string())
                    ns = std::string(n->get_string());
                if (ns.empty()) meta["namespace"] = ns = "default";
            }
            const std::string name(meta["name"].as_string());
            const std::string body = json::serialize(obj);
            std::string create_path =
                kube::collection_path(res->ref, ns) + "?fieldValidation=Ignore";
            auto r = co_await with_retries(
                [&] { return client.async_create(create_path, body); }, 10);
            if (r) {
                ++created;
                plan.created(key, uid_in(r->body));
                co_return;
            }
            if (r.error().ec != kube::errc::already_exists) {
                // Some kinds validate before they look for the name (a Service's cluster IP is
                // "already allocated" to itself): an object that is there goes on as existing.
                std::string get_path = kube::object_path(res->ref, ns, name);
                auto there = co_await with_retries([&] { return client.async_get(get_path); });
                if (!there) {
                    err << "error: " << where(obj) << ": create: " << reason_of(r.error())
                        << "\n";
                    ++failed;
                    co_return;
                }
            }
            // It exists: replaced with the snapshot's version, as kwokctl does; one whose uid
            // differs (another object of that name) answers Conflict and is left as it is.
            std::string put_path =
                kube::object_path(res->ref, ns, name) + "?fieldValidation=Ignore";
            auto u = co_await with_retries([&] { return client.async_put(put_path, body); });
            if (!u) {
                if (u.error().ec == kube::errc::conflict) {
                    ++conflicts;
                    err << "warning: " << where(obj) << ": exists and differs, left as it is ("
                        << reason_of(u.error()) << ")\n";
                } else {
                    err << "error: " << where(obj) << ": update: " << reason_of(u.error()) << "\n";
                    ++failed;
                }
                co_return;
            }
            ++updated;
            json::error_code jec;
            auto now = json::parse(u->body, jec);
            if (jec || !now.is_object()) co_return;
            plan.created(key, uid_in(u->body));
            const auto* status = obj.if_contains("status");
            if (status == nullptr || !res->has_status) co_return;
            auto& current = now.get_object();
            if (const auto* cs = current.if_contains("status"); cs && *cs == *status) co_return;
            current["status"] = *status;
            std::string status_path = kube::object_path(res->ref, ns, name, "status");
            std::string status_body = json::serialize(current);
            auto s = co_await with_retries(
                [&] { return client.async_put(status_path, status_body); });
            if (!s) {
                err << "error: " << where(obj) << ": status update: " << reason_of(s.error())
                    << "\n";
                ++failed;
            }
        };
        auto drain = [&]() -> asio::awaitable<void> {
            while (plan.ready_count() > 0) {
                co_await run_workers(16, [&]() -> asio::awaitable<void> {
                    while (auto next = plan.next_ready()) co_await restore_one(std::move(*next));
                });
            }
        };

        const auto matching = std::count_if(
            contents.objects.begin(), contents.objects.end(), [&](const snapshot_object& so) {
                auto key = key_of_object(so.object);
                return wanted.count({kube::split_group_version(key.api_version).first, key.kind});
            });
        if (matching == 0) {
            throw snapshot_input_error("snapshot restore: " + o.path + ": none of its " +
                                       std::to_string(contents.objects.size()) +
                                       " objects is of a --filter kind");
        }
        if (before_writes) before_writes();
        // One kind at a time in file order (namespaces before what lives in them, owners before
        // what they own); objects of one kind go in parallel.
        std::string segment;
        for (auto& so : contents.objects) {
            auto key = key_of_object(so.object);
            auto [group, version] = kube::split_group_version(key.api_version);
            if (!wanted.count({group, key.kind})) {
                ++filtered;
                continue;
            }
            if (key.api_version + " " + key.kind != segment) {
                co_await drain();
                segment = key.api_version + " " + key.kind;
            }
            lines.emplace(key, so.line);
            plan.add(std::move(so.object));
        }
        co_await drain();
        for (const auto& [obj, missing] : plan.waiting()) {
            std::string owners;
            for (const auto& k : missing) owners += (owners.empty() ? "" : ", ") + describe(k);
            err << "error: " << where(obj) << ": not restored, its owner is missing (" << owners
                << ")\n";
            ++failed;
        }
    });

    out << "restored " << created + updated << " objects from " << o.path << " in "
        << seconds_since(t0) << " (" << created << " created, " << updated << " updated, "
        << conflicts << " left as they were";
    if (filtered > 0) out << ", " << filtered << " not in --filter";
    out << ")\n";
    if (failed > 0) {
        err << "snapshot restore: " << failed << " objects or documents not restored (see above)\n";
        return 1;
    }
    return 0;
}

}  // namespace ghost::ghostctl
