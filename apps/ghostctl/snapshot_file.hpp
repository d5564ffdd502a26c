#pragma once
// Snapshot files as kwokctl handles them: a path ending in .gz or .tgz is gzip (kwok's export
// compresses those; its readers decompress them when the gzip magic is there), anything else
// is plain YAML. Writes go to <path>.part, renamed once complete.

#include <zlib.h>

#include <fstream>
#include <string>
#include <string_view>

namespace ghost::ghostctl {

/// .gz / .tgz (kwok's file.Compress rule).
bool gzip_path(std::string_view path);

/// The whole file, decompressed when gzip_path and it starts with the gzip magic. Throws
/// snapshot_input_error ("<verb>: cannot read <path>: ...").
std::string read_snapshot_file(const std::string& path, const char* verb);

/// A snapshot being written: text goes to <path>.part (gzip-compressed for gzip_path);
/// commit() finishes it and renames it to `path`; destroyed uncommitted, the part is removed.
/// Throws ghostctl_error on write failures.
class snapshot_output {
public:
    explicit snapshot_output(std::string path);
    ~snapshot_output();
    snapshot_output(const snapshot_output&) = delete;
    snapshot_output& operator=(const snapshot_output&) = delete;

    void write(std::string_view text);
    /// Pushes what was written to the file (a recording may run for long, or be killed).
    void flush();
    void commit();

private:
    void deflate_into_file(int mode);

    std::string path_;
    std::string part_;
    std::ofstream file_;
    bool gzip_ = false;
    bool committed_ = false;
    z_stream z_{};
};

}  // namespace ghost::ghostctl
