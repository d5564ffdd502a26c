#pragma once
// Serving one upgraded connection for `kubectl exec`, `attach` and `port-forward` on a fake pod:
// the HTTP server's take-over route (pod-io) authenticates the API server, resolves the pod's
// Exec/Attach/PortForward entry and hands the connection here. Each function answers the
// upgrade itself (101 Switching Protocols with the negotiated protocol, or the kubelet's
// plain-text error), then speaks SPDY/3.1 (engine/spdy_session) with Kubernetes' remotecommand
// or portforward streams (kube/remotecommand, kube/portforward) until the client goes.
//  - exec runs the command locally (engine::spawn_stdio: pipes, or a pty with tty=1 sized by
//    the resize stream; workDir, envs, runAsUser/runAsGroup) and reports its exit on the error
//    stream (exit code 0: Success; other codes: NonZeroExitCode + cause ExitCode; a command
//    that cannot start: InternalError, also logged).
//  - attach streams logs_file to stdout from its start and follows it (polled every 250 ms);
//    stdin is read and dropped.
//  - port-forward asks `lookup(port)` per data/error stream pair: dial address:port, or run
//    the command with its stdin/stdout as the stream; no target is an error on the error stream.
// Everything runs on the stream's executor (single-threaded); fork/exec is the only blocking
// call. Pass named values or std::move() (GCC 12 bug with braced temporaries in coroutines).

#include "engine/byte_stream.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ghost::ghostlet {

/// What the pod's Exec entry says, resolved by the caller.
struct exec_target {
    std::vector<std::string> command;  ///< from the request's `command` query values
    std::string work_dir;
    std::vector<std::pair<std::string, std::string>> envs;
    std::optional<std::uint32_t> run_as_user, run_as_group;
};

/// One PortForward target: `command` non-empty runs it, else dial address:port.
struct forward_target {
    std::string address;
    std::uint16_t port = 0;
    std::vector<std::string> command;
};
using forward_lookup = std::function<std::optional<forward_target>(std::uint16_t port)>;

boost::asio::awaitable<void> serve_exec(engine::request_head head,
                                        std::unique_ptr<engine::byte_stream> stream,
                                        std::string already_read, exec_target target);
boost::asio::awaitable<void> serve_attach(engine::request_head head,
                                          std::unique_ptr<engine::byte_stream> stream,
                                          std::string already_read, std::string logs_file);
boost::asio::awaitable<void> serve_port_forward(engine::request_head head,
                                                std::unique_ptr<engine::byte_stream> stream,
                                                std::string already_read, forward_lookup lookup);

}  // namespace ghost::ghostlet
