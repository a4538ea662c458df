#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dockerdiff/archive/compression.hpp"

namespace dockerdiff::archive {

// Where an output archive's bytes go. Entry data can arrive as bytes or as a byte range of a regular
// file; the uncompressed file sink copies such ranges in the kernel (copy_file_range) without
// passing them through user space, which is what keeps slim close to `cp`.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void write(const void* data, std::size_t size) = 0;
  // Copies `length` bytes at `offset` of the regular file `fd`; `what` names it in errors.
  virtual void copy_range(int fd, std::uint64_t offset, std::uint64_t length, const std::string& what);
  // Flushes everything; no write may follow.
  virtual void finish() = 0;
  // Bytes handed to the destination so far (compressed bytes for a compressing sink).
  virtual std::uint64_t bytes_written() const = 0;
};

// Writes to a file descriptor (a file or a pipe) without compression; `name` is used in errors.
std::unique_ptr<ByteSink> make_fd_sink(int fd, std::string name);

// Compresses and writes to `fd`: gzip on all cores (archive/parallel_gzip_sink.hpp), zstd through
// libarchive on all cores. level 0 means the compressor's default.
std::unique_ptr<ByteSink> make_compressing_sink(int fd, std::string name, Compression compression, int level);

// Collects everything in memory (tests, and small generated documents).
class MemorySink final : public ByteSink {
 public:
  void write(const void* data, std::size_t size) override;
  void finish() override {}
  std::uint64_t bytes_written() const override { return bytes_.size(); }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

// Reads exactly `length` bytes at `offset` of `fd` in chunks of up to 1 MiB and hands each to `use`;
// `what` names the file in errors (a short file is a truncated archive).
void pread_chunks(int fd, std::uint64_t offset, std::uint64_t length, const std::string& what,
                  const std::function<void(const char* data, std::size_t size)>& use);
// pread_chunks into a sink.
void pread_copy(int fd, std::uint64_t offset, std::uint64_t length, const std::string& what, ByteSink& sink);

// write(2) until all of `data` is written (EINTR retried); Error "<name>: write failed: ..." otherwise.
void write_all(int fd, const void* data, std::size_t size, const std::string& name);

}  // namespace dockerdiff::archive
