#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace dockerdiff {

// How the process ends when an Error reaches main().
enum class ExitStatus { bad_input = 1, bad_usage = 2 };

// The one error type of the tool: what it concerns (a file, an archive path inside a file, an option,
// a command; may be empty) and what is wrong with it. main() prints "dockerdiff: <subject>: <problem>"
// as one line and exits with status().
class Error : public std::exception {
 public:
  Error(std::string subject, std::string problem, ExitStatus status = ExitStatus::bad_input)
      : subject_(std::move(subject)), problem_(std::move(problem)), status_(status),
        message_(subject_.empty() ? problem_ : subject_ + ": " + problem_) {}

  const std::string& subject() const noexcept { return subject_; }
  const std::string& problem() const noexcept { return problem_; }
  ExitStatus status() const noexcept { return status_; }
  // "<subject>: <problem>", or the problem alone.
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string subject_;
  std::string problem_;
  ExitStatus status_;
  std::string message_;
};

// A command line that cannot be carried out as written.
inline Error usage_error(std::string subject, std::string problem) {
  return Error(std::move(subject), std::move(problem), ExitStatus::bad_usage);
}

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
