#pragma once
// Child processes: fork + exec of an argv with extra environment, a working directory and
// stdout/stderr redirection (inherited, discarded, appended to a file, or captured through a
// pipe); waiting, signalling and terminating them. Blocking calls, for programs and tests
// (ghostctl's components, the scenario runner, integration tests), never for the io thread.
// spawn_stdio() is the interactive variant (exec and port-forward commands): pipes or a pty for
// the child's stdio, PATH search, a user and group, errors as values; only its fork/exec is
// blocking (short), the fds it returns are for Asio.

#include <sys/types.h>

#include <cstdint>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace ghost::engine {

struct spawn_options {
    std::vector<std::string> argv;  ///< argv[0] is the program's path (no PATH search)
    std::vector<std::pair<std::string, std::string>> env;  ///< set on top of ours
    std::filesystem::path cwd;      ///< empty: ours

    /// Where stdout and stderr (both) go. stdin is always /dev/null.
    enum class output { inherit, discard, append_to_file, capture };
    output out = output::inherit;
    std::filesystem::path output_file;  ///< append_to_file (created 0644)

    enum class grouping { none, own_group, own_session };
    grouping group = grouping::none;  ///< own_session: outlives our session (daemons)
    bool die_with_parent = false;     ///< SIGTERM when we exit (PR_SET_PDEATHSIG)
    bool close_other_fds = false;     ///< close fds above 2 (a daemon must not hold our pipes)
};

struct child_process {
    pid_t pid = -1;
    int output_fd = -1;  ///< output::capture: the read end (read_all closes it)
};

/// Starts the child with signal mask and SIGPIPE reset. Throws std::runtime_error
/// "cannot start <argv[0]>: exec: No such file or directory" (also for the log file or cwd)
/// when fork or exec fails: the child reports through a close-on-exec pipe, so a missing
/// binary is an error here, not an early exit.
child_process spawn(const spawn_options& options);

/// Reads fd to end of file, then closes it.
std::string read_all(int fd);

/// The wait status when the child has exited (it is reaped), else nullopt. Our children only.
std::optional<int> try_wait(pid_t pid);
/// Blocks until the child exits; its wait status (-1 when it is not our child).
int wait(pid_t pid);
/// As wait(), giving up after `timeout` (polls every 20 ms).
std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout);

/// The exit code, or 128 + signal number when killed (as a shell reports it).
int exit_code(int wait_status);
/// "exit status 1" / "killed by signal 9 (Killed)".
std::string describe_wait_status(int wait_status);

/// Sends sig to pid, and to its process group as well when it leads one.
void signal_process(pid_t pid, int sig);
/// SIGTERM (group included), SIGKILL after `grace`, then reaps. Our children only; returns the
/// wait status (-1 when it was not our child or already reaped).
int terminate(pid_t pid, std::chrono::milliseconds grace);

struct run_output {
    int exit_code = -1;
    std::string output;  ///< stdout + stderr
};
struct stdio_options {
    std::vector<std::string> argv;  ///< argv[0] without a '/' is searched in $PATH (Go's LookPath)
    std::vector<std::pair<std::string, std::string>> env;  ///< set on top of ours
    std::filesystem::path cwd;                              ///< empty: ours
    std::optional<std::uint32_t> uid, gid;  ///< setgid then setuid before exec (groups dropped)
    /// pty: one terminal for stdin/stdout/stderr (the child leads its own session on it);
    /// pipes: each wanted stream a pipe, the others /dev/null (the child leads a process group).
    bool pty = false;
    bool want_stdin = false, want_stdout = false, want_stderr = false;
    std::uint16_t columns = 0, rows = 0;  ///< pty: initial window size (0: leave it)
};

struct stdio_child {
    pid_t pid = -1;
    int stdin_fd = -1;   ///< pipes: write end (-1 when not wanted); pty: the master
    int stdout_fd = -1;  ///< pipes: read end; pty: -1 (read the master)
    int stderr_fd = -1;  ///< pipes: read end
    int pty_fd = -1;     ///< pty: the master (also in stdin_fd), for reads, writes and resizes
};

/// Starts the child (close-on-exec on our ends, other fds closed in the child, SIGKILL when we
/// die). A failure is its text: `exec: "nope": executable file not found in $PATH`,
/// `chdir /x: No such file or directory`, `setuid 4242: Operation not permitted`.
std::variant<stdio_child, std::string> spawn_stdio(const stdio_options& options);
/// Sets a pty's window size (TIOCSWINSZ; the child gets SIGWINCH).
void set_window_size(int pty_fd, std::uint16_t columns, std::uint16_t rows);
/// Closes the fds of a child that were not handed over (-1 skips).
void close_fds(stdio_child& child);

/// Runs argv to completion capturing stdout+stderr (options.out is ignored). Throws as spawn().
run_output run_capture(spawn_options options);

}  // namespace ghost::engine
