#include "apps/ghostlet/debug_routes.hpp"

#include "apps/ghostlet/pod_streams.hpp"

#include "debugging/endpoints.hpp"
#include "engine/log.hpp"
#include "engine/stream_reply.hpp"
#include "stages/kwok_kinds.hpp"
#include "stages/stage.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ghost::ghostlet {

namespace asio = boost::asio;

namespace {

constexpr std::size_t read_chunk = 64 * 1024;

bool enabled_crd(const options& o, std::string_view kind) {
    return std::find(o.enable_crds.begin(), o.enable_crds.end(), kind) != o.enable_crds.end();
}

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
    auto q = target.find('?');
    if (q == std::string_view::npos) return {target, {}};
    return {target.substr(0, q), target.substr(q + 1)};
}

// A log file read from an offset; reopened when it was replaced or truncated (log rotation,
// a test rewriting it).
class log_file {
public:
    ~log_file() {
        if (fd_ >= 0) ::close(fd_);
    }
    /// "" or the failure, worded as kwok's reader words it.
    std::string open(const std::string& path) {
        path_ = path;
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) return "failed to open log file \"" + path + "\": " + std::strerror(errno);
        struct stat st {};
        ::fstat(fd_, &st);
        inode_ = st.st_ino;
        return {};
    }
    /// Up to read_chunk bytes from `offset`; "" at the end.
    std::string read(std::uint64_t offset) const {
        std::string buf(read_chunk, '\0');
        auto n = ::pread(fd_, buf.data(), buf.size(), static_cast<off_t>(offset));
        buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        return buf;
    }
    /// True when the path now names another file or a shorter one than `offset`: read it again
    /// from the start.
    bool replaced(std::uint64_t offset) {
        struct stat st {};
        if (::stat(path_.c_str(), &st) != 0) return false;  // gone for now: keep waiting
        if (st.st_ino == inode_ && static_cast<std::uint64_t>(st.st_size) >= offset) return false;
        if (fd_ >= 0) ::close(fd_);
        return open(path_).empty();
    }

private:
    std::string path_;
    int fd_ = -1;
    ino_t inode_ = 0;
};

// Feeds the complete lines of `pending` (and, with `flush`, an unfinished last one) through the
// filter; what is consumed leaves `pending`.
std::string filter_lines(std::string& pending, debugging::log_filter& filter, bool flush) {
    std::string out;
    std::size_t start = 0;
    while (start < pending.size() && !filter.done()) {
        auto nl = pending.find('\n', start);
        if (nl == std::string::npos) {
            if (!flush) break;
            filter.feed(std::string_view(pending).substr(start), out);
            start = pending.size();
            break;
        }
        filter.feed(std::string_view(pending).substr(start, nl + 1 - start), out);
        start = nl + 1;
    }
    pending.erase(0, start);
    return out;
}

asio::awaitable<void> write_text(engine::byte_stream& stream, const std::string& text,
                                 boost::system::error_code& ec) {
    co_await stream.write(asio::buffer(text), ec);
}

// Waits until the client closes its side (the API server drops the proxied request when
// `kubectl logs -f` ends).
asio::awaitable<void> until_client_leaves(engine::byte_stream& stream) {
    char buf[512];
    boost::system::error_code ec;
    while (!ec) co_await stream.read_some(asio::buffer(buf), ec);
}

}  // namespace

debug_routes::debug_routes(const options& opts, kube::api_client& client,
                           sim::simulation::write_sink sink)
    : enabled_(opts.enable_debugging_handlers), require_client_cert_(!opts.client_ca_file.empty()) {
    for (const auto& doc : opts.debug_documents) {
        auto json = stages::yaml_node_to_json(doc.node);
        std::string where = doc.file + " (document " + std::to_string(doc.index + 1) + ")";
        if (!json.is_object()) continue;
        if (auto err = catalog_.add_config(json.get_object(), where))
            GHOST_LOG_ERROR("invalid ", *err, " (left out; the others keep working)");
    }
    for (const auto& kind : stages::kwok_kinds()) {
        std::string k(kind.kind);
        if (!debugging::is_debug_kind(k) || !enabled_crd(opts, k)) continue;
        crs_.emplace_back(k, std::make_unique<kwok_resource_watch>(
            client, sink, kind, "Invalid" + k,
            kwok_resource_watch::handlers{
                [this, k](const boost::json::object& o) {
                    auto err = catalog_.upsert_resource(o);
                    if (!err) GHOST_LOG_INFO(k, " ", kube::object_key(o), " in use");
                    return err;
                },
                [this](const boost::json::object& o) { catalog_.erase_resource(o); }}));
    }
    if (enabled_ && !require_client_cert_ && (catalog_.size() > 0 || !crs_.empty()))
        GHOST_LOG_WARN("debugging endpoints (containerLogs, exec, attach, portForward) serve any "
                       "client: no --client-ca-file (as kwok)");
}

std::vector<std::pair<std::string, asio::awaitable<void>>> debug_routes::watches() {
    std::vector<std::pair<std::string, asio::awaitable<void>>> out;
    for (auto& [kind, w] : crs_) out.emplace_back(kind + " custom resources", w->async_run());
    return out;
}

kwok_resource_watch* debug_routes::watch_of(std::string_view kind) {
    for (auto& [k, w] : crs_)
        if (k == kind) return w.get();
    return nullptr;
}

void debug_routes::install(engine::http_server& server, std::string server_header) {
    server_header_ = std::move(server_header);
    auto disabled = [](std::string_view, std::string_view) {
        return engine::http_reply{405, "text/plain; charset=utf-8", "Debug endpoints are disabled.\n"};
    };
    // kwok leaves these unimplemented even with the handlers on.
    for (const char* p : {"/run/", "/runningpods/", "/logs/"}) server.route_prefix(p, disabled);
    if (!enabled_) {
        for (const char* p : {"/exec/", "/attach/", "/portForward/", "/containerLogs/",
                              "/debug/pprof/"})
            server.route_prefix(p, disabled);
        return;
    }
    server.route_stream("/containerLogs/", [this](engine::request_head h,
                                                  std::unique_ptr<engine::byte_stream> s,
                                                  std::string already) {
        return serve_logs(std::move(h), std::move(s), std::move(already));
    });
    for (const char* p : {"/exec/", "/attach/", "/portForward/"}) {
        server.route_stream(p, [this](engine::request_head h, std::unique_ptr<engine::byte_stream> s,
                                      std::string already) {
            return serve_streaming(std::move(h), std::move(s), std::move(already));
        });
    }
}

asio::awaitable<void> debug_routes::reply(engine::byte_stream& stream, unsigned status,
                                          std::string body) {
    engine::stream_reply_head head;
    head.status = status;
    head.server = server_header_;
    boost::system::error_code ec;
    co_await engine::write_whole_reply(stream, head, std::move(body), ec);
}

asio::awaitable<bool> debug_routes::authenticate(const engine::request_head& head,
                                                 engine::byte_stream& stream) {
    if (!require_client_cert_ || head.client_verified) co_return true;
    GHOST_LOG_DEBUG("refused ", head.target, ": no client certificate the client CA verifies");
    co_await reply(stream, 401, "Unauthorized\n");
    co_return false;
}

asio::awaitable<void> debug_routes::serve_logs(engine::request_head head,
                                               std::unique_ptr<engine::byte_stream> stream,
                                               std::string) {
    if (!co_await authenticate(head, *stream)) co_return;
    auto [path, query] = split_target(head.target);
    if (head.method != boost::beast::http::verb::get) {
        co_await reply(*stream, 405, "method not allowed\n");
        co_return;
    }
    auto target = debugging::parse_endpoint_path(debugging::endpoint::container_logs, path);
    if (!target) {
        co_await reply(*stream, 404, "404 page not found\n");
        co_return;
    }
    std::string error;
    auto opts = debugging::parse_log_query(query, std::chrono::system_clock::now(), error);
    if (!opts) {
        co_await reply(*stream, 400, error + "\n");
        co_return;
    }
    auto found = catalog_.find_logs(target->namespace_, target->pod, target->container);
    if (!found.entry) {
        co_await reply(*stream, 400, found.error + "\n");
        co_return;
    }
    // A copy: a custom resource changing while the reply streams replaces the entry.
    const std::string file_path =
        opts->previous ? found.entry->previous_logs_file : found.entry->logs_file;
    if (file_path.empty()) {
        // kubelet's words when there is no earlier instance of the container
        std::string what = opts->previous ? "previous terminated container" : "container";
        co_await reply(*stream, 400, what + " \"" + target->container + "\" in pod \"" +
                                         target->pod + "\" not found\n");
        co_return;
    }
    log_file file;
    if (auto err = file.open(file_path); !err.empty()) {
        GHOST_LOG_WARN("containerLogs ", target->namespace_, "/", target->pod, "/",
                       target->container, ": ", err);
        co_await reply(*stream, 400, err + "\n");
        co_return;
    }
    std::uint64_t offset = 0;
    if (opts->tail_lines) {  // the start of the last N lines: read once to count them
        std::string all;
        for (std::string part; !(part = file.read(all.size())).empty();) all += part;
        offset = debugging::tail_offset(all, *opts->tail_lines);
    }
    debugging::log_filter filter(*opts);
    engine::stream_reply_head rh;
    rh.server = server_header_;
    boost::system::error_code ec;
    co_await write_text(*stream, engine::format_reply_head(rh, true), ec);
    std::string pending;
    while (!ec && !filter.done()) {
        auto part = file.read(offset);
        if (part.empty()) break;
        offset += part.size();
        pending += part;
        auto out = filter_lines(pending, filter, false);
        if (!out.empty()) co_await write_text(*stream, engine::format_chunk(out), ec);
    }
    if (ec) co_return;
    if (opts->follow && !filter.done()) {
        using namespace asio::experimental::awaitable_operators;
        co_await (follow(*stream, file_path, offset, std::move(filter)) ||
                  until_client_leaves(*stream));
        stream->close();
        co_return;
    }
    auto out = filter_lines(pending, filter, true);  // an unfinished last line, as kwok
    if (!out.empty()) co_await write_text(*stream, engine::format_chunk(out), ec);
    co_await write_text(*stream, std::string(engine::last_chunk), ec);
}

asio::awaitable<void> debug_routes::follow(engine::byte_stream& stream, std::string path,
                                           std::uint64_t offset, debugging::log_filter filter) {
    // Lines appended to the file are sent as they come; the file is polled (no inotify: the
    // files are few and a poll costs one stat).
    log_file file;
    if (!file.open(path).empty()) co_return;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    std::string pending;
    boost::system::error_code ec;
    while (!filter.done()) {
        auto part = file.read(offset);
        if (part.empty()) {
            if (file.replaced(offset)) {
                offset = 0;
                pending.clear();
                continue;
            }
            timer.expires_after(poll_);
            auto [wec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
            if (wec) co_return;  // cancelled: the client left
            continue;
        }
        offset += part.size();
        pending += part;
        auto out = filter_lines(pending, filter, false);
        if (out.empty()) continue;
        co_await write_text(stream, engine::format_chunk(out), ec);
        if (ec) co_return;
    }
    co_await write_text(stream, std::string(engine::last_chunk), ec);  // the byte limit was hit
    stream.close();
}

asio::awaitable<void> debug_routes::serve_streaming(engine::request_head head,
                                                    std::unique_ptr<engine::byte_stream> stream,
                                                    std::string already_read) {
    if (!co_await authenticate(head, *stream)) co_return;
    auto [path, query] = split_target(head.target);
    using debugging::endpoint;
    endpoint which = path.starts_with("/exec/")     ? endpoint::exec
                     : path.starts_with("/attach/") ? endpoint::attach
                                                    : endpoint::port_forward;
    auto target = debugging::parse_endpoint_path(which, path);
    if (!target) {
        co_await reply(*stream, 404, "404 page not found\n");
        co_return;
    }
    // Entries are copied before the first suspension: a custom resource may change meanwhile.
    if (which == endpoint::exec) {
        auto found = catalog_.find_exec(target->namespace_, target->pod, target->container);
        if (!found.entry) {
            co_await reply(*stream, 400, found.error + "\n");
            co_return;
        }
        if (!found.entry->local) {
            co_await reply(*stream, 400, "not set local exec\n");
            co_return;
        }
        exec_target run;
        run.command = debugging::query_values(query, "command");
        if (run.command.empty()) {
            co_await reply(*stream, 400, "you must specify at least one command for the container\n");
            co_return;
        }
        run.work_dir = found.entry->work_dir;
        for (const auto& e : found.entry->envs) run.envs.emplace_back(e.name, e.value);
        if (found.entry->run_as_user) run.run_as_user = static_cast<std::uint32_t>(*found.entry->run_as_user);
        if (found.entry->run_as_group) run.run_as_group = static_cast<std::uint32_t>(*found.entry->run_as_group);
        GHOST_LOG_INFO("exec ", target->namespace_, "/", target->pod, "/", target->container, ": ",
                       run.command.front(), run.command.size() > 1 ? " ..." : "");
        co_await serve_exec(std::move(head), std::move(stream), std::move(already_read), std::move(run));
    } else if (which == endpoint::attach) {
        auto found = catalog_.find_attach(target->namespace_, target->pod, target->container);
        if (!found.entry) {
            co_await reply(*stream, 400, found.error + "\n");
            co_return;
        }
        std::string logs_file = found.entry->logs_file;
        co_await serve_attach(std::move(head), std::move(stream), std::move(already_read),
                              std::move(logs_file));
    } else {
        // Resolved per port when the client opens its streams, as kwok does.
        forward_lookup lookup = [this, ns = target->namespace_,
                                 pod = target->pod](std::uint16_t port) -> std::optional<forward_target> {
            auto found = catalog_.find_forward(ns, pod, port);
            if (!found.entry) {
                GHOST_LOG_WARN("port-forward ", ns, "/", pod, ": ", found.error);
                return std::nullopt;
            }
            forward_target t;
            t.command = found.entry->command;
            if (found.entry->target) {
                t.address = found.entry->target->address;
                t.port = found.entry->target->port;
            }
            return t;
        };
        co_await serve_port_forward(std::move(head), std::move(stream), std::move(already_read),
                                    std::move(lookup));
    }
}

}  // namespace ghost::ghostlet
