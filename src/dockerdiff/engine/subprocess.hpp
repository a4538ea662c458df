#pragma once

#include <functional>
#include <string>
#include <vector>

namespace dockerdiff::engine {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a program found on PATH with these arguments (no shell), capturing stdout and stderr.
// Throws Error when the program cannot be started at all.
CommandResult run_command(const std::vector<std::string>& argv);

// Runs a program found on PATH whose stdin is a pipe that `feed` writes into (the write end is
// closed when `feed` returns); its stdout and stderr are this process's. Returns its exit status.
// When `feed` throws Error and the program has already failed (it closed the pipe), returns the
// program's status; otherwise stops the program and rethrows.
int run_feeding_stdin(const std::vector<std::string>& argv, const std::function<void(int fd)>& feed);

// Runs a program found on PATH whose stdout is a pipe that `read` reads from (stdin is /dev/null;
// stderr is kept and returned in `err`, `out` stays empty). When `read` throws Error and the program
// failed, returns the program's status (its message tells what went wrong, the cut stream is only a
// consequence); otherwise rethrows. A reader that stops early closes the pipe: the program ends.
CommandResult run_reading_stdout(const std::vector<std::string>& argv, const std::function<void(int fd)>& read);

}  // namespace dockerdiff::engine
