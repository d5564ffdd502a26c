#include "kube/remotecommand.hpp"

#include "kube/stream_upgrade.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <limits>

namespace ghost::kube::remotecommand {
namespace {

bool flag(std::string_view target, std::string_view key) {
    auto values = query_values(target, key);
    return !values.empty() && values.front() == "1";  // FormValue: the first one
}

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

}  // namespace

std::variant<stream_options, std::string> parse_stream_options(std::string_view target) {
    stream_options o;
    o.tty = flag(target, "tty");
    o.stdin_ = flag(target, "input");
    o.stdout_ = flag(target, "output");
    o.stderr_ = flag(target, "error") && !o.tty;
    if (!o.stdin_ && !o.stdout_ && !o.stderr_)
        return std::string("you must specify at least 1 of stdin, stdout, stderr");
    return o;
}

stream_set::stream_set(stream_options options, std::string_view protocol)
    : options_(options), json_status_(protocol == protocol_v4) {
    expected_ = 1 + options.stdin_ + options.stdout_ + options.stderr_;
    const bool resizing = protocol == protocol_v4 || protocol == protocol_v3;
    if (options.tty && resizing) ++expected_;
}

std::optional<stream_kind> stream_set::add(std::uint32_t id,
                                           const engine::spdy::header_block& headers) {
    auto type = engine::spdy::header_value(headers, "streamtype");
    std::optional<stream_kind> kind;
    if (type == "error") kind = stream_kind::error;
    else if (type == "stdin") kind = stream_kind::stdin_;
    else if (type == "stdout") kind = stream_kind::stdout_;
    else if (type == "stderr") kind = stream_kind::stderr_;
    else if (type == "resize") kind = stream_kind::resize;
    if (!kind) return std::nullopt;
    auto& slot = ids_[static_cast<std::size_t>(*kind)];
    if (slot) return std::nullopt;
    slot = id;
    ++received_;
    return kind;
}

std::optional<std::uint32_t> stream_set::id_of(stream_kind kind) const {
    return ids_[static_cast<std::size_t>(kind)];
}

std::optional<stream_kind> stream_set::kind_of(std::uint32_t id) const {
    for (std::size_t i = 0; i < ids_.size(); ++i)
        if (ids_[i] == id) return static_cast<stream_kind>(i);
    return std::nullopt;
}

void resize_decoder::feed(std::string_view bytes, std::vector<terminal_size>& out) {
    while (!failed_ && !bytes.empty()) {
        // Whitespace between messages is not a value: skip it rather than start a parse.
        if (!mid_message_ && std::isspace(static_cast<unsigned char>(bytes.front()))) {
            bytes.remove_prefix(1);
            continue;
        }
        boost::system::error_code ec;
        std::size_t used = parser_.write_some(bytes.data(), bytes.size(), ec);
        if (ec) {
            failed_ = true;
            return;
        }
        bytes.remove_prefix(used);
        mid_message_ = !parser_.done();
        if (mid_message_) return;  // the message continues in a later read
        boost::json::value v = parser_.release();
        parser_.reset();
        const auto* obj = v.if_object();
        if (obj == nullptr) {
            failed_ = true;
            return;
        }
        terminal_size size;
        for (const auto& [key, value] : *obj) {
            std::uint16_t* field = iequal(key, "width")    ? &size.width
                                   : iequal(key, "height") ? &size.height
                                                           : nullptr;
            if (field == nullptr) continue;
            auto n = value.to_number<std::int64_t>(ec);
            if (ec || n < 0 || n > std::numeric_limits<std::uint16_t>::max()) {
                failed_ = true;
                return;
            }
            *field = static_cast<std::uint16_t>(n);
        }
        out.push_back(size);
    }
}

std::string final_status(const stream_set& streams, const exec_outcome& outcome,
                         std::string_view action) {
    using kind = exec_outcome::kind;
    std::string message;
    if (outcome.what == kind::exit_code)
        message = "command terminated with non-zero exit code: exit status " +
                  std::to_string(outcome.exit_code);
    else if (outcome.what == kind::failure)
        message = "Internal error occurred: error " + std::string(action) + ": " + outcome.message;
    if (!streams.json_status()) return message;

    boost::json::object status;
    if (outcome.what == kind::success) {
        status["status"] = "Success";
    } else if (outcome.what == kind::exit_code) {
        status["status"] = "Failure";
        status["message"] = message;
        status["reason"] = "NonZeroExitCode";
        status["details"] = {{"causes", boost::json::array{boost::json::object{
                                            {"reason", "ExitCode"},
                                            {"message", std::to_string(outcome.exit_code)}}}}};
    } else {
        status["status"] = "Failure";
        status["message"] = message;
        status["reason"] = "InternalError";
        status["code"] = 500;
    }
    return boost::json::serialize(status);
}

}  // namespace ghost::kube::remotecommand
