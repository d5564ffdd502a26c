#pragma once
// kubelet's /containerLogs as data, sans-io: the query (PodLogOptions as kubelet's URL
// conversion reads them) and the filter a log file's lines go through (what the CRI log reader
// kwok uses does): the format chosen by the first line, CRI (`<RFC3339Nano> stdout|stderr P|F
// text`), Docker JSON (`{"log":..,"stream":..,"time":..}`) or, unlike kwok, plain text (each
// line as is: no timestamp to print or to compare with since); sinceSeconds/sinceTime, timestamps, tailLines and limitBytes.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ghost::debugging {

struct log_options {
    bool follow = false;
    bool previous = false;
    bool timestamps = false;
    std::optional<std::int64_t> tail_lines;
    std::optional<std::int64_t> limit_bytes;
    std::optional<std::chrono::system_clock::time_point> since;  ///< the later of the two
};

/// The query without '?', percent-encoded as sent. Bools as Kubernetes' conversion reads them
/// (absent, "0" or "false" = false; anything else, "" included, = true), integers as Go's
/// ParseInt, sinceTime as RFC 3339; `tail` is the old name of tailLines ("all" = every line).
/// nullopt with `error` naming the parameter when one is malformed.
std::optional<log_options> parse_log_query(std::string_view query,
                                           std::chrono::system_clock::time_point now,
                                           std::string& error);

/// The byte offset where the last `lines` lines of `text` start (0 when it has fewer; the end
/// for 0 lines; a final line without '\n' counts).
std::size_t tail_offset(std::string_view text, std::int64_t lines);

enum class log_format { unknown, cri, docker_json, plain };

class log_filter {
public:
    explicit log_filter(log_options options);

    /// One line of the file ('\n' included unless it is an unfinished last line). Appends
    /// what the client gets to `out`; false once nothing more is to be written (the byte
    /// limit, or tailLines lines without follow). A line that does not parse in the chosen
    /// format is skipped, as kwok's reader does.
    bool feed(std::string_view line, std::string& out);
    bool done() const noexcept { return done_; }
    log_format format() const noexcept { return format_; }

private:
    log_options options_;
    log_format format_ = log_format::unknown;
    std::int64_t remain_;
    std::optional<std::int64_t> lines_left_;
    bool new_line_ = true;  ///< the previous CRI entry ended a line (timestamps go there)
    bool done_ = false;
};

}  // namespace ghost::debugging
