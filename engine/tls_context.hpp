#pragma once
// TLS contexts: a client one from PEM text (CA bundle, client certificate and key), a server one
// from PEM text or from certificate and key files.

#include "engine/error.hpp"
#include "engine/http_types.hpp"
#include "engine/tls_certs.hpp"

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

namespace ghost::engine {

// verify_peer is set unless insecure_skip_verify; host name checking is per connection.
result<std::shared_ptr<boost::asio::ssl::context>> make_client_tls_context(const tls_options& o);

// Server context (TLS 1.2+) for a certificate chain and its key. Throws std::runtime_error
// "tls: certificate: ..." / "tls: private key: ..." (start-up error).
std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(const pem_pair& pem);

// The same from files; the one-line error names the file that cannot be read, holds no PEM
// certificate / key, or whose key does not match the certificate.
std::shared_ptr<boost::asio::ssl::context> load_server_tls_context(const std::string& cert_file,
                                                                   const std::string& key_file);

// Asks TLS clients for a certificate and verifies one given against `ca_pem` (kubelet's
// --client-ca-file: a client without a certificate still connects, unauthenticated; one whose
// certificate the CA does not verify fails the handshake). `origin` names the PEM's source in
// the one-line std::runtime_error thrown when it holds no certificate (start-up error).
void trust_client_certificates(boost::asio::ssl::context& ctx, const std::string& ca_pem,
                               const std::string& origin);
// The same from a file (the error names the file).
void trust_client_certificates_file(boost::asio::ssl::context& ctx, const std::string& ca_file);

}  // namespace ghost::engine
