// The k8s format of `ghostctl snapshot`: kwokctl's YAML snapshot through the API server, and
// the replay of a recording's ResourcePatch documents after the objects.

#include "apps/ghostctl/snapshot.hpp"
#include "apps/ghostctl/snapshot_client.hpp"
#include "apps/ghostctl/snapshot_file.hpp"
#include "apps/ghostctl/snapshot_format.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <map>
#include <ostream>
#include <set>

namespace ghost::ghostctl {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;

int save_k8s_snapshot(const fs::path& kubeconfig, const snapshot_options& o, std::ostream& out,
                      std::ostream& err) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto& filters = o.filters.empty() ? default_snapshot_filters() : o.filters;
    std::size_t total = 0, kinds = 0;
    std::optional<snapshot_output> file;
    run_against(kubeconfig, [&](kube::api_client& client) -> asio::awaitable<void> {
        auto served = co_await discover(client);
        auto resources = resolve_filters(filters, served, "snapshot save");
        file.emplace(o.path);
        for (const auto* r : resources) {
            const std::string api_version = api_version_of(r->ref);
            std::size_t count = 0;
            // kwokctl's page size and client-go's page buffer; on_item runs on the writer thread.
            co_await list_pages(client, *r, 500, 10, [&](json::object& obj) {
                prepare_for_snapshot(obj, api_version, r->kind);
                file->write(snapshot_document(obj, total == 0));
                ++total;
                ++count;
            }, "snapshot save", err);
            if (count > 0) ++kinds;
        }
    });
    if (total == 0) throw ghostctl_error("snapshot save: no objects of the filtered kinds");
    file->commit();
    out << "saved " << total << " objects of " << kinds << " kinds to " << o.path << " in "
        << seconds_since(t0) << "\n";
    return 0;
}

int restore_k8s_snapshot(const fs::path& kubeconfig, const snapshot_options& o, std::ostream& out,
                         std::ostream& err, const std::function<void()>& before_writes) {
    const auto t0 = std::chrono::steady_clock::now();
    // A recording's times are offsets from its start: they become times from now (kwok's
    // replay does the same), as the offsets mean "that long before/after the start".
    auto text = offsets_to_times(read_snapshot_file(o.path, "snapshot restore"),
                                 kube::wall_clock::now());
    auto contents = read_snapshot_text(text, o.path);
    text = {};
    for (const auto& e : contents.errors) err << "error: " << e << "\n";
    if (contents.objects.empty() && contents.patches.empty()) {
        throw snapshot_input_error("snapshot restore: " + o.path + ": no Kubernetes objects in "
                                   "the file (" + std::to_string(contents.documents) +
                                   " documents, " + std::to_string(contents.errors.size()) +
                                   " unreadable)");
    }
    write_counts counts;
    counts.failed = contents.errors.size();
    std::size_t filtered = 0;
    replay_counts replayed;
    const auto& filters = o.filters.empty() ? default_snapshot_filters() : o.filters;
    interrupt_watch interrupt;

    run_against(kubeconfig, [&](kube::api_client& client) -> asio::awaitable<void> {
        auto served = co_await discover(client);
        std::set<std::pair<std::string, std::string>> wanted;            // group, kind
        std::set<std::pair<std::string, std::string>> wanted_resources;  // group, plural
        for (const auto* r : resolve_filters(filters, served, "snapshot restore")) {
            wanted.emplace(r->ref.group, r->kind);
            wanted_resources.emplace(r->ref.group, r->ref.resource);
        }
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
        object_writer writer(client, plan, err, counts);

        auto restore_one = [&](json::object obj) -> asio::awaitable<void> {
            const auto* res = lookup(obj);
            if (res == nullptr) {
                const auto key = key_of_object(obj);
                err << "error: " << where(obj) << ": apiVersion " << key.api_version << " kind "
                    << key.kind << " is not served by the cluster\n";
                ++counts.failed;
                co_return;
            }
            std::string at = where(obj);
            co_await writer.async_write(std::move(obj), *res, std::move(at), false);
        };
        auto drain = [&]() -> asio::awaitable<void> {
            while (plan.ready_count() > 0) {
                co_await run_workers(16, [&]() -> asio::awaitable<void> {
                    while (auto next = plan.next_ready()) co_await restore_one(std::move(*next));
                });
            }
        };

        std::vector<snapshot_patch> patches;
        for (auto& sp : contents.patches) {
            if (wanted_resources.count({sp.patch.group, sp.patch.resource})) {
                patches.push_back(std::move(sp));
            } else {
                ++filtered;
            }
        }
        const auto matching = std::count_if(
            contents.objects.begin(), contents.objects.end(), [&](const snapshot_object& so) {
                auto key = key_of_object(so.object);
                return wanted.count({kube::split_group_version(key.api_version).first, key.kind});
            });
        if (matching == 0 && patches.empty()) {
            std::string changes = contents.patches.empty()
                                      ? std::string()
                                      : " or " + std::to_string(contents.patches.size()) +
                                            " recorded changes";
            throw snapshot_input_error("snapshot restore: " + o.path + ": none of its " +
                                       std::to_string(contents.objects.size()) + " objects" +
                                       changes + " is of a --filter kind");
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
            ++counts.failed;
        }
        out << "restored " << counts.created + counts.updated << " objects from " << o.path
            << " in " << seconds_since(t0) << " (" << counts.created << " created, "
            << counts.updated << " updated, " << counts.conflicts << " left as they were";
        if (filtered > 0) out << ", " << filtered << " not in --filter";
        out << ")\n";
        if (patches.empty()) co_return;
        out << "replaying " << patches.size() << " recorded changes";
        if (o.speed != 1) out << " at speed " << o.speed;
        out << "; Ctrl+C stops\n" << std::flush;
        const auto t1 = std::chrono::steady_clock::now();
        replayed = co_await async_replay(client, served, std::move(patches), o.speed, plan, o.path,
                                         err, interrupt);
        out << "replayed " << replayed.applied << " of " << replayed.total
            << " recorded changes in " << seconds_since(t1) << " (" << replayed.created
            << " created, " << replayed.patched << " patched, " << replayed.deleted
            << " deleted)";
        if (replayed.failed > 0) out << " (" << replayed.failed << " failed)";
        if (replayed.applied < replayed.total) out << " (interrupted)";
        out << "\n";
    });

    const std::size_t failed = counts.failed + replayed.failed;
    if (failed > 0) {
        err << "snapshot restore: " << failed
            << " objects, documents or recorded changes not restored (see above)\n";
    }
    // Exit 2 when the only trouble was unreadable documents (bad input), 1 for failed writes.
    if (failed > contents.errors.size() || replayed.applied < replayed.total) return 1;
    return contents.errors.empty() ? 0 : 2;
}

}  // namespace ghost::ghostctl
