#include "kube/portforward.hpp"

#include <charconv>

namespace ghost::kube::portforward {

std::variant<stream_header, std::string> parse_stream(std::uint32_t id,
                                                      const engine::spdy::header_block& headers) {
    using engine::spdy::header_value;
    auto port_text = header_value(headers, "port");
    if (port_text.empty()) return std::string("\"port\" header is required");
    unsigned long port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535)
        return "unable to parse \"" + std::string(port_text) + "\" as a port";
    if (port < 1) return "port \"" + std::string(port_text) + "\" must be > 0";
    auto type = header_value(headers, "streamtype");
    if (type.empty()) return std::string("\"streamType\" header is required");
    if (type != "data" && type != "error")
        return "invalid stream type \"" + std::string(type) + "\"";
    stream_header h;
    h.port = static_cast<std::uint16_t>(port);
    h.is_error = type == "error";
    h.request_id = std::string(header_value(headers, "requestid"));
    if (h.request_id.empty()) h.request_id = std::to_string(h.is_error ? id : id - 2);
    return h;
}

pairing::added pairing::add(std::uint32_t id, const stream_header& header) {
    added out;
    auto [it, created] = pending_.try_emplace(header.request_id);
    stream_pair& p = it->second;
    if (created) {
        p.request_id = header.request_id;
        p.port = header.port;
    }
    std::uint32_t& slot = header.is_error ? p.error_id : p.data_id;
    if (slot != 0) {
        out.error = "error processing stream for request " + header.request_id + ": " +
                    (header.is_error ? "error" : "data") + " stream already assigned";
        out.error_id = p.error_id;
        return out;
    }
    slot = id;
    // The data stream's port is the one forwarded (the kubelet reads it from that stream).
    if (!header.is_error) p.port = header.port;
    if (p.data_id != 0 && p.error_id != 0) {
        out.complete = p;
        pending_.erase(it);
    }
    return out;
}

}  // namespace ghost::kube::portforward
