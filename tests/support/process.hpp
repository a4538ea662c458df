#pragma once

// The one way the tests run a program (the real dockerdiff, a shell, unshare): fork + execve, no
// shell in between, with its arguments, working directory, environment additions and stdin given;
// its stdout and stderr captured (in unlinked regular files of the temporary directory, so that no
// file appears in any directory a test looks at, and a child's children that keep them open make
// no run hang); its exit status; and a timeout, so that a hang is a failure, not a stuck suite.
//
// run_program runs to the end. Process is for the tests that act on a run while it goes on
// (signals, readers that go away): start it, poll, signal, then wait for its result.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dockerdiff::testing {

// (Every member has an initializer: designated initializers may name only the ones they set.)
struct RunOptions {
  std::filesystem::path cwd{};                    // where it runs; empty: this process's directory
  std::vector<std::string> env{};                 // "NAME=value": added to the environment, or replacing
  std::filesystem::path stdin_path = "/dev/null";  // what stdin reads, unless stdin_bytes is set
  std::optional<std::string> stdin_bytes{};       // stdin reads exactly these bytes (a regular file's)
  int stdout_fd = -1;                             // stdout: -1 captured in RunResult::out, else this descriptor
  std::optional<std::uint64_t> file_size_limit{};  // RLIMIT_FSIZE of the run (writes past it fail with EFBIG)
  // Counted from the start: then the run (its whole process group) gets SIGTERM, 5 seconds later
  // SIGKILL, and its status is 124.
  int timeout_seconds = 60;
};

struct RunResult {
  int status = -1;  // exit status; 128 + N when killed by signal N; 124 when it timed out
  bool timed_out = false;
  std::string out;  // empty when RunOptions::stdout_fd was given
  std::string err;
};

// A started run, in a process group of its own. Destroying one that still runs kills its group.
class Process {
 public:
  Process(const std::filesystem::path& program, const std::vector<std::string>& args, const RunOptions& options = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  Process(Process&&) = delete;
  Process& operator=(Process&&) = delete;

  pid_t pid() const { return pid_; }

  // Polls `ready` every millisecond until it holds: true; false once the process has ended (and
  // `ready` still does not hold) or the timeout is reached.
  bool wait_until(const std::function<bool()>& ready);

  // Sends `signal_number` to the process (not its group).
  void signal(int signal_number) const;

  // Stops it (SIGSTOP) and waits until it is stopped: false if it ended first.
  bool stop();

  // Waits for the end (killing the group at the timeout); the status and what it wrote.
  RunResult wait();

 private:
  bool ended_without_reaping() const;
  void reap(int raw_status);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::chrono::steady_clock::time_point deadline_;
  std::optional<RunResult> result_;
};

// Runs PROGRAM ARGS to the end.
RunResult run_program(const std::filesystem::path& program, const std::vector<std::string>& args, const RunOptions& options = {});

// "PATH=DIR:<this process's PATH>", for RunOptions::env: programs in DIR come first.
std::string path_with(const std::filesystem::path& dir);

// An executable /bin/sh script at `path` that runs `body` (a stand-in for an engine's client).
void write_script(const std::filesystem::path& path, const std::string& body);

}  // namespace dockerdiff::testing
