#pragma once

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

}  // namespace dockerdiff::engine
