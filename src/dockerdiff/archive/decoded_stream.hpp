#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "dockerdiff/archive/compression.hpp"

namespace dockerdiff::archive {

// An input read front to back once, on a thread of its own: a file or a pipe (stdin, an engine's
// `save`), decompressed on the way when its first bytes say it is gzip, zstd, xz or bzip2. The
// plain bytes are handed over in chunks, so that decompressing (this thread) and whatever the reader
// does with them (the catalog pass: parse, hash, spool) use two cores. Memory: a few chunks.
class DecodedStream {
 public:
  // `stored_size`: the input's size where known (a file); it bounds what it may decompress to
  // (limits::decompression_limit), else the bytes read so far do.
  DecodedStream(int fd, std::string name, std::optional<std::uint64_t> stored_size);
  ~DecodedStream();  // stops the thread (a reader that gave up) and waits for it
  DecodedStream(const DecodedStream&) = delete;
  DecodedStream& operator=(const DecodedStream&) = delete;

  // The next plain bytes, valid until the next call; empty at the end. Rethrows the thread's Error
  // (unreadable input, corrupt or truncated data, a decompression bomb).
  std::string_view next();
  // Detected from the first bytes: known once next() has returned.
  Compression compression() const { return compression_; }
  // Input bytes read: the stored size of a stream read to its end.
  std::uint64_t bytes_read() const;

 private:
  // Bytes left uninitialized by resize(): a chunk is filled by read() or the decoder right after.
  template <typename T>
  struct UninitializedAllocator : std::allocator<T> {
    template <typename U>
    struct rebind {
      using other = UninitializedAllocator<U>;
    };
    template <typename U>
    void construct(U* at) noexcept {
      ::new (static_cast<void*>(at)) U;
    }
    template <typename U, typename... Args>
    void construct(U* at, Args&&... args) {
      ::new (static_cast<void*>(at)) U(std::forward<Args>(args)...);
    }
  };
  using Chunk = std::vector<char, UninitializedAllocator<char>>;

  void run();
  void produce();
  std::size_t read_some(char* data, std::size_t size);
  Chunk take_free();
  void hand_over(Chunk chunk);

  int fd_;
  std::string name_;
  std::optional<std::uint64_t> stored_size_;
  bool pipe_ = false;  // not a regular file: a pipe, a FIFO, a socket (the docker daemon's)
  bool fifo_ = false;  // a pipe or a FIFO, whose size this side sets
  // A pipe's file status flags before this stream made it non-blocking (restored when done).
  std::optional<int> blocking_flags_;
  Compression compression_ = Compression::none;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Chunk> filled_;
  std::vector<Chunk> free_;
  std::optional<Chunk> handed_;  // the chunk next() returned last
  bool ended_ = false;           // the thread handed over its last chunk
  bool stop_ = false;            // the reader is gone
  std::exception_ptr error_;
  std::uint64_t read_ = 0;
  std::thread thread_;
};

}  // namespace dockerdiff::archive
