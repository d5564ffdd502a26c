#pragma once
// Daemonized child processes: each component runs in its own session so it outlives ghostctl,
// with output to a log file and its pid in a pid file.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ghost::ghostctl {

struct spawn_spec {
    std::string binary;
    std::vector<std::string> args;  // without argv[0]
    std::filesystem::path log_file;
    std::filesystem::path pid_file;
    std::filesystem::path cwd;
    std::vector<std::pair<std::string, std::string>> env;  // on top of ours
};

// engine::spawn in its own session: stdin /dev/null, stdout/stderr appended to log_file, every
// other fd closed. Writes the pid file. Throws std::runtime_error when exec fails ("binary not
// found" is an error here, not a silent early exit). Wait for it with engine::try_wait and
// describe its end with engine::describe_wait_status.
pid_t spawn_daemon(const spawn_spec& spec);

// Running and not a zombie.
bool pid_alive(pid_t pid);

// NUL-separated /proc/<pid>/cmdline as a vector; empty when the process is gone.
std::vector<std::string> proc_cmdline(pid_t pid);

// The pid is alive and its argv[0] is `binary` (so a recycled pid is never killed).
bool pid_runs_binary(pid_t pid, const std::string& binary);

std::optional<pid_t> read_pid_file(const std::filesystem::path& file);

// SIGTERM (to the process group when the pid leads one), then SIGKILL after `grace`; waits until
// the pid is gone (zombies of our own children are reaped). Returns false when it would not die.
bool stop_process(pid_t pid, std::chrono::milliseconds grace = std::chrono::seconds(10));

// Pids (not ours) whose command line mentions `needle` anywhere: the last-resort sweep for
// processes of a cluster whose pid files were lost.
std::vector<pid_t> find_processes_mentioning(const std::string& needle);

// The last `n` lines of a file ("" when missing).
std::string tail_lines(const std::filesystem::path& file, std::size_t n);

}  // namespace ghost::ghostctl
