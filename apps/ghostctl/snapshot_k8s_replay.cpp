// The replay half of `ghostctl snapshot restore --format k8s`: a recording's ResourcePatch
// documents written to the API server in time (see snapshot_replay.hpp for the rules).

#include "engine/no_cancel.hpp"
#include "apps/ghostctl/snapshot_client.hpp"
#include "apps/ghostctl/snapshot_replay.hpp"

#include "engine/timer_service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <ostream>
#include <set>

namespace ghost::ghostctl {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string_view verb_of(patch_method m) {
    switch (m) {
    case patch_method::create: return "create";
    case patch_method::patch: return "patch";
    case patch_method::remove: return "delete";
    }
    return "?";
}

// One document's writes; false (after one error line) when one of them failed.
class patch_applier {
public:
    patch_applier(kube::api_client& client, const std::vector<kube::api_resource>& served,
                  restore_plan& plan, object_writer& writer, write_counts& writes,
                  std::ostream& err)
        : client_(client), served_(served), plan_(plan), writer_(writer), writes_(writes),
          err_(err) {}

    asio::awaitable<bool> apply(const snapshot_patch& sp, const std::string& where) {
        const auto& p = sp.patch;
        const kube::api_resource* res = nullptr;
        for (const auto& r : served_) {
            if (r.ref.group == p.group && r.ref.version == p.version &&
                r.ref.resource == p.resource)
                res = &r;
        }
        if (res == nullptr) {
            err_ << "error: " << where << ": resource: the server has no " << p.resource << "."
                 << p.version << (p.group.empty() ? "" : "." + p.group) << "\n";
            co_return false;
        }
        const std::string ns = res->ref.namespaced ? (p.ns.empty() ? "default" : p.ns) : "";
        auto relink = [&](json::object& o) {
            relink_owner_uids(o, [&](std::string_view old) { return plan_.new_uid(old); });
        };
        const std::string path = kube::object_path(res->ref, ns, p.name);
        switch (p.method) {
        case patch_method::create: {
            json::object obj = p.body;
            if (!obj.contains("apiVersion")) obj["apiVersion"] = api_version_of(res->ref);
            if (!obj.contains("kind")) obj["kind"] = res->kind;
            if (!obj["metadata"].is_object()) obj["metadata"] = json::object();
            auto& meta = obj["metadata"].get_object();
            meta["name"] = p.name;
            if (res->ref.namespaced) meta["namespace"] = ns;
            else meta.erase("namespace");
            relink(obj);
            const std::size_t failed_before = writes_.failed;
            co_await writer_.async_write(std::move(obj), *res, where, true);
            co_return writes_.failed == failed_before;
        }
        case patch_method::patch: {
            auto req = split_recorded_patch(p.body, res->has_status,
                                            res->ref.group.empty() && res->ref.resource == "pods");
            relink(req.main);
            if (!req.bind_to.empty() && !co_await bind(path, ns, p.name, req.bind_to, where))
                co_return false;
            if (!req.main.empty() &&
                !co_await patch(*res, path + "?fieldValidation=Ignore", req.main, where))
                co_return false;
            if (!req.status.empty() &&
                !co_await patch(*res, kube::object_path(res->ref, ns, p.name, "status") +
                                          "?fieldValidation=Ignore",
                                req.status, where))
                co_return false;
            if (req.delete_after) co_return co_await remove(path, req.grace_seconds, where);
            co_return true;
        }
        case patch_method::remove: co_return co_await remove(path, 0, where);
        }
        co_return false;
    }

private:
    asio::awaitable<bool> patch(const kube::api_resource& res, std::string path,
                                const json::object& body, const std::string& where) {
        const std::string text = json::serialize(body);
        auto type = merge_only_.count(&res) ? kube::patch_type::merge : kube::patch_type::strategic;
        auto r = co_await with_retries([&] { return client_.async_patch(path, type, text); });
        if (!r && r.error().ec == kube::errc::unsupported_media &&
            type == kube::patch_type::strategic) {
            // Custom resources take no strategic merge patch; kwok's patches for them hold no
            // directives (their schema has no patch metadata), so they are JSON merge patches.
            merge_only_.insert(&res);
            type = kube::patch_type::merge;
            r = co_await with_retries([&] { return client_.async_patch(path, type, text); });
        }
        if (!r) err_ << "error: " << where << ": PATCH " << path << ": " << reason_of(r.error())
                     << "\n";
        co_return bool(r);
    }

    asio::awaitable<bool> bind(const std::string& path, const std::string& ns,
                               const std::string& name, const std::string& node,
                               const std::string& where) {
        json::object b{{"apiVersion", "v1"}, {"kind", "Binding"}};
        b["metadata"] = json::object{{"name", name}, {"namespace", ns}};
        b["target"] = json::object{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node}};
        const std::string body = json::serialize(b);
        std::string binding = path + "/binding";
        auto r = co_await with_retries([&] { return client_.async_create(binding, body); });
        if (!r) err_ << "error: " << where << ": binding to node " << node << ": "
                     << reason_of(r.error()) << "\n";
        co_return bool(r);
    }

    asio::awaitable<bool> remove(const std::string& path, std::optional<int> grace,
                                 const std::string& where) {
        std::string target = path;
        auto r = co_await with_retries([&] { return client_.async_delete(target, grace); });
        if (!r && r.error().ec == kube::errc::not_found) co_return true;  // gone already
        if (!r) err_ << "error: " << where << ": DELETE: " << reason_of(r.error()) << "\n";
        co_return bool(r);
    }

    kube::api_client& client_;
    const std::vector<kube::api_resource>& served_;
    restore_plan& plan_;
    object_writer& writer_;
    write_counts& writes_;
    std::ostream& err_;
    std::set<const kube::api_resource*> merge_only_;
};

using engine::no_cancel;

}  // namespace

asio::awaitable<replay_counts> async_replay(kube::api_client& client,
                                            const std::vector<kube::api_resource>& served,
                                            std::vector<snapshot_patch> patches, double speed,
                                            restore_plan& plan, const std::string& source,
                                            std::ostream& err, const interrupt_watch& interrupt) {
    auto ex = co_await asio::this_coro::executor;
    replay_counts counts;
    counts.total = patches.size();
    write_counts writes;
    object_writer writer(client, plan, err, writes);
    patch_applier applier(client, served, plan, writer, writes, err);
    engine::timer_service timers(ex);
    asio::steady_timer wake(ex, std::chrono::steady_clock::time_point::max());
    bool finished = false, watcher_done = false;

    std::vector<std::chrono::nanoseconds> offsets;
    offsets.reserve(patches.size());
    for (const auto& sp : patches) offsets.push_back(sp.patch.offset);
    replay_runner runner(
        timers, std::move(offsets), speed,
        [&](std::size_t i, std::function<void()> done) {
            const auto& sp = patches[i];
            std::string where = source + ":" + std::to_string(sp.line) + ": document " +
                                std::to_string(sp.document) + " (" +
                                std::string(verb_of(sp.patch.method)) + " " + sp.patch.resource +
                                " " + kube::object_key(sp.patch.ns, sp.patch.name) + ")";
            auto one = [&applier, &sp, where]() -> asio::awaitable<bool> {
                co_return co_await applier.apply(sp, where);
            };
            const auto method = sp.patch.method;
            asio::co_spawn(ex, one(), [&counts, &err, where, method, done](std::exception_ptr e,
                                                                         bool ok) {
                if (e) {
                    try {
                        std::rethrow_exception(e);
                    } catch (const std::exception& x) {
                        err << "error: " << where << ": " << x.what() << "\n";
                    }
                }
                if (e || !ok) ++counts.failed;
                else if (method == patch_method::create) ++counts.created;
                else if (method == patch_method::patch) ++counts.patched;
                else ++counts.deleted;
                done();
            });
        },
        [&] {
            finished = true;
            wake.cancel();
        });
    asio::co_spawn(ex, interrupt.async_wait([&] { return finished; }), [&](std::exception_ptr) {
        if (interrupt.requested()) runner.stop();
        watcher_done = true;
        wake.cancel();
    });
    runner.start();
    while (!finished || !watcher_done) co_await wake.async_wait(no_cancel());
    timers.stop();
    counts.applied = runner.applied();
    co_return counts;
}

}  // namespace ghost::ghostctl
