#pragma once
// Bounded-concurrency bulk creates and deletes over an api_client (`ghostctl scale`, the
// scenario runner's load generator): N workers take the next index until all are done.

#include "kube/api_client.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

namespace ghost::kube {

struct bulk_op {
    enum class kind { create, remove };
    kind k = kind::create;
    std::string path;  ///< create: the collection; remove: the object
    std::string body;  ///< create only
};

/// Not an aggregate (GCC 12 coroutine pitfall, see DEVELOPERS.md): pass a named value.
struct bulk_options {
    bulk_options() = default;
    std::size_t parallelism = 16;
    /// Tries per op; only transient failures (kube::is_transient) are retried, after `backoff`
    /// doubled per retry (at most 32x).
    int max_attempts = 1;
    std::chrono::milliseconds backoff{200};
    /// Checked before each op and each retry; true: take no more work.
    std::function<bool()> stop;
};

/// Makes op `index` (called once per index, right before its first request).
using bulk_make_fn = std::function<bulk_op(std::size_t index)>;
/// Called after every attempt with its result. AlreadyExists on a create and NotFound on a
/// delete end the op (the object is where it should be) but are reported as they came.
using bulk_result_fn =
    std::function<void(std::size_t index, const bulk_op& op, const api_result<api_response>& r)>;

/// Runs ops 0..count-1 with at most `parallelism` requests in flight on the caller's executor.
/// Completes when every op has ended or `stop` returned true and the requests in flight ended;
/// an exception from `make`/`on_result` stops the other workers and is rethrown then. Not
/// cancellable: use `stop`. `client` and the callbacks must outlive the operation.
boost::asio::awaitable<void> async_bulk_write(api_client& client, std::size_t count,
                                              bulk_make_fn make, bulk_result_fn on_result,
                                              bulk_options options);

}  // namespace ghost::kube
