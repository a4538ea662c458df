#include "dockerdiff/util/posix.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/interrupt.hpp"

namespace dockerdiff {

std::string errno_text() { return std::strerror(errno); }

void UniqueFd::reset() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

std::string temp_directory() {
  const char* tmpdir = std::getenv("TMPDIR");
  return tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
}

UniqueFd unnamed_temp_file(const std::string& subject) {
  const auto dir = temp_directory();
  UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (fd.get() >= 0) return fd;
  interrupt::Hold hold;
  std::string pattern = dir + "/dockerdiff-tmp-XXXXXX";
  fd = UniqueFd(::mkstemp(pattern.data()));
  if (fd.get() < 0) {
    throw Error(subject, "cannot create a temporary file in " + dir + ": " + errno_text());
  }
  ::unlink(pattern.c_str());
  return fd;
}

}  // namespace dockerdiff
