#pragma once
// Thin typed Kubernetes API calls over engine::http_pool. Every call returns api_result<T>:
// the value, or an api_error holding a kube::errc (non-2xx) or an engine/transport error code,
// plus the Status object the server sent.

#include "engine/http_pool.hpp"
#include "kube/kubeconfig.hpp"
#include "kube/patch.hpp"
#include "kube/resource.hpp"
#include "kube/status.hpp"
#include "kube/watch_decoder.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/assert/source_location.hpp>
#include <boost/json/array.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ghost::kube {

struct api_error {
    boost::system::error_code ec;     // kube::errc for HTTP errors, else engine/transport
    unsigned http_status = 0;         // 0 when no response arrived
    kube::status status;              // from the body when it was a Status object
    std::optional<std::chrono::seconds> retry_after;

    api_error() = default;
    api_error(boost::system::error_code e) : ec(e) {}   // NOLINT: implicit on purpose
};

// Lets result<T, api_error>::value() throw boost::system::system_error.
[[noreturn]] void throw_exception_from_error(const api_error& e,
                                             const boost::source_location& loc);

template <class T>
using api_result = boost::system::result<T, api_error>;

struct api_response {
    unsigned http_status = 0;
    std::string body;
    std::string content_type;
};

struct list_result {
    boost::json::array items;
    std::string resource_version;     // the list's metadata.resourceVersion
};

// "ghostlet/<version>".
std::string_view user_agent() noexcept;

// A pool for `access` with the User-Agent and the bearer token (Authorization header) set.
std::unique_ptr<engine::http_pool> make_http_pool(boost::asio::any_io_executor ex,
                                                  const cluster_access& access,
                                                  engine::pool_config cfg = {});

struct client_options {
    std::string base_path;      // cluster_access::base_path
    std::string bearer_token;   // set only if the pool does not add Authorization itself
    std::string field_manager = "ghostlet";   // server-side apply patches
};

// Maps a finished HTTP exchange to the call's result: 2xx -> ok, otherwise an api_error with
// the errc and the Status parsed from the body. Exposed for tests.
api_result<api_response> check_response(engine::http_response&& r);

class api_client {
public:
    explicit api_client(engine::http_pool& pool, client_options opts = {});

    // `path` may carry a query string.
    boost::asio::awaitable<api_result<api_response>> async_get(std::string path);
    // Follows `continue` until the list is complete.
    boost::asio::awaitable<api_result<list_result>> async_list(std::string path,
                                                               list_options opts = {});
    boost::asio::awaitable<api_result<api_response>> async_create(std::string path,
                                                                  std::string body);
    boost::asio::awaitable<api_result<api_response>> async_put(std::string path,
                                                               std::string body);
    boost::asio::awaitable<api_result<api_response>> async_patch(std::string path, patch_type type,
                                                                 std::string body);
    // grace_seconds 0 = force delete.
    boost::asio::awaitable<api_result<api_response>> async_delete(
        std::string path, std::optional<int> grace_seconds = std::nullopt);

    // Watches `path` with opts (watch=true is implied) and calls on_event for every event,
    // inside the stream's read loop. Returns the HTTP status when the server ended the stream
    // cleanly; a non-2xx answer is an api_error with its Status (410 -> errc::gone).
    boost::asio::awaitable<api_result<unsigned>> async_watch(
        std::string path, list_options opts, std::function<void(const watch_event&)> on_event);

    engine::http_pool& pool() noexcept { return pool_; }

private:
    engine::http_request make_request(boost::beast::http::verb method, std::string path) const;
    boost::asio::awaitable<api_result<api_response>> send(engine::http_request req);

    engine::http_pool& pool_;
    client_options opts_;
};

}  // namespace ghost::kube
