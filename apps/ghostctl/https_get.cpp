#include "apps/ghostctl/https_get.hpp"

#include "engine/http_pool.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <stdexcept>

namespace ghost::ghostctl {

namespace asio = boost::asio;

https_reply https_get(const https_target& t, const std::string& path,
                      std::chrono::milliseconds timeout) {
    asio::io_context ioc;
    engine::pool_config cfg;
    cfg.max_connections = 1;
    cfg.connect_timeout = timeout;
    cfg.request_timeout = timeout;
    cfg.user_agent = "ghostctl";
    engine::http_pool pool(ioc.get_executor(), engine::endpoint{t.host, t.port, true},
                           engine::tls_options{t.ca_pem, t.cert_pem, t.key_pem, false, ""}, cfg);
    engine::http_request req;
    req.target = path;
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
    if (!out) throw std::runtime_error("GET " + url + ": no result");
    if (out->has_error()) throw std::runtime_error("GET " + url + ": " + out->error().message());
    return https_reply{out->value().status, std::move(out->value().body)};
}

}  // namespace ghost::ghostctl
