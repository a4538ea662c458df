#include "dockerdiff/archive/atomic_output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dockerdiff/error.hpp"

namespace dockerdiff::archive {

AtomicOutputFile::AtomicOutputFile(const std::filesystem::path& destination) : destination_(destination) {
  const auto directory = destination.has_parent_path() ? destination.parent_path() : std::filesystem::path(".");
  std::string pattern = (directory / ("." + destination.filename().string() + ".tmp-XXXXXX")).string();
  fd_ = ::mkstemp(pattern.data());
  if (fd_ < 0) throw Error(destination.string() + ": cannot create: " + std::strerror(errno));
  temporary_ = pattern;
  // mkstemp makes the file private; an artifact gets the usual permissions.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd_, 0666 & ~mask);
}

AtomicOutputFile::~AtomicOutputFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temporary_.c_str());
}

void AtomicOutputFile::commit() {
  // No fsync: the rename guards against a half-written artifact if the process dies, which is the
  // promise; paying for durability against power loss is the caller's choice (sync), as with cp.
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw Error(destination_.string() + ": cannot write: " + std::strerror(errno));
  if (::rename(temporary_.c_str(), destination_.c_str()) != 0) {
    throw Error(destination_.string() + ": cannot rename into place: " + std::strerror(errno));
  }
  committed_ = true;
}

}  // namespace dockerdiff::archive
