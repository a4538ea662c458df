#include "dockerdiff/archive/decoded_stream.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>
#include <cstring>

#include "dockerdiff/archive/decoder.hpp"
#include "dockerdiff/archive/decompression_limit.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/posix.hpp"

namespace dockerdiff::archive {

namespace {

constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
constexpr std::size_t kChunks = 4;  // in flight between the two threads
constexpr std::size_t kMagicBytes = 8;
constexpr std::size_t kSmallPipeRead = std::size_t{128} << 10;
constexpr auto kPipeFillWait = std::chrono::microseconds(500);

// Thrown inside the thread when the reader has gone: not an error of the input.
struct Stopped {};

}  // namespace

DecodedStream::DecodedStream(int fd, std::string name, std::optional<std::uint64_t> stored_size)
    : fd_(fd), name_(std::move(name)), stored_size_(stored_size) {
  struct stat info {};
  pipe_ = ::fstat(fd_, &info) == 0 && !S_ISREG(info.st_mode);
  fifo_ = pipe_ && S_ISFIFO(info.st_mode);
  if (!pipe_) ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  if (pipe_) {
    // A pipe of a chunk's size: the writer (docker save) and this thread wake each other far less
    // often than with 64 KiB. Best effort: not a pipe, or over /proc/sys/fs/pipe-max-size.
    ::fcntl(fd_, F_SETPIPE_SZ, static_cast<int>(kChunkBytes));
    // Non-blocking reads, so that poll() is called only when the pipe is empty (see read_some).
    const int flags = ::fcntl(fd_, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK) == 0 && ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK) == 0) blocking_flags_ = flags;
  }
  for (std::size_t i = 0; i < kChunks; ++i) free_.emplace_back();
  // The thread inherits this thread's signal mask: interrupts stay with the interrupt thread.
  thread_ = std::thread([this] { run(); });
}

DecodedStream::~DecodedStream() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
  if (blocking_flags_) ::fcntl(fd_, F_SETFL, *blocking_flags_);
}

std::uint64_t DecodedStream::bytes_read() const {
  const std::lock_guard lock(mutex_);
  return read_;
}

std::string_view DecodedStream::next() {
  std::unique_lock lock(mutex_);
  if (handed_) {
    free_.push_back(std::move(*handed_));
    handed_.reset();
    changed_.notify_all();
  }
  changed_.wait(lock, [this] { return !filled_.empty() || ended_; });
  if (filled_.empty()) {
    if (error_) std::rethrow_exception(error_);
    return {};
  }
  handed_ = std::move(filled_.front());
  filled_.pop_front();
  changed_.notify_all();
  return {handed_->data(), handed_->size()};
}

void DecodedStream::run() {
  try {
    produce();
  } catch (const Stopped&) {
  } catch (...) {
    const std::lock_guard lock(mutex_);
    error_ = std::current_exception();
  }
  {
    const std::lock_guard lock(mutex_);
    ended_ = true;
  }
  changed_.notify_all();
}

DecodedStream::Chunk DecodedStream::take_free() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return !free_.empty() || stop_; });
  if (stop_) throw Stopped{};
  auto chunk = std::move(free_.back());
  free_.pop_back();
  chunk.reserve(kChunkBytes);
  chunk.clear();
  return chunk;
}

void DecodedStream::hand_over(Chunk chunk) {
  {
    const std::lock_guard lock(mutex_);
    filled_.push_back(std::move(chunk));
  }
  changed_.notify_all();
}

// Up to `size` bytes (fewer only at the end of the input). An empty pipe is polled with a timeout,
// so that a reader that gave up is noticed even while the writer is silent (a pipe that could not
// be made non-blocking is polled before every read).
std::size_t DecodedStream::read_some(char* data, std::size_t size) {
  std::size_t got = 0;
  bool wait = pipe_ && !blocking_flags_;
  while (got < size) {
    if (wait) {
      pollfd ready{fd_, POLLIN, 0};
      const int polled = ::poll(&ready, 1, 200);
      {
        const std::lock_guard lock(mutex_);
        if (stop_) throw Stopped{};
      }
      if (polled == 0 || (polled < 0 && errno == EINTR)) continue;
      wait = pipe_ && !blocking_flags_;
    }
    const auto n = ::read(fd_, data + got, size - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        wait = true;
        continue;
      }
      throw Error(name_, "read failed: " + errno_text());
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
    const std::lock_guard lock(mutex_);
    read_ += static_cast<std::uint64_t>(n);
    if (pipe_) {
      // A writer slower than this thread (docker save) leaves a little at a time: waiting a
      // moment lets it fill the pipe, so that neither side is woken for every 32 KiB it writes.
      // Not on a socket: what it holds is bounded by the writer's send buffer (about 200 KiB),
      // which the writer fills faster than the wait, and then it waits too.
      if (fifo_ && static_cast<std::size_t>(n) < kSmallPipeRead) std::this_thread::sleep_for(kPipeFillWait);
      break;  // hand over what a pipe has, rather than wait for a full chunk
    }
  }
  return got;
}

void DecodedStream::produce() {
  auto chunk = take_free();
  chunk.resize(kChunkBytes);
  std::size_t filled = 0;
  while (filled < kMagicBytes) {
    const auto n = read_some(chunk.data() + filled, kChunkBytes - filled);
    if (n == 0) break;
    filled += n;
  }
  chunk.resize(filled);
  const auto compression = detect_compression(std::string_view(chunk.data(), chunk.size()));
  {
    const std::lock_guard lock(mutex_);
    compression_ = compression;
  }

  if (compression == Compression::none) {
    while (!chunk.empty()) {
      auto next = take_free();
      hand_over(std::move(chunk));
      chunk = std::move(next);
      chunk.resize(kChunkBytes);
      filled = 0;
      while (filled < kChunkBytes) {
        const auto n = read_some(chunk.data() + filled, kChunkBytes - filled);
        if (n == 0) break;
        filled += n;
      }
      chunk.resize(filled);
    }
    return;
  }

  const auto decoder = make_decoder(compression, name_);
  // Decoded straight into the chunks handed on: the decoding thread copies nothing.
  class ChunkTarget final : public DecodeTarget {
   public:
    explicit ChunkTarget(DecodedStream& stream) : stream_(stream), out_(stream.take_free()) { out_.resize(kChunkBytes); }
    std::span<unsigned char> space() override {
      return {reinterpret_cast<unsigned char*>(out_.data()) + filled_, kChunkBytes - filled_};
    }
    void produced(std::size_t size) override {
      if (size == 0) return;
      filled_ += size;
      decoded_ += size;
      check_decompressed_size(decoded_, stream_.stored_size_ ? *stream_.stored_size_ : stream_.bytes_read(), stream_.name_);
      if (filled_ == kChunkBytes) {
        stream_.hand_over(std::move(out_));
        out_ = stream_.take_free();
        out_.resize(kChunkBytes);
        filled_ = 0;
      }
    }
    void finish() {
      out_.resize(filled_);
      if (!out_.empty()) stream_.hand_over(std::move(out_));
    }

   private:
    DecodedStream& stream_;
    Chunk out_;
    std::size_t filled_ = 0;
    std::uint64_t decoded_ = 0;
  };
  ChunkTarget target(*this);
  Chunk input = std::move(chunk);
  while (!input.empty()) {
    decoder->feed(reinterpret_cast<const unsigned char*>(input.data()), input.size(), target);
    input.resize(kChunkBytes);
    input.resize(read_some(input.data(), kChunkBytes));
  }
  decoder->end();
  target.finish();
}

}  // namespace dockerdiff::archive
