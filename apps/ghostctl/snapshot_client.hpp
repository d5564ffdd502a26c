#pragma once
// What the k8s-format snapshot commands (save, restore and its replay, export and its recording)
// share against the API server: retries, discovery and --filter resolution, paged lists, the
// one way an object is written back (create, else replace, then status), and Ctrl+C.
// Coroutines run on the private io_context of run_against (single-threaded).

#include "apps/ghostctl/snapshot_format.hpp"
#include "kube/api_client.hpp"
#include "kube/discovery.hpp"
#include "kube/kubeconfig.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace ghost::ghostctl {

using api_call = std::function<boost::asio::awaitable<kube::api_result<kube::api_response>>()>;

/// Transient failures (429, 5xx, transport) are retried 5 times, 200 ms doubling; NotFound
/// `not_found_tries` times a second apart (kwokctl: a namespace may just be coming).
boost::asio::awaitable<kube::api_result<kube::api_response>> with_retries(api_call call,
                                                                         int not_found_tries = 1);

/// "Reason: message" of a failed call (the error code's text without a Status).
std::string reason_of(const kube::api_error& e);

/// Every served resource, each group's preferred version first (what resolve_filter wants).
/// A group/version whose discovery fails (an aggregated API that is down) is left out.
boost::asio::awaitable<std::vector<kube::api_resource>> discover(kube::api_client& client);

/// The --filter words resolved; an unknown one throws snapshot_input_error naming it.
std::vector<const kube::api_resource*> resolve_filters(
    const std::vector<std::string>& filters, const std::vector<kube::api_resource>& served,
    const char* verb);

/// Lists `res` in every namespace page by page (`page_size` items, following `continue`),
/// calling `on_item` for each; returns the list's resourceVersion. `on_item` runs on a writer
/// thread of its own (page_writer.hpp), one call at a time in list order, while up to
/// `page_buffer` (>= 1) further pages are fetched: it must not touch what the caller's
/// executor uses until list_pages completed. An expired continue token (410) is followed by
/// one full list whose objects not seen yet are handed on (warned on `warn`). Throws
/// ghostctl_error, or what on_item threw.
boost::asio::awaitable<std::string> list_pages(
    kube::api_client& client, const kube::api_resource& res, int page_size,
    std::size_t page_buffer, const std::function<void(boost::json::object&)>& on_item,
    const char* verb, std::ostream& warn);

/// `n` copies of `worker` on this executor; completes when all have returned.
boost::asio::awaitable<void> run_workers(std::size_t n,
                                         std::function<boost::asio::awaitable<void>()> worker);

/// Runs `job` on a private io_context with a 16-connection pool for `access` (plus
/// `headers`, e.g. impersonation); rethrows its exception.
void run_against(const kube::cluster_access& access, const engine::header_list& headers,
                 const std::function<boost::asio::awaitable<void>(kube::api_client&)>& job);
/// The same for the cluster behind a kubeconfig file.
void run_against(const std::filesystem::path& kubeconfig,
                 const std::function<boost::asio::awaitable<void>(kube::api_client&)>& job);

/// "Kind ns/name" of an object, for messages.
std::string name_of(const boost::json::object& o);
/// "1.5s" since t0.
std::string seconds_since(std::chrono::steady_clock::time_point t0);

struct write_counts {
    std::size_t created = 0, updated = 0, conflicts = 0, failed = 0;
};

/// Writes objects back as kwokctl's restore does: create (fieldValidation=Ignore); when the
/// name exists, replace it with the given version (a different object of that name answers
/// Conflict and is left alone), then its status when it differs. Each failure is one line on
/// `err` ("error: <where>: create: ..."); created objects are reported to the plan (new uid).
class object_writer {
public:
    object_writer(kube::api_client& client, restore_plan& plan, std::ostream& err,
                  write_counts& counts)
        : client_(client), plan_(plan), err_(err), counts_(counts) {}

    /// Writes `obj` of resource `res`. `status_after_create`: a created object also gets the
    /// given status (a replayed create: kwok's replay writes the object as recorded). Completes
    /// with true when the object exists as given (or left alone on Conflict).
    boost::asio::awaitable<bool> async_write(boost::json::object obj, const kube::api_resource& res,
                                             std::string where, bool status_after_create);

private:
    boost::asio::awaitable<void> async_sync_status(const kube::api_resource& res,
                                                   const std::string& ns, const std::string& name,
                                                   const std::string& written,
                                                   const boost::json::value& status,
                                                   const std::string& where);

    kube::api_client& client_;
    restore_plan& plan_;
    std::ostream& err_;
    write_counts& counts_;
};

class interrupt_watch;

struct replay_counts {
    std::size_t total = 0, applied = 0, failed = 0;
    std::size_t created = 0, patched = 0, deleted = 0;  ///< applied without error, by method
};

/// Replays recorded changes against the cluster in time (snapshot_replay.hpp's runner on a
/// timer service): create as object_writer does (owners re-linked through `plan`, status
/// written), patch (strategic; JSON merge for resources that refuse it with 415), delete
/// (grace 0, as kwok's replay removes the object). One failed document is one line on `err`
/// ("error: <source>:<line>: document N (patch pods ns/name): ...") and the replay goes on.
/// Stops early when `interrupt` fires (applied < total).
boost::asio::awaitable<replay_counts> async_replay(kube::api_client& client,
                                                   const std::vector<kube::api_resource>& served,
                                                   std::vector<snapshot_patch> patches,
                                                   double speed, restore_plan& plan,
                                                   const std::string& source, std::ostream& err,
                                                   const interrupt_watch& interrupt);

/// While alive, SIGINT and SIGTERM set requested() instead of what was installed before (put
/// back on destruction), so a long command can stop cleanly. One at a time.
class interrupt_watch {
public:
    interrupt_watch();
    ~interrupt_watch();
    interrupt_watch(const interrupt_watch&) = delete;
    interrupt_watch& operator=(const interrupt_watch&) = delete;
    bool requested() const noexcept;
    /// Completes once requested() (polled every 100 ms) or `give_up()` returns true.
    boost::asio::awaitable<void> async_wait(std::function<bool()> give_up) const;

private:
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

}  // namespace ghost::ghostctl
