#pragma once
// --dry-run: the shell lines equivalent to what a command would do (kwokctl's dry run prints
// the same kind of lines: "cd DIR && BIN ARGS >LOG 2>&1 &", "echo $! >PIDFILE",
// "cat <<EOF >FILE", "kill $(cat PIDFILE)", "# comment" for steps with no one-line equivalent).
// Pure text so the printing is unit-testable; the binaries are printed with their full paths
// so a printed line runs as it is.

#include "apps/ghostctl/components.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::ghostctl {

// A word as a POSIX shell reads it back: unchanged when it is plain, else single-quoted.
std::string shell_quote(std::string_view word);

// "ENV=V ... argv0 argv1 ..." (each word quoted).
std::string shell_command(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& env = {});

// cat <<'EOF' >path ... EOF (a heredoc whose delimiter is not a line of the text).
std::string shell_write_file(const std::filesystem::path& path, std::string_view text);

// Starting a component as create/start does: in the cluster dir, output appended to its log,
// in the background, its pid into its pid file.
std::string shell_start_component(const component& c, const cluster_layout& L);

// Stopping a component by its pid file.
std::string shell_stop_component(const component& c, const cluster_layout& L);

}  // namespace ghost::ghostctl
