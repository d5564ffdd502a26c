#pragma once
// The kubelet's side of the HTTP upgrade to SPDY/3.1 for exec, attach and port-forward
// (k8s.io/streaming's UpgradeResponse + httpstream.Handshake): the Connection/Upgrade headers,
// X-Stream-Protocol-Version negotiation (the client's first protocol we also speak), and the
// replies: 101 Switching Protocols, or the plain-text error Go's http.Error writes.

#include "engine/byte_stream.hpp"

#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ghost::kube {

struct upgrade_refusal {
    unsigned status = 400;
    std::string message;
    engine::header_list headers;  ///< e.g. X-Accepted-Stream-Protocol-Versions
};

/// The negotiated protocol, or why the upgrade is refused (400 missing headers, 403 no common
/// protocol).
std::variant<std::string, upgrade_refusal> negotiate_stream_upgrade(
    const engine::request_head& head, std::span<const std::string_view> server_protocols);

/// "HTTP/1.1 101 Switching Protocols" with Connection/Upgrade SPDY/3.1 and the protocol.
std::string switching_protocols_reply(std::string_view protocol);
/// A complete HTTP/1.1 error reply (text/plain, the message and a newline, Connection: close).
std::string http_error_reply(unsigned status, std::string_view message,
                             const engine::header_list& headers = {});

/// Every value of a query parameter of a request target, percent-decoded (`command` repeats).
std::vector<std::string> query_values(std::string_view target, std::string_view key);

}  // namespace ghost::kube
