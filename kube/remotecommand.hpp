#pragma once
// Kubernetes' remotecommand protocol over SPDY (exec and attach), the kubelet's side, sans-io:
// which streams a connection expects (from the query's input/output/error/tty and the
// negotiated v1..v4.channel.k8s.io), TTY resize messages, and the final error-stream status.
// Facts from k8s.io/cri-streaming's remotecommand (the kubelet's server).

#include "engine/spdy_frames.hpp"

#include <boost/json/stream_parser.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ghost::kube::remotecommand {

inline constexpr std::string_view protocol_v4 = "v4.channel.k8s.io";
inline constexpr std::string_view protocol_v3 = "v3.channel.k8s.io";
inline constexpr std::string_view protocol_v2 = "v2.channel.k8s.io";
inline constexpr std::string_view protocol_v1 = "channel.k8s.io";
/// Ours, in the kubelet's order of preference (the client's order decides).
inline constexpr std::array<std::string_view, 4> protocols = {protocol_v4, protocol_v3,
                                                              protocol_v2, protocol_v1};

struct stream_options {
    bool stdin_ = false, stdout_ = false, stderr_ = false, tty = false;
};
/// From the target's query: input, output, error, tty ("1" = on). With tty, stderr is off (the
/// terminal carries both). At least one of the three is required, else the kubelet's message.
std::variant<stream_options, std::string> parse_stream_options(std::string_view target);

enum class stream_kind { error, stdin_, stdout_, stderr_, resize };

/// The streams of one connection as the client opens them.
class stream_set {
public:
    stream_set(stream_options options, std::string_view protocol);

    /// The kind of a newly opened stream; nullopt for an unknown streamType (the kubelet
    /// replies and ignores it) or a second stream of a kind already seen.
    std::optional<stream_kind> add(std::uint32_t id, const engine::spdy::header_block& headers);
    /// Every expected stream arrived: the command may start.
    bool complete() const { return received_ >= expected_; }
    int expected() const { return expected_; }
    std::optional<std::uint32_t> id_of(stream_kind kind) const;
    std::optional<stream_kind> kind_of(std::uint32_t id) const;
    /// v4 reports a JSON Status on the error stream; v1..v3 a text message on failure only.
    bool json_status() const { return json_status_; }
    const stream_options& options() const { return options_; }

private:
    stream_options options_;
    bool json_status_ = false;
    int expected_ = 1;
    int received_ = 0;
    std::array<std::optional<std::uint32_t>, 5> ids_{};
};

struct terminal_size {
    std::uint16_t width = 0;
    std::uint16_t height = 0;
    bool operator==(const terminal_size&) const = default;
};

/// The resize stream: JSON objects {"Width":w,"Height":h} one after another, in any splits.
/// A malformed message stops decoding (the kubelet's decoder gives up the same way).
class resize_decoder {
public:
    void feed(std::string_view bytes, std::vector<terminal_size>& out);
    bool failed() const { return failed_; }

private:
    boost::json::stream_parser parser_;
    bool mid_message_ = false;
    bool failed_ = false;
};

/// How a command ended.
struct exec_outcome {
    enum class kind { success, exit_code, failure };
    kind what = kind::success;
    int exit_code = 0;
    std::string message;  ///< failure: why (e.g. the command could not start)
    static exec_outcome succeeded() { return {}; }
    static exec_outcome exited(int code) { return {kind::exit_code, code, {}}; }
    static exec_outcome failed(std::string why) { return {kind::failure, 0, std::move(why)}; }
};

/// What goes on the error stream when the command ends ("" = nothing). v4: the Status as JSON
/// (Success; Failure NonZeroExitCode with a cause ExitCode; Failure InternalError, code 500);
/// older protocols: the message text on failure only. `action` is "executing command in
/// container" or "attaching to container", as the kubelet words it.
std::string final_status(const stream_set& streams, const exec_outcome& outcome,
                         std::string_view action = "executing command in container");

}  // namespace ghost::kube::remotecommand
