#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "dockerdiff/archive/archive_input.hpp"
#include "dockerdiff/archive/compression.hpp"

namespace dockerdiff::archive {

// A byte range of a regular file mapped read-only; its pages are the page cache's, not this
// process's memory (a reference or target of a zstd patch, gigabytes long). The mapping outlives
// the descriptor it was made from.
class MappedFile {
 public:
  MappedFile() = default;
  // The whole of the regular file `fd` (an empty file maps to an empty span); `what` names it in errors.
  MappedFile(int fd, const std::string& what);
  // `length` bytes at `offset` of `fd`.
  MappedFile(int fd, std::uint64_t offset, std::uint64_t length, const std::string& what);
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const unsigned char> bytes() const { return {data_ + lead_, size_}; }

 private:
  void map(int fd, std::uint64_t offset, std::uint64_t length, const std::string& what);
  void unmap() noexcept;
  unsigned char* data_ = nullptr;  // the page-aligned start of the mapping
  std::size_t lead_ = 0;           // bytes before the range in its first page
  std::size_t size_ = 0;
};

// The data of entry `index` of `input`, mapped: in place where the input holds it as one byte range
// of a regular file (a plain tar, the spool of a compressed one, a layout directory's file), else
// through an unnamed temporary file. A compressed layer blob (`compression` not none) is mapped
// decompressed, at most `max_size` bytes of it. `what` names the entry in errors.
MappedFile map_entry_data(ArchiveInput& input, std::size_t index, Compression compression, std::uint64_t max_size,
                          const std::string& what);

}  // namespace dockerdiff::archive
