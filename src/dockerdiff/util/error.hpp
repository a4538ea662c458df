#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

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

// `text` as one printable line, however hostile the names and values it quotes from an archive:
// control characters (a newline, an escape sequence for the terminal) are written as \n, \t, \xNN
// and backslashes as \\, so that an error stays one line that a terminal shows as it is.
inline std::string printable_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace dockerdiff
