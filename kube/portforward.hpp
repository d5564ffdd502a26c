#pragma once
// Kubernetes' port-forward protocol over SPDY (portforward.k8s.io), the kubelet's side, sans-io:
// each forwarded connection is a pair of streams (streamType data + error) with the same
// requestID header and a port header. Facts from k8s.io/cri-streaming's portforward.

#include "engine/spdy_frames.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace ghost::kube::portforward {

inline constexpr std::string_view protocol_v1 = "portforward.k8s.io";
inline constexpr std::array<std::string_view, 1> protocols = {protocol_v1};

struct stream_header {
    std::uint16_t port = 0;
    bool is_error = false;  ///< streamType error, else data
    std::string request_id;
};

/// Checks a new stream's headers as the kubelet does before replying; a message means the
/// stream is refused (reset). Without a requestID one is derived from the stream id (error:
/// id, data: id - 2), as old clients paired them.
std::variant<stream_header, std::string> parse_stream(std::uint32_t id,
                                                      const engine::spdy::header_block& headers);

struct stream_pair {
    std::string request_id;
    std::uint16_t port = 0;
    std::uint32_t data_id = 0;
    std::uint32_t error_id = 0;
};

/// Pairs data and error streams by requestID.
class pairing {
public:
    struct added {
        std::optional<stream_pair> complete;  ///< both streams are here: forward
        /// A second data or error stream for the request: this text goes on the pair's error
        /// stream (when it has one; `error_id` 0 otherwise) and the new stream is ignored.
        std::string error;
        std::uint32_t error_id = 0;
    };
    added add(std::uint32_t id, const stream_header& header);
    /// Drops a pending request (its streams were reset or the connection closes).
    void forget(const std::string& request_id) { pending_.erase(request_id); }
    std::size_t pending() const { return pending_.size(); }

private:
    std::map<std::string, stream_pair> pending_;
};

}  // namespace ghost::kube::portforward
