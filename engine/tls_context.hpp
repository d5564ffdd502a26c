#pragma once
// Builds a client TLS context from PEM text (CA bundle, client certificate and key).

#include "engine/error.hpp"
#include "engine/http_types.hpp"

#include <boost/asio/ssl/context.hpp>

#include <memory>

namespace ghost::engine {

// verify_peer is set unless insecure_skip_verify; host name checking is per connection.
result<std::shared_ptr<boost::asio::ssl::context>> make_client_tls_context(const tls_options& o);

}  // namespace ghost::engine
