#pragma once

#include <string>
#include <utility>

namespace dockerdiff {

// strerror(errno): the text of the last failed system call, for an error message.
std::string errno_text();

// Owns a file descriptor: closed when destroyed, unless released.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) noexcept : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset() noexcept;

 private:
  int fd_;
};

// Where temporary files go: $TMPDIR, or /tmp.
std::string temp_directory();

// A temporary file with no name, open for reading and writing: O_TMPFILE where the file system has
// it, else a file removed the instant it is made (under interrupt::Hold, so that a signal's cleanup
// waits that instant out). Nothing is left behind however the process ends. Error
// "[<subject>: ]cannot create a temporary file in <dir>: ..." otherwise.
UniqueFd unnamed_temp_file(const std::string& subject = {});

}  // namespace dockerdiff
