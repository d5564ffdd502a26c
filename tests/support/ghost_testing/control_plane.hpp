#pragma once
// Where tools/get-control-plane.sh put the control plane (and the kwok-source link), looked up
// as ghostctl looks: $GHOST_BIN_DIR, else $GHOSTLET_CACHE/bin/current, else
// ~/.cache/ghostlet/bin/current.

#include <cstdlib>
#include <filesystem>

namespace ghost::testing {

inline std::filesystem::path control_plane_bin_dir() {
    if (const char* d = std::getenv("GHOST_BIN_DIR"); d && *d) return d;
    if (const char* c = std::getenv("GHOSTLET_CACHE"); c && *c)
        return std::filesystem::path(c) / "bin" / "current";
    const char* home = std::getenv("HOME");
    return std::filesystem::path(home ? home : "/root") / ".cache" / "ghostlet" / "bin" / "current";
}

/// kwok's own source tree at the pinned version (its stage sets and golden cases).
inline std::filesystem::path kwok_source_dir() { return control_plane_bin_dir() / "kwok-source"; }

}  // namespace ghost::testing
