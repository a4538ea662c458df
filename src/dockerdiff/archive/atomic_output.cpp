#include "dockerdiff/archive/atomic_output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/posix.hpp"

namespace dockerdiff::archive {

namespace fs = std::filesystem;

void check_output_destination(const fs::path& destination, bool parent_must_exist) {
  const auto name = destination.string();
  std::error_code error;
  const auto status = fs::status(destination, error);
  if (fs::exists(status)) {
    if (fs::is_directory(status)) throw Error(name, "cannot write: is a directory");
    if (!fs::is_regular_file(status)) {
      throw Error(name, "cannot write: not a regular file (a device, FIFO or socket); for stdout use -o -");
    }
  }
  if (!parent_must_exist) return;
  const auto directory = destination.has_parent_path() ? destination.parent_path() : fs::path(".");
  const auto parent = fs::status(directory, error);
  if (!fs::exists(parent)) throw Error(name, "cannot create: no such directory " + directory.string());
  if (!fs::is_directory(parent)) throw Error(name, "cannot create: " + directory.string() + " is not a directory");
}

AtomicOutputFile::AtomicOutputFile(const fs::path& destination) : destination_(destination) {
  check_output_destination(destination, false);
  const auto directory = destination.has_parent_path() ? destination.parent_path() : fs::path(".");
  std::string pattern = (directory / ("." + destination.filename().string() + ".tmp-XXXXXX")).string();
  {
    // Created and registered together: a signal finds it registered or not yet made.
    interrupt::Hold hold;
    fd_ = ::mkstemp(pattern.data());
    if (fd_ < 0) throw Error(destination.string(), "cannot create: " + errno_text());
    temporary_ = pattern;
    registration_ = interrupt::remove_on_signal(temporary_);
  }
  // mkstemp makes the file private; an artifact gets the usual permissions.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd_, 0666 & ~mask);
}

AtomicOutputFile::~AtomicOutputFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temporary_.c_str());
  registration_.release();
}

void AtomicOutputFile::commit() {
  // No fsync: the rename guards against a half-written artifact if the process dies, which is the
  // promise; paying for durability against power loss is the caller's choice (sync), as with cp.
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw Error(destination_.string(), "cannot write: " + errno_text());
  // A signal now waits until the file is in place (or the rename failed and the file is removed).
  interrupt::Hold hold;
  if (::rename(temporary_.c_str(), destination_.c_str()) != 0) {
    throw Error(destination_.string(), "cannot rename into place: " + errno_text());
  }
  committed_ = true;
  registration_.release();
}

}  // namespace dockerdiff::archive
