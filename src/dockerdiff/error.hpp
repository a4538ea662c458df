#pragma once

#include <stdexcept>
#include <string>

namespace dockerdiff {

// The one error type of the tool. Its message is a single line that names the file and the problem;
// main() prints it and exits with exit_code() (1 for bad input, 2 for bad usage).
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, int exit_code = 1)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

// A command line that cannot be carried out as written.
inline Error usage_error(const std::string& message) { return Error(message, 2); }

}  // namespace dockerdiff
