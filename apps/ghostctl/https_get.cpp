#include "apps/ghostctl/https_get.hpp"

#include "engine/http_pool.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <stdexcept>

namespace ghost::ghostctl {

namespace asio = boost::asio;

namespace {

https_reply request(const https_target& t, engine::http_request req,
                    std::chrono::milliseconds timeout) {
    asio::io_context ioc;
    engine::pool_config cfg;
    cfg.max_connections = 1;
    cfg.connect_timeout = timeout;
    cfg.request_timeout = timeout;
    cfg.user_agent = "ghostctl";
    engine::http_pool pool(ioc.get_executor(), engine::endpoint{t.host, t.port, true},
                           engine::tls_options{t.ca_pem, t.cert_pem, t.key_pem, false, ""}, cfg);
    std::string path = req.target;
    const char* verb = req.method == boost::beast::http::verb::post ? "POST " : "GET ";
    req.headers.emplace_back("Accept", "application/json, */*");
    std::optional<engine::result<engine::http_response>> out;
    std::exception_ptr error;
    asio::co_spawn(ioc, pool.async_request(std::move(req), timeout),
                   [&](std::exception_ptr e, engine::result<engine::http_response> r) {
                       if (e) error = e;
                       else out = std::move(r);
                   });
    ioc.run();
    if (error) std::rethrow_exception(error);
    const std::string url = "https://" + t.host + ":" + t.port + path;
    if (!out) throw std::runtime_error(verb + url + ": no result");
    if (out->has_error()) throw std::runtime_error(verb + url + ": " + out->error().message());
    return https_reply{out->value().status, std::move(out->value().body)};
}

}  // namespace

https_reply https_get(const https_target& t, const std::string& path,
                      std::chrono::milliseconds timeout) {
    engine::http_request req;
    req.method = boost::beast::http::verb::get;
    req.target = path;
    return request(t, std::move(req), timeout);
}

https_reply https_post(const https_target& t, const std::string& path, std::string json_body,
                       std::chrono::milliseconds timeout) {
    engine::http_request req;
    req.method = boost::beast::http::verb::post;
    req.target = path;
    req.content_type = "application/json";
    req.body = std::move(json_body);
    return request(t, std::move(req), timeout);
}

}  // namespace ghost::ghostctl
