#include "apps/ghostctl/snapshot_client.hpp"

#include "engine/no_cancel.hpp"

#include "apps/ghostctl/cluster.hpp"
#include "apps/ghostctl/page_writer.hpp"
#include "apps/ghostctl/snapshot.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <unordered_set>

namespace ghost::ghostctl {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

using engine::no_cancel;

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(no_cancel());
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

std::atomic<bool> interrupted{false};

extern "C" void on_interrupt(int) { interrupted.store(true); }

}  // namespace

asio::awaitable<kube::api_result<kube::api_response>> with_retries(api_call call,
                                                                  int not_found_tries) {
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

namespace {

std::string key_of(const json::object& obj) {
    const auto* m = obj.if_contains("metadata");
    if (!m || !m->is_object()) return {};
    const auto& meta = m->get_object();
    std::string key;
    if (const auto* ns = meta.if_contains("namespace"); ns && ns->is_string()) key = ns->get_string();
    key += '/';
    if (const auto* n = meta.if_contains("name"); n && n->is_string()) key += n->get_string();
    return key;
}

}  // namespace

asio::awaitable<std::string> list_pages(kube::api_client& client, const kube::api_resource& res,
                                        int page_size, std::size_t page_buffer,
                                        const std::function<void(json::object&)>& on_item,
                                        const char* verb, std::ostream& warn) {
    kube::list_options opts;
    opts.limit = page_size;
    std::string resource_version;
    // Keys already handed on: after an expired continue token the rest comes from one full
    // list (client-go's pager does the same), and objects seen before are not repeated.
    std::unordered_set<std::string> seen;
    bool full_list = false;
    // A continue token is only known once the page before arrived: the next request goes out
    // as soon as that page is parsed, while the writer thread still writes the earlier ones.
    page_writer writer(co_await asio::this_coro::executor, page_buffer, on_item);
    while (true) {
        co_await writer.async_wait_for_room();
        std::string page_path = kube::with_query(kube::collection_path(res.ref, ""), opts);
        auto page = co_await with_retries([&] { return client.async_get(page_path); });
        if (!page && page.error().ec == kube::errc::gone && !opts.continue_token.empty()) {
            warn << "warning: " << verb << ": listing " << res.ref.resource
                 << ": the continue token expired after " << seen.size()
                 << " objects; the rest comes from one full list at a newer resourceVersion\n";
            opts.continue_token.clear();
            opts.limit.reset();
            full_list = true;
            continue;
        }
        if (!page) {
            throw ghostctl_error(std::string(verb) + ": listing " + res.ref.resource + ": " +
                                 reason_of(page.error()));
        }
        auto list = json::parse(page->body).as_object();
        json::array items;
        for (auto& item : list["items"].as_array()) {
            if (!seen.insert(key_of(item.as_object())).second && full_list) continue;
            items.push_back(std::move(item));
        }
        writer.push(std::move(items));
        opts.continue_token.clear();
        if (const auto* m = list.if_contains("metadata"); m && m->is_object()) {
            const auto& meta = m->get_object();
            if (const auto* c = meta.if_contains("continue"); c && c->is_string() && !full_list)
                opts.continue_token = std::string(c->get_string());
            if (const auto* rv = meta.if_contains("resourceVersion"); rv && rv->is_string())
                resource_version = std::string(rv->get_string());
        }
        if (opts.continue_token.empty()) break;
    }
    co_await writer.async_drain();
    co_return resource_version;
}

void run_against(const kube::cluster_access& access, const engine::header_list& headers,
                 const std::function<asio::awaitable<void>(kube::api_client&)>& job) {
    asio::io_context ioc{1};
    engine::pool_config cfg;
    cfg.max_connections = 16;
    cfg.default_headers = headers;
    auto pool = kube::make_http_pool(ioc.get_executor(), access, cfg);
    kube::api_client client(*pool, {access.base_path});
    std::exception_ptr failure;
    asio::co_spawn(ioc, job(client), [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    if (failure) std::rethrow_exception(failure);
}

void run_against(const fs::path& kubeconfig,
                 const std::function<asio::awaitable<void>(kube::api_client&)>& job) {
    run_against(kube::load_kubeconfig(kubeconfig), {}, job);
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

asio::awaitable<bool> object_writer::async_write(json::object obj, const kube::api_resource& res,
                                                 std::string where, bool status_after_create) {
    const auto key = key_of_object(obj);
    auto& meta = obj["metadata"].as_object();
    meta.erase("resourceVersion");
    std::string ns;
    if (res.ref.namespaced) {
        if (const auto* n = meta.if_contains("namespace"); n && n->is_string())
            ns = std::string(n->get_string());
        if (ns.empty()) meta["namespace"] = ns = "default";
    }
    const std::string name(meta["name"].as_string());
    const std::string body = json::serialize(obj);
    std::string create_path = kube::collection_path(res.ref, ns) + "?fieldValidation=Ignore";
    auto r = co_await with_retries([&] { return client_.async_create(create_path, body); }, 10);
    if (r) {
        ++counts_.created;
        plan_.created(key, uid_in(r->body));
        if (const auto* status = obj.if_contains("status");
            status_after_create && status != nullptr && res.has_status)
            co_await async_sync_status(res, ns, name, r->body, *status, where);
        co_return true;
    }
    if (r.error().ec != kube::errc::already_exists) {
        // Some kinds validate before they look for the name (a Service's cluster IP is
        // "already allocated" to itself): an object that is there goes on as existing.
        std::string get_path = kube::object_path(res.ref, ns, name);
        auto there = co_await with_retries([&] { return client_.async_get(get_path); });
        if (!there) {
            err_ << "error: " << where << ": create: " << reason_of(r.error()) << "\n";
            ++counts_.failed;
            co_return false;
        }
    }
    // It exists: replaced with the given version, as kwokctl does; one whose uid differs
    // (another object of that name) answers Conflict and is left as it is.
    std::string put_path = kube::object_path(res.ref, ns, name) + "?fieldValidation=Ignore";
    auto u = co_await with_retries([&] { return client_.async_put(put_path, body); });
    if (!u) {
        if (u.error().ec == kube::errc::conflict) {
            ++counts_.conflicts;
            err_ << "warning: " << where << ": exists and differs, left as it is ("
                 << reason_of(u.error()) << ")\n";
            co_return true;
        }
        err_ << "error: " << where << ": update: " << reason_of(u.error()) << "\n";
        ++counts_.failed;
        co_return false;
    }
    ++counts_.updated;
    plan_.created(key, uid_in(u->body));
    if (const auto* status = obj.if_contains("status"); status != nullptr && res.has_status)
        co_await async_sync_status(res, ns, name, u->body, *status, where);
    co_return true;
}

asio::awaitable<void> object_writer::async_sync_status(const kube::api_resource& res,
                                                       const std::string& ns,
                                                       const std::string& name,
                                                       const std::string& written,
                                                       const json::value& status,
                                                       const std::string& where) {
    json::error_code jec;
    auto now = json::parse(written, jec);
    if (jec || !now.is_object()) co_return;
    auto& current = now.get_object();
    if (const auto* cs = current.if_contains("status"); cs && *cs == status) co_return;
    current["status"] = status;
    std::string status_path = kube::object_path(res.ref, ns, name, "status");
    std::string status_body = json::serialize(current);
    auto s = co_await with_retries([&] { return client_.async_put(status_path, status_body); });
    if (!s) {
        err_ << "error: " << where << ": status update: " << reason_of(s.error()) << "\n";
        ++counts_.failed;
    }
}

interrupt_watch::interrupt_watch() {
    interrupted.store(false);
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
}

interrupt_watch::~interrupt_watch() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
}

bool interrupt_watch::requested() const noexcept { return interrupted.load(); }

asio::awaitable<void> interrupt_watch::async_wait(std::function<bool()> give_up) const {
    asio::steady_timer t(co_await asio::this_coro::executor);
    while (!requested() && !give_up()) {
        t.expires_after(100ms);
        co_await t.async_wait(no_cancel());
    }
}

}  // namespace ghost::ghostctl
