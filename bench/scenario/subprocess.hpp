#pragma once
// Child processes of the runner: ghostctl commands (run to completion with a deadline) and the
// kwok controller (started in the background, stopped by pid). Output goes to log files.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>
#include <sys/types.h>

namespace ghost::bench {

// Runs argv (engine/subprocess.hpp), appending stdout+stderr to `log`. Returns the exit code,
// -1 if it could not start (the reason is appended to `log`), 124 when killed at the deadline
// (like timeout(1)).
int run_command(const std::vector<std::string>& argv, const std::filesystem::path& log,
                std::chrono::seconds timeout);

// Starts argv in its own process group with stdout+stderr to `log`. Throws on failure.
pid_t spawn_background(const std::vector<std::string>& argv, const std::filesystem::path& log);

// SIGTERM to the child (and its group), SIGKILL after `grace`; reaps it. No-op for pid <= 0.
void stop_child(pid_t pid, std::chrono::milliseconds grace = std::chrono::seconds(10));

// A TCP port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_port();

// Renders argv as a shell-ish line for logs and reports.
std::string join_command(const std::vector<std::string>& argv);

}  // namespace ghost::bench
