#pragma once
// Plain value types shared by the HTTP pool, the write queue and the Kubernetes client.
// Kept free of Asio so sans-io code (write_queue) can use them.

#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ghost::engine {

struct endpoint {
    std::string host;
    std::string port;
    bool tls = true;
};

struct tls_options {
    std::string ca_pem;                  // trust anchors; empty = system default paths
    std::string cert_pem;                // client certificate chain (optional)
    std::string key_pem;                 // client private key (optional, with cert_pem)
    bool insecure_skip_verify = false;   // no peer or host name check
    std::string server_name;             // SNI + verified name; empty = endpoint.host
};

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_request {
    boost::beast::http::verb method = boost::beast::http::verb::get;
    std::string target;                  // path + query, e.g. "/api/v1/nodes?limit=500"
    std::string content_type;            // sent only when non-empty
    std::string body;
    header_list headers;                 // extra headers (Accept, Authorization, ...)
};

struct http_response {
    unsigned status = 0;
    std::string body;
    std::string content_type;
    std::optional<std::chrono::seconds> retry_after;  // from Retry-After (delta-seconds form)
};

}  // namespace ghost::engine
