#pragma once

#include <filesystem>
#include <string>

namespace dockerdiff::archive {

// A file that appears at its destination only when complete: data goes to a temporary file in the
// destination's directory, which commit() renames over the destination. Destroyed uncommitted (an
// error, an exception), it removes the temporary file and leaves the destination untouched.
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
};

}  // namespace dockerdiff::archive
