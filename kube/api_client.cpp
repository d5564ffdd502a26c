#include "kube/api_client.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#ifndef GHOST_VERSION
#define GHOST_VERSION "0.0.0"
#endif

namespace ghost::kube {

namespace http = boost::beast::http;
namespace json = boost::json;
using boost::asio::awaitable;

void throw_exception_from_error(const api_error& e, const boost::source_location& loc) {
    boost::throw_exception(boost::system::system_error(e.ec), loc);
}

std::string_view user_agent() noexcept { return "ghostlet/" GHOST_VERSION; }

std::unique_ptr<engine::http_pool> make_http_pool(boost::asio::any_io_executor ex,
                                                  const cluster_access& access,
                                                  engine::pool_config cfg) {
    if (cfg.user_agent.empty()) cfg.user_agent = std::string(user_agent());
    if (!access.bearer_token.empty())
        cfg.default_headers.emplace_back("Authorization", "Bearer " + access.bearer_token);
    return std::make_unique<engine::http_pool>(std::move(ex), access.ep, access.tls,
                                               std::move(cfg));
}

api_result<api_response> check_response(engine::http_response&& r) {
    if (r.status >= 200 && r.status < 300)
        return api_response{r.status, std::move(r.body), std::move(r.content_type)};
    api_error e;
    e.http_status = r.status;
    e.retry_after = r.retry_after;
    if (auto s = parse_status(r.body)) e.status = std::move(*s);
    if (e.status.code == 0) e.status.code = static_cast<int>(r.status);
    e.ec = errc_from_http(r.status, e.status.reason);
    return e;
}

api_client::api_client(engine::http_pool& pool, client_options opts)
    : pool_(pool), opts_(std::move(opts)) {}

engine::http_request api_client::make_request(http::verb method, std::string path) const {
    engine::http_request req;
    req.method = method;
    req.target = opts_.base_path.empty() ? std::move(path) : opts_.base_path + path;
    req.headers.emplace_back("Accept", "application/json");
    if (!opts_.bearer_token.empty())
        req.headers.emplace_back("Authorization", "Bearer " + opts_.bearer_token);
    return req;
}

awaitable<api_result<api_response>> api_client::send(engine::http_request req) {
    auto r = co_await pool_.async_request(std::move(req));
    if (!r) {
        api_error e(r.error());
        co_return e;
    }
    auto out = check_response(std::move(*r));
    co_return out;
}

awaitable<api_result<api_response>> api_client::async_get(std::string path) {
    auto r = co_await send(make_request(http::verb::get, std::move(path)));
    co_return r;
}

awaitable<api_result<list_result>> api_client::async_list(std::string path, list_options opts) {
    list_result out;
    opts.watch = false;
    for (;;) {
        auto r = co_await send(make_request(http::verb::get, with_query(path, opts)));
        if (!r) co_return r.error();
        boost::system::error_code ec;
        json::value v = json::parse(r->body, ec);
        if (ec || !v.is_object()) co_return api_error(errc::malformed_response);
        auto& obj = v.get_object();
        if (auto* items = obj.if_contains("items"); items && items->is_array()) {
            auto& arr = items->get_array();
            if (out.items.empty()) {
                out.items = std::move(arr);
            } else {
                out.items.reserve(out.items.size() + arr.size());
                for (auto& item : arr) out.items.push_back(std::move(item));
            }
        } else if (auto* items_v = obj.if_contains("items"); items_v && !items_v->is_null()) {
            co_return api_error(errc::malformed_response);
        }
        std::string next;
        if (auto* md = obj.if_contains("metadata"); md && md->is_object()) {
            auto& m = md->get_object();
            if (auto* rv = m.if_contains("resourceVersion"); rv && rv->is_string())
                out.resource_version = rv->get_string();
            if (auto* c = m.if_contains("continue"); c && c->is_string()) next = c->get_string();
        }
        if (next.empty()) co_return out;
        opts.continue_token = std::move(next);
        // Later pages must not carry resourceVersion (the continue token pins the snapshot).
        opts.resource_version.reset();
        opts.resource_version_match.clear();
    }
}

awaitable<api_result<api_response>> api_client::async_create(std::string path, std::string body) {
    auto req = make_request(http::verb::post, std::move(path));
    req.content_type = "application/json";
    req.body = std::move(body);
    auto r = co_await send(std::move(req));
    co_return r;
}

awaitable<api_result<api_response>> api_client::async_put(std::string path, std::string body) {
    auto req = make_request(http::verb::put, std::move(path));
    req.content_type = "application/json";
    req.body = std::move(body);
    auto r = co_await send(std::move(req));
    co_return r;
}

awaitable<api_result<api_response>> api_client::async_patch(std::string path, patch_type type,
                                                            std::string body) {
    if (type == patch_type::apply && path.find("fieldManager=") == std::string::npos) {
        path += path.find('?') == std::string::npos ? '?' : '&';
        path += "fieldManager=" + encode_segment(opts_.field_manager) + "&force=true";
    }
    auto req = make_request(http::verb::patch, std::move(path));
    req.content_type = std::string(content_type(type));
    req.body = std::move(body);
    auto r = co_await send(std::move(req));
    co_return r;
}

awaitable<api_result<api_response>> api_client::async_delete(std::string path,
                                                             std::optional<int> grace_seconds) {
    auto req = make_request(http::verb::delete_, std::move(path));
    if (grace_seconds) {
        json::object opts;
        opts["kind"] = "DeleteOptions";
        opts["apiVersion"] = "v1";
        opts["gracePeriodSeconds"] = *grace_seconds;
        req.content_type = "application/json";
        req.body = json::serialize(opts);
    }
    auto r = co_await send(std::move(req));
    co_return r;
}

namespace {

// Per-watch state kept off the coroutine frame: the callbacks hold a pointer to it.
struct watch_state {
    watch_decoder decoder;
    engine::http_response head;
    std::string error_body;
    std::function<void(const watch_event&)> on_event;

    static constexpr std::size_t max_error_body = 64 * 1024;
    bool ok() const { return head.status >= 200 && head.status < 300; }
    void data(std::string_view bytes) {
        if (ok()) {
            decoder.feed(bytes, on_event);
        } else if (error_body.size() < max_error_body) {
            error_body.append(bytes.substr(0, max_error_body - error_body.size()));
        }
    }
};

}  // namespace

awaitable<api_result<unsigned>> api_client::async_watch(
    std::string path, list_options opts, std::function<void(const watch_event&)> on_event) {
    opts.watch = true;
    auto req = make_request(http::verb::get, with_query(path, opts));
    auto st = std::make_unique<watch_state>();
    st->on_event = std::move(on_event);
    watch_state* s = st.get();
    auto r = co_await pool_.async_stream(
        std::move(req), [s](std::string_view bytes) { s->data(bytes); },
        [s](const engine::http_response& h) { s->head = h; });
    api_result<unsigned> out = 0u;
    if (!r) {
        out = api_error(r.error());
    } else {
        if (s->head.status == 0) s->head.status = *r;
        if (!s->ok()) {
            s->head.body = std::move(s->error_body);
            out = check_response(std::move(s->head)).error();
        } else {
            s->decoder.finish(s->on_event);
            out = *r;
        }
    }
    co_return out;
}

}  // namespace ghost::kube
