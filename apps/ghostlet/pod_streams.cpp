#include "apps/ghostlet/pod_streams.hpp"

#include "engine/log.hpp"
#include "engine/spdy_connection.hpp"
#include "engine/subprocess.hpp"
#include "kube/portforward.hpp"
#include "kube/remotecommand.hpp"
#include "kube/stream_upgrade.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace ghost::ghostlet {
namespace {

namespace net = boost::asio;
namespace spdy = engine::spdy;
namespace rc = kube::remotecommand;
namespace pf = kube::portforward;
using namespace boost::asio::experimental::awaitable_operators;
using namespace std::chrono_literals;

// The kubelet's defaults: streams must all be open 30 s after the upgrade.
constexpr auto stream_creation_timeout = 30s;
// After our GOAWAY, how long the client has to close the connection itself.
constexpr auto linger_grace = 10s;
// After the command exited, how long its output may still drain (a background child may hold
// the pipes open).
constexpr auto output_grace = 2s;
constexpr auto attach_poll = 250ms;

std::string path_of(std::string_view target) {
    return std::string(target.substr(0, target.find('?')));
}

net::awaitable<void> refuse(engine::byte_stream& stream, const kube::upgrade_refusal& r) {
    boost::system::error_code ec;
    auto reply = kube::http_error_reply(r.status, r.message, r.headers);
    co_await stream.write(net::buffer(reply), ec);
    stream.close();
}

template <class Pred>
net::awaitable<void> wait_until(spdy::connection& c, Pred pred) {
    while (!pred() && !c.disconnected) co_await c.changed.wait();
}

/// The exit status of our child (reaped), waiting without blocking the thread: a pidfd where
/// the kernel has them (5.3+), else polling.
net::awaitable<int> wait_child(pid_t pid) {
    auto ex = co_await net::this_coro::executor;
    int pfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pfd >= 0) {
        net::posix::stream_descriptor d(ex, pfd);
        boost::system::error_code ec;
        co_await d.async_wait(net::posix::descriptor_base::wait_read,
                              net::redirect_error(net::use_awaitable, ec));
        co_return engine::wait(pid);
    }
    for (;;) {
        int st = 0;
        pid_t r = ::waitpid(pid, &st, WNOHANG);
        if (r == pid) co_return st;
        if (r < 0 && errno != EINTR) co_return -1;  // not ours (or already reaped)
        co_await spdy::sleep_for(20ms);
    }
}

std::optional<net::posix::stream_descriptor> descriptor(net::any_io_executor ex, int fd) {
    if (fd < 0) return std::nullopt;
    return net::posix::stream_descriptor(ex, fd);
}

void close_descriptor(std::optional<net::posix::stream_descriptor>& d) {
    boost::system::error_code ec;
    if (d && d->is_open()) d->close(ec);
}

// ---- exec and attach (remotecommand) ----

struct remote_session {
    spdy::connection conn;
    rc::stream_set streams;
    rc::resize_decoder resize;
    std::optional<rc::terminal_size> size;
    std::string protocol;
    std::string what;  // "exec /exec/ns/pod/container" for log lines

    remote_session(std::unique_ptr<engine::byte_stream> s, rc::stream_options o,
                   std::string negotiated, std::string w)
        : conn(std::move(s)), streams(o, negotiated), protocol(std::move(negotiated)),
          what(std::move(w)) {
        conn.on_open = [this](spdy::stream_opened& ev) {
            auto kind = streams.add(ev.id, ev.headers);
            conn.session.reply(ev.id);  // the kubelet replies to every stream
            if (!kind) {
                GHOST_LOG_DEBUG(what, ": unexpected stream type \"",
                                spdy::header_value(ev.headers, "streamtype"), "\"");
                return;
            }
            if (*kind == rc::stream_kind::stdin_ || *kind == rc::stream_kind::resize)
                conn.accept(ev.id);
        };
    }

    std::uint32_t id(rc::stream_kind k) const { return streams.id_of(k).value_or(0); }

    /// Applies resize messages that arrived (the latest size wins).
    void take_resizes() {
        auto* q = conn.find(id(rc::stream_kind::resize));
        if (q == nullptr || q->bytes.empty()) return;
        std::vector<rc::terminal_size> sizes;
        resize.feed(q->bytes, sizes);
        q->bytes.clear();
        if (!sizes.empty()) size = sizes.back();
    }

    /// The error-stream status, our half-closes and GOAWAY; then the client closes.
    net::awaitable<void> finish(const rc::exec_outcome& outcome, std::string_view action) {
        if (auto err = streams.id_of(rc::stream_kind::error)) {
            auto status = rc::final_status(streams, outcome, action);
            if (!status.empty()) conn.session.send_data(*err, status);
        }
        for (auto k : {rc::stream_kind::error, rc::stream_kind::stdin_, rc::stream_kind::stdout_,
                       rc::stream_kind::stderr_, rc::stream_kind::resize})
            if (auto i = streams.id_of(k)) conn.session.close_stream(*i);
        conn.session.go_away();
        co_await conn.linger(linger_grace);
    }

    /// Waits for every stream the request calls for; false (logged, connection closed) when
    /// the client did not open them in time.
    net::awaitable<bool> streams_ready() {
        co_await (wait_until(conn, [this] { return streams.complete(); }) ||
                  spdy::sleep_for(stream_creation_timeout));
        if (streams.complete()) co_return true;
        if (!conn.disconnected)
            GHOST_LOG_WARN(what, ": timed out waiting for client to create streams");
        conn.close();
        co_return false;
    }
};

std::variant<std::shared_ptr<remote_session>, kube::upgrade_refusal> start_remote(
    const engine::request_head& head, std::unique_ptr<engine::byte_stream>& stream,
    std::string_view verb) {
    auto options = rc::parse_stream_options(head.target);
    if (auto* why = std::get_if<std::string>(&options))
        return kube::upgrade_refusal{400, *why, {}};
    auto negotiated = kube::negotiate_stream_upgrade(head, rc::protocols);
    if (auto* r = std::get_if<kube::upgrade_refusal>(&negotiated)) return *r;
    return std::make_shared<remote_session>(
        std::move(stream), std::get<rc::stream_options>(options),
        std::get<std::string>(std::move(negotiated)),
        std::string(verb) + " " + path_of(head.target));
}

net::awaitable<void> run_exec(std::shared_ptr<remote_session> s, exec_target target) {
    constexpr std::string_view action = "executing command in container";
    if (!co_await s->streams_ready()) co_return;
    auto& conn = s->conn;
    const auto& opts = s->streams.options();
    s->take_resizes();

    engine::stdio_options o;
    o.argv = target.command;
    o.env = target.envs;
    o.cwd = target.work_dir;
    o.uid = target.run_as_user;
    o.gid = target.run_as_group;
    o.pty = opts.tty;
    o.want_stdin = opts.stdin_;
    o.want_stdout = opts.stdout_;
    o.want_stderr = opts.stderr_;
    if (s->size) {
        o.columns = s->size->width;
        o.rows = s->size->height;
    }
    auto started = engine::spawn_stdio(o);
    if (auto* why = std::get_if<std::string>(&started)) {
        GHOST_LOG_WARN(s->what, ": cannot run the command: ", *why);
        co_await s->finish(rc::exec_outcome::failed(*why), action);
        co_return;
    }
    auto child = std::get<engine::stdio_child>(started);
    GHOST_LOG_DEBUG(s->what, ": started pid ", child.pid);
    auto ex = conn.get_executor();
    // A pty is one descriptor for both directions (Asio allows one read and one write).
    auto in = descriptor(ex, child.stdin_fd);
    auto out = descriptor(ex, opts.tty ? -1 : child.stdout_fd);
    auto err = descriptor(ex, child.stderr_fd);
    auto& terminal_out = opts.tty ? in : out;

    bool exited = false;
    int outputs_open = (terminal_out ? 1 : 0) + (err ? 1 : 0);
    int wait_status = -1;
    auto output = [&](std::optional<net::posix::stream_descriptor>& d,
                      rc::stream_kind kind) -> net::awaitable<void> {
        if (!d) co_return;
        if (auto id = s->id(kind)) co_await spdy::pump_to_stream(conn, *d, id);
        --outputs_open;
        conn.changed.notify();
    };
    auto input = [&]() -> net::awaitable<void> {
        if (!in) co_return;
        if (auto id = s->id(rc::stream_kind::stdin_))
            co_await spdy::pump_from_stream(conn, *in, id, [&] { return exited; });
        // With a terminal the client's end of stdin does not end the session.
        if (!opts.tty) close_descriptor(in);
    };
    auto resizes = [&]() -> net::awaitable<void> {
        while (opts.tty && !exited && !conn.disconnected) {
            s->take_resizes();
            if (s->size && child.pty_fd >= 0)
                engine::set_window_size(child.pty_fd, s->size->width, s->size->height);
            co_await conn.changed.wait();
        }
    };
    auto lifetime = [&]() -> net::awaitable<void> {
        auto reap = [&]() -> net::awaitable<void> {
            wait_status = co_await wait_child(child.pid);
            exited = true;
            conn.changed.notify();
        };
        auto kill_on_disconnect = [&]() -> net::awaitable<void> {
            co_await wait_until(conn, [&] { return exited; });
            if (!exited) engine::signal_process(child.pid, SIGKILL);
        };
        co_await (reap() && kill_on_disconnect());
        if (outputs_open > 0)
            co_await (wait_until(conn, [&] { return outputs_open == 0; }) ||
                      spdy::sleep_for(output_grace));
        // Whatever still holds the output open is cut off.
        close_descriptor(out);
        close_descriptor(err);
        close_descriptor(in);
    };
    co_await (output(terminal_out, rc::stream_kind::stdout_) &&
              output(err, rc::stream_kind::stderr_) && input() && resizes() && lifetime());
    child.pty_fd = child.stdin_fd = child.stdout_fd = child.stderr_fd = -1;  // descriptors own them

    if (conn.disconnected) co_return;
    rc::exec_outcome outcome;
    if (wait_status < 0) {
        outcome = rc::exec_outcome::failed("lost the exit status of pid " +
                                           std::to_string(child.pid));
    } else if (int code = engine::exit_code(wait_status); code != 0) {
        outcome = rc::exec_outcome::exited(code);
    }
    co_await s->finish(outcome, action);
}

net::awaitable<void> run_attach(std::shared_ptr<remote_session> s, std::string logs_file) {
    constexpr std::string_view action = "attaching to container";
    if (!co_await s->streams_ready()) co_return;
    auto& conn = s->conn;
    const std::uint32_t out = s->id(rc::stream_kind::stdout_);
    if (out == 0) {
        co_await conn.wait_disconnect();  // nothing to show: stay attached until the client goes
        co_return;
    }
    std::ifstream file(logs_file, std::ios::binary);
    if (!file) {
        std::string why = "open " + logs_file + ": " + std::strerror(errno);
        GHOST_LOG_WARN(s->what, ": ", why);
        co_await s->finish(rc::exec_outcome::failed(why), action);
        co_return;
    }
    std::array<char, 32 * 1024> buf;
    std::streamoff offset = 0;
    while (!conn.disconnected) {
        if (auto* q = conn.find(s->id(rc::stream_kind::stdin_))) q->bytes.clear();  // dropped
        file.clear();
        file.seekg(0, std::ios::end);
        const std::streamoff size = file.tellg();
        if (size < offset) offset = 0;  // truncated (rotated): from the start again
        if (size > offset) {
            file.seekg(offset);
            file.read(buf.data(), static_cast<std::streamsize>(
                                      std::min<std::streamoff>(size - offset, buf.size())));
            const auto n = file.gcount();
            offset += n;
            conn.session.send_data(out, std::string_view(buf.data(), static_cast<std::size_t>(n)));
            co_await conn.flush();
            continue;
        }
        co_await (conn.wait_disconnect() || spdy::sleep_for(attach_poll));
    }
}

// ---- port-forward ----

struct forward_session {
    spdy::connection conn;
    pf::pairing pairing;
    forward_lookup lookup;
    std::string what;
    int active = 0;

    forward_session(std::unique_ptr<engine::byte_stream> s, forward_lookup l, std::string w)
        : conn(std::move(s)), lookup(std::move(l)), what(std::move(w)) {}
};

void fail_pair(forward_session& s, const pf::stream_pair& p, const std::string& message) {
    GHOST_LOG_WARN(s.what, ": ", message);
    s.conn.session.send_data(p.error_id, message, true);
    s.conn.session.reset(p.data_id, spdy::rst_status::cancel);
}

// Both directions between the data stream and an Asio stream; `in_sink` and `out_source` may
// be the same object (a socket).
template <class Sink, class Source, class EndInput, class Abort>
net::awaitable<void> bridge(forward_session& s, const pf::stream_pair& p, Sink& in_sink,
                            Source& out_source, EndInput end_input, Abort abort) {
    auto& conn = s.conn;
    bool out_done = false, in_done = false;
    auto out = [&]() -> net::awaitable<void> {
        co_await spdy::pump_to_stream(conn, out_source, p.data_id);
        out_done = true;
        conn.changed.notify();
    };
    auto in = [&]() -> net::awaitable<void> {
        co_await spdy::pump_from_stream(conn, in_sink, p.data_id, [&] { return out_done; });
        end_input();
        in_done = true;
        conn.changed.notify();
    };
    auto watch = [&]() -> net::awaitable<void> {
        auto* q = conn.find(p.data_id);
        co_await wait_until(conn, [&] { return (out_done && in_done) || (q && q->reset); });
        if (!out_done || !in_done) abort();
    };
    co_await (out() && in() && watch());
}

net::awaitable<void> forward_tcp(forward_session& s, pf::stream_pair p, forward_target t) {
    auto ex = s.conn.get_executor();
    net::ip::tcp::resolver resolver(ex);
    net::ip::tcp::socket socket(ex);
    const std::string dial = t.address + ":" + std::to_string(t.port);
    boost::system::error_code ec;
    auto endpoints = co_await resolver.async_resolve(t.address, std::to_string(t.port),
                                                     net::redirect_error(net::use_awaitable, ec));
    if (!ec)
        co_await net::async_connect(socket, endpoints, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
        fail_pair(s, p, "error forwarding port " + std::to_string(p.port) + ": dial tcp " + dial +
                            ": " + ec.message());
        co_return;
    }
    co_await bridge(
        s, p, socket, socket,
        [&] {
            boost::system::error_code e;
            socket.shutdown(net::ip::tcp::socket::shutdown_send, e);
        },
        [&] {
            boost::system::error_code e;
            socket.close(e);
        });
}

net::awaitable<void> forward_command(forward_session& s, pf::stream_pair p, forward_target t) {
    engine::stdio_options o;
    o.argv = t.command;
    o.want_stdin = o.want_stdout = true;
    auto started = engine::spawn_stdio(o);
    if (auto* why = std::get_if<std::string>(&started)) {
        fail_pair(s, p, "error forwarding port " + std::to_string(p.port) + ": " + *why);
        co_return;
    }
    auto child = std::get<engine::stdio_child>(started);
    auto ex = s.conn.get_executor();
    auto in = descriptor(ex, child.stdin_fd);
    auto out = descriptor(ex, child.stdout_fd);
    co_await bridge(
        s, p, *in, *out, [&] { close_descriptor(in); },
        [&] {
            close_descriptor(in);
            close_descriptor(out);
        });
    close_descriptor(in);
    close_descriptor(out);
    // Its output has ended: nothing more can reach the client. (try_wait reaps when it exited.)
    if (!engine::try_wait(child.pid)) {
        engine::signal_process(child.pid, SIGKILL);
        co_await wait_child(child.pid);
    }
}

net::awaitable<void> forward(std::shared_ptr<forward_session> s, pf::stream_pair p) {
    auto target = s->lookup ? s->lookup(p.port) : std::nullopt;
    if (!target) {
        fail_pair(*s, p, "error forwarding port " + std::to_string(p.port) +
                             ": no PortForward target for this port");
    } else if (!target->command.empty()) {
        co_await forward_command(*s, p, std::move(*target));
    } else {
        co_await forward_tcp(*s, p, std::move(*target));
    }
    s->conn.session.close_stream(p.error_id);
    co_await s->conn.flush();
}

void open_forward_stream(const std::shared_ptr<forward_session>& s, spdy::stream_opened& ev) {
    auto parsed = pf::parse_stream(ev.id, ev.headers);
    if (auto* why = std::get_if<std::string>(&parsed)) {
        GHOST_LOG_WARN(s->what, ": stream ", ev.id, " refused: ", *why);
        s->conn.session.reset(ev.id, spdy::rst_status::cancel);
        return;
    }
    s->conn.session.reply(ev.id);
    s->conn.accept(ev.id);
    auto added = s->pairing.add(ev.id, std::get<pf::stream_header>(parsed));
    if (!added.error.empty()) {
        GHOST_LOG_WARN(s->what, ": ", added.error);
        if (added.error_id != 0) s->conn.session.send_data(added.error_id, added.error);
    }
    if (!added.complete) return;
    ++s->active;
    // Tracked: serve_port_forward waits for every forward before it returns.
    net::co_spawn(s->conn.get_executor(), forward(s, *added.complete),
                  [s](std::exception_ptr e) {
                      --s->active;
                      s->conn.changed.notify();
                      if (e) {
                          try {
                              std::rethrow_exception(e);
                          } catch (const std::exception& x) {
                              GHOST_LOG_ERROR(s->what, ": forward failed: ", x.what());
                          }
                      }
                  });
}

}  // namespace

net::awaitable<void> serve_exec(engine::request_head head,
                                std::unique_ptr<engine::byte_stream> stream,
                                std::string already_read, exec_target target) {
    auto started = start_remote(head, stream, "exec");
    if (auto* r = std::get_if<kube::upgrade_refusal>(&started)) {
        co_await refuse(*stream, *r);
        co_return;
    }
    auto s = std::get<std::shared_ptr<remote_session>>(std::move(started));
    co_await s->conn.write_raw(kube::switching_protocols_reply(s->protocol));
    co_await (s->conn.read_loop(std::move(already_read)) && run_exec(s, std::move(target)));
}

net::awaitable<void> serve_attach(engine::request_head head,
                                  std::unique_ptr<engine::byte_stream> stream,
                                  std::string already_read, std::string logs_file) {
    auto started = start_remote(head, stream, "attach");
    if (auto* r = std::get_if<kube::upgrade_refusal>(&started)) {
        co_await refuse(*stream, *r);
        co_return;
    }
    auto s = std::get<std::shared_ptr<remote_session>>(std::move(started));
    co_await s->conn.write_raw(kube::switching_protocols_reply(s->protocol));
    co_await (s->conn.read_loop(std::move(already_read)) && run_attach(s, std::move(logs_file)));
}

net::awaitable<void> serve_port_forward(engine::request_head head,
                                        std::unique_ptr<engine::byte_stream> stream,
                                        std::string already_read, forward_lookup lookup) {
    auto negotiated = kube::negotiate_stream_upgrade(head, pf::protocols);
    if (auto* r = std::get_if<kube::upgrade_refusal>(&negotiated)) {
        co_await refuse(*stream, *r);
        co_return;
    }
    auto s = std::make_shared<forward_session>(std::move(stream), std::move(lookup),
                                               "port-forward " + path_of(head.target));
    s->conn.on_open = [weak = std::weak_ptr<forward_session>(s)](spdy::stream_opened& ev) {
        if (auto locked = weak.lock()) open_forward_stream(locked, ev);
    };
    co_await s->conn.write_raw(kube::switching_protocols_reply(pf::protocol_v1));
    co_await s->conn.read_loop(std::move(already_read));
    // Forwards see the disconnect, stop their pumps and end.
    while (s->active > 0) co_await s->conn.changed.wait();
}

}  // namespace ghost::ghostlet
