#pragma once

#include <filesystem>
#include <string>

#include "dockerdiff/util/interrupt.hpp"

namespace dockerdiff::archive {

// A file that appears at its destination only when complete: data goes to a temporary file in the
// destination's directory, which commit() renames over the destination. Destroyed uncommitted (an
// error, an exception), it removes the temporary file and leaves the destination untouched; a
// SIGINT, SIGTERM or SIGHUP removes it too (see interrupt.hpp). The destination itself is replaced,
// never written through: a symlink there is replaced by the file, not followed.
class AtomicOutputFile {
 public:
  explicit AtomicOutputFile(const std::filesystem::path& destination);
  ~AtomicOutputFile();
  AtomicOutputFile(const AtomicOutputFile&) = delete;
  AtomicOutputFile& operator=(const AtomicOutputFile&) = delete;

  int fd() const { return fd_; }
  const std::filesystem::path& destination() const { return destination_; }
  void commit();

 private:
  std::filesystem::path destination_;
  std::filesystem::path temporary_;
  int fd_ = -1;
  bool committed_ = false;
  interrupt::Registration registration_;
};

// Error (exit 1) when `destination` cannot become an output file: it exists and is a directory, a
// device, a FIFO or a socket (as root, renaming over /dev/null would replace it), or, when
// `parent_must_exist`, its directory is missing. Commands call it before they read anything.
void check_output_destination(const std::filesystem::path& destination, bool parent_must_exist = true);

}  // namespace dockerdiff::archive
