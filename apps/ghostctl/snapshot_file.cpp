#include "apps/ghostctl/snapshot_file.hpp"

#include "apps/ghostctl/cluster.hpp"
#include "apps/ghostctl/snapshot.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace ghost::ghostctl {

namespace fs = std::filesystem;

bool gzip_path(std::string_view path) {
    return path.ends_with(".gz") || path.ends_with(".tgz");
}

std::string read_snapshot_file(const std::string& path, const char* verb) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    if (!in) {
        throw snapshot_input_error(std::string(verb) + ": cannot read " + path + ": " +
                                   std::strerror(errno));
    }
    std::string raw = buf.str();
    if (!gzip_path(path) || raw.size() < 2 || static_cast<unsigned char>(raw[0]) != 0x1f ||
        static_cast<unsigned char>(raw[1]) != 0x8b)
        return raw;
    z_stream z{};
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        throw snapshot_input_error(std::string(verb) + ": " + path + ": cannot start gunzip");
    z.next_in = reinterpret_cast<Bytef*>(raw.data());
    z.avail_in = static_cast<uInt>(raw.size());
    std::string out;
    char chunk[64 * 1024];
    int rc = Z_OK;
    while (rc == Z_OK) {
        z.next_out = reinterpret_cast<Bytef*>(chunk);
        z.avail_out = sizeof chunk;
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(chunk, sizeof chunk - z.avail_out);
        // Concatenated gzip members (gzip's own rule) go on after the end of one.
        if (rc == Z_STREAM_END && z.avail_in > 0) rc = inflateReset(&z);
        if (rc == Z_BUF_ERROR && z.avail_in == 0) break;
    }
    std::string msg = z.msg != nullptr ? z.msg : "truncated data";
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
        throw snapshot_input_error(std::string(verb) + ": " + path + ": corrupt gzip: " + msg);
    }
    return out;
}

snapshot_output::snapshot_output(std::string path)
    : path_(std::move(path)), part_(path_ + ".part"), gzip_(gzip_path(path_)) {
    file_.open(part_, std::ios::binary | std::ios::trunc);
    if (!file_) throw ghostctl_error("cannot write " + part_ + ": " + std::strerror(errno));
    if (gzip_ && deflateInit2(&z_, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                              Z_DEFAULT_STRATEGY) != Z_OK)
        throw ghostctl_error("cannot start gzip for " + part_);
}

snapshot_output::~snapshot_output() {
    if (gzip_) deflateEnd(&z_);
    if (!committed_) {
        file_.close();
        std::error_code ec;
        fs::remove(part_, ec);
    }
}

void snapshot_output::deflate_into_file(int mode) {
    char chunk[64 * 1024];
    do {
        z_.next_out = reinterpret_cast<Bytef*>(chunk);
        z_.avail_out = sizeof chunk;
        deflate(&z_, mode);
        file_.write(chunk, static_cast<std::streamsize>(sizeof chunk - z_.avail_out));
    } while (z_.avail_out == 0);
}

void snapshot_output::write(std::string_view text) {
    if (!gzip_) {
        file_.write(text.data(), static_cast<std::streamsize>(text.size()));
    } else {
        z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
        z_.avail_in = static_cast<uInt>(text.size());
        deflate_into_file(Z_NO_FLUSH);
    }
    if (!file_) throw ghostctl_error("writing " + part_ + " failed: " + std::strerror(errno));
}

void snapshot_output::flush() {
    if (gzip_) {
        z_.avail_in = 0;
        deflate_into_file(Z_SYNC_FLUSH);
    }
    file_.flush();
    if (!file_) throw ghostctl_error("writing " + part_ + " failed: " + std::strerror(errno));
}

void snapshot_output::commit() {
    if (gzip_) {
        z_.avail_in = 0;
        deflate_into_file(Z_FINISH);
    }
    file_.close();
    if (!file_) throw ghostctl_error("writing " + part_ + " failed");
    fs::rename(part_, path_);
    committed_ = true;
}

}  // namespace ghost::ghostctl
