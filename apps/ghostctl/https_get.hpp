#pragma once
// Blocking HTTPS requests with client-certificate auth, for readiness probes and the CRDs
// installed during create: one request over the engine's http_pool on a private io_context.

#include <chrono>
#include <string>

namespace ghost::ghostctl {

struct https_target {
    std::string host = "127.0.0.1";
    std::string port;
    std::string ca_pem;
    std::string cert_pem;
    std::string key_pem;
};

struct https_reply {
    unsigned status = 0;
    std::string body;
};

// Throws std::runtime_error on connect/TLS/timeout failures; any HTTP status is a reply.
https_reply https_get(const https_target& t, const std::string& path,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));
// POST of a JSON body.
https_reply https_post(const https_target& t, const std::string& path, std::string json_body,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace ghost::ghostctl
