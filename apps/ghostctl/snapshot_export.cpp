// `ghostctl snapshot export` (kwokctl's experimental export): any cluster's objects as a k8s
// snapshot, and with --record every change after it as ResourcePatch documents until SIGINT or
// SIGTERM. Every time in the file is an offset from the start (kwok's format).

#include "engine/no_cancel.hpp"
#include "apps/ghostctl/cluster.hpp"
#include "apps/ghostctl/snapshot.hpp"
#include "apps/ghostctl/snapshot_client.hpp"
#include "apps/ghostctl/snapshot_file.hpp"
#include "apps/ghostctl/snapshot_record.hpp"

#include "kube/list_watch.hpp"
#include "kube/strategic_patch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <deque>
#include <map>
#include <memory>
#include <ostream>

namespace ghost::ghostctl {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono;

namespace {

using engine::no_cancel;

// The patch metadata of each resource, from the group/versions' OpenAPI v3 documents (kwok
// fails the recording without them; so does this, before anything is written).
asio::awaitable<std::vector<std::optional<kube::patch_schema>>> fetch_schemas(
    kube::api_client& client, const std::vector<const kube::api_resource*>& resources) {
    std::string index_path = "/openapi/v3";
    auto index = co_await with_retries([&] { return client.async_get(index_path); });
    if (!index) {
        throw ghostctl_error("snapshot export --record: GET /openapi/v3 (patch metadata): " +
                             reason_of(index.error()));
    }
    const auto paths = json::parse(index->body).as_object().at("paths").as_object();
    std::map<std::string, std::shared_ptr<const json::value>> docs;
    std::vector<std::optional<kube::patch_schema>> out;
    for (const auto* r : resources) {
        const auto key = kube::openapi_v3_key(r->ref.group, r->ref.version);
        auto& doc = docs[key];
        if (!doc) {
            const auto* entry = paths.if_contains(key);
            const auto* url = entry && entry->is_object()
                                  ? entry->get_object().if_contains("serverRelativeURL")
                                  : nullptr;
            if (url == nullptr || !url->is_string()) {
                throw ghostctl_error("snapshot export --record: /openapi/v3 lists no " + key +
                                     " (patch metadata of " + r->ref.resource + ")");
            }
            std::string doc_path(url->get_string());
            auto d = co_await with_retries([&] { return client.async_get(doc_path); });
            if (!d) {
                throw ghostctl_error("snapshot export --record: GET " + doc_path + ": " +
                                     reason_of(d.error()));
            }
            doc = std::make_shared<const json::value>(json::parse(d->body));
        }
        std::string error;
        auto schema = kube::patch_schema::for_resource(doc, r->ref.resource, &error);
        if (!schema) {
            throw ghostctl_error("snapshot export --record: " + r->ref.resource + ": " + error);
        }
        out.push_back(std::move(schema));
    }
    co_return out;
}

}  // namespace

int export_k8s_snapshot(const snapshot_options& o, std::ostream& out, std::ostream& err) {
    const auto t0 = steady_clock::now();
    std::error_code ec;
    if (fs::exists(o.path, ec))
        throw snapshot_input_error("snapshot export: file \"" + o.path + "\" already exists");
    kube::cluster_access access;
    try {
        // kwokctl: without --kubeconfig, the in-cluster service account.
        access = o.kubeconfig.empty() ? kube::in_cluster_access()
                                      : kube::load_kubeconfig(o.kubeconfig);
    } catch (const kube::config_error& e) {
        throw snapshot_input_error(std::string("snapshot export: ") + e.what());
    }
    engine::header_list headers;
    if (!o.as_user.empty()) headers.emplace_back("Impersonate-User", o.as_user);
    for (const auto& g : o.as_groups) headers.emplace_back("Impersonate-Group", g);
    const auto& filters = o.filters.empty() ? default_snapshot_filters() : o.filters;
    const auto base = kube::wall_clock::now();
    interrupt_watch interrupt;
    std::optional<snapshot_output> file;
    std::size_t total = 0, kinds = 0, changes = 0;
    steady_clock::time_point record_start{};

    run_against(access, headers, [&](kube::api_client& client) -> asio::awaitable<void> {
        auto served = co_await discover(client);
        auto resources = resolve_filters(filters, served, "snapshot export");
        std::vector<std::optional<kube::patch_schema>> schemas(resources.size());
        if (o.record) schemas = co_await fetch_schemas(client, resources);
        file.emplace(o.path);
        bool first = true;
        auto put = [&](const json::object& doc) {
            file->write(times_to_offsets(snapshot_document(doc, first), base));
            first = false;
        };
        std::deque<resource_track> tracks;
        std::vector<std::string> versions;
        for (std::size_t i = 0; i < resources.size(); ++i) {
            if (interrupt.requested()) throw ghostctl_error("snapshot export: interrupted");
            auto& track = tracks.emplace_back(*resources[i], std::move(schemas[i]));
            const std::string api_version = api_version_of(resources[i]->ref);
            std::size_t count = 0;
            // Runs on list_pages' writer thread, up to --page-buffer-size pages behind the
            // fetching; nothing else touches the file, the track or count meanwhile.
            auto on_item = [&](json::object& obj) {
                // Only a recording needs to remember every object (to diff against it).
                if (o.record) track.remember(obj);
                else prepare_for_snapshot(obj, api_version, resources[i]->kind);
                put(obj);
                ++count;
            };
            versions.push_back(co_await list_pages(client, *resources[i], o.page_size,
                                                   static_cast<std::size_t>(o.page_buffer_size),
                                                   on_item, "snapshot export", err));
            total += count;
            if (count > 0) ++kinds;
        }
        if (!o.record) co_return;
        file->flush();
        err << "snapshot export: " << total << " objects written; recording changes of "
            << resources.size() << " kinds until SIGINT or SIGTERM (Ctrl+C)\n" << std::flush;

        auto ex = co_await asio::this_coro::executor;
        asio::steady_timer wake(ex, steady_clock::time_point::max());
        std::deque<asio::cancellation_signal> stops;
        std::size_t running = 0;
        std::string write_failure;
        record_start = steady_clock::now();
        for (std::size_t i = 0; i < resources.size(); ++i) {
            kube::list_watch_params p;
            p.path = kube::collection_path(resources[i]->ref, "");
            p.page_size = o.page_size;
            p.listed = kube::list_watch_params::listed_state{versions[i], tracks[i].keys()};
            auto& track = tracks[i];
            auto handler = [&](kube::event_kind kind, json::object&& obj) {
                if (!write_failure.empty()) return;
                std::string error;
                auto doc = track.observe(kind, std::move(obj), steady_clock::now() - record_start,
                                         &error);
                if (!doc) {
                    if (!error.empty()) {
                        err << "warning: snapshot export: " << track.resource().ref.resource
                            << ": change not recorded: " << error << "\n";
                    }
                    return;
                }
                try {
                    put(encode_resource_patch(*doc));
                    file->flush();
                    ++changes;
                } catch (const std::exception& e) {
                    write_failure = e.what();
                }
            };
            ++running;
            asio::co_spawn(ex, kube::async_run_list_watch(client, std::move(p), handler),
                           asio::bind_cancellation_slot(stops.emplace_back().slot(),
                                                        [&](std::exception_ptr) {
                                                            --running;
                                                            wake.cancel();
                                                        }));
        }
        co_await interrupt.async_wait([&] { return !write_failure.empty(); });
        for (auto& s : stops) s.emit(asio::cancellation_type::terminal);
        while (running > 0) co_await wake.async_wait(no_cancel());
        if (!write_failure.empty()) throw ghostctl_error("snapshot export: " + write_failure);
    });
    if (total == 0 && !o.record)
        throw ghostctl_error("snapshot export: no objects of the filtered kinds");
    file->commit();
    out << "exported " << total << " objects of " << kinds << " kinds to " << o.path;
    if (o.record) {
        out << " and recorded " << changes << " changes over "
            << seconds_since(record_start == steady_clock::time_point{} ? t0 : record_start);
    } else {
        out << " in " << seconds_since(t0);
    }
    out << "\n";
    return 0;
}

}  // namespace ghost::ghostctl
