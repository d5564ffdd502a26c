#pragma once
// Child processes: fork + exec of an argv with extra environment, a working directory and
// stdout/stderr redirection (inherited, discarded, appended to a file, or captured through a
// pipe); waiting, signalling and terminating them. Blocking calls, for programs and tests
// (ghostctl's components, the scenario runner, integration tests), never for the io thread.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
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
/// Runs argv to completion capturing stdout+stderr (options.out is ignored). Throws as spawn().
run_output run_capture(spawn_options options);

}  // namespace ghost::engine
