#include "dockerdiff/archive/parallel_gzip_sink.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "dockerdiff/archive/block_deflater.hpp"
#include "dockerdiff/util/error.hpp"

namespace dockerdiff::archive {

namespace {

// pigz's block size: large enough that the sync flush between blocks costs nothing measurable.
constexpr std::size_t kBlockSize = std::size_t{128} << 10;
constexpr unsigned kMaxWorkers = 32;
constexpr int kDefaultLevel = 6;

using Bytes = std::vector<unsigned char>;

// One block on its way: its input (and the block before, for the dictionary), then its compressed
// bytes and CRC once a worker is done with it.
struct Block {
  std::shared_ptr<const Bytes> input;
  std::shared_ptr<const Bytes> previous;
  bool last = false;
  Bytes output;
  std::uint32_t crc = 0;
  std::exception_ptr error;
  bool done = false;  // guarded by the sink's mutex
};

std::span<const unsigned char> dictionary_of(const std::shared_ptr<const Bytes>& previous) {
  if (previous == nullptr) return {};
  const std::span<const unsigned char> all(*previous);
  return all.last(std::min(all.size(), kDeflateWindow));
}

void put_le32(unsigned char* out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<unsigned char>(value >> (8 * i));
}

class ParallelGzipSink final : public ByteSink {
 public:
  ParallelGzipSink(int fd, std::string name, int level, unsigned workers)
      : fd_(fd), name_(std::move(name)), level_(level == 0 ? kDefaultLevel : level) {
    if (workers == 0) workers = std::clamp(std::thread::hardware_concurrency(), 1U, kMaxWorkers);
    // pigz's number of buffers: enough slack that a worker the scheduler holds back does not
    // leave the others without blocks.
    window_ = std::size_t{2} * workers + 3;
    // Made here, so that a compressor that cannot start is an error of the constructor.
    std::vector<std::unique_ptr<BlockDeflater>> deflaters;
    for (unsigned i = 0; i < workers; ++i) deflaters.push_back(make_block_deflater(level_, name_));
    try {
      for (auto& deflater : deflaters) threads_.emplace_back([this, owned = std::move(deflater)] { work(*owned); });
    } catch (...) {
      stop();
      throw;
    }
    current_ = fresh_block_input();
  }

  ~ParallelGzipSink() override { stop(); }
  ParallelGzipSink(const ParallelGzipSink&) = delete;
  ParallelGzipSink& operator=(const ParallelGzipSink&) = delete;

  void write(const void* data, std::size_t size) override {
    guarded([&] {
      const auto* bytes = static_cast<const unsigned char*>(data);
      while (size > 0) {
        // A full block goes once more input follows: the last block is empty only for empty input.
        if (current_->size() == kBlockSize) submit(false);
        const auto step = std::min(size, kBlockSize - current_->size());
        current_->insert(current_->end(), bytes, bytes + step);
        bytes += step;
        size -= step;
      }
    });
  }

  void finish() override {
    guarded([&] {
      submit(true);
      while (!in_order_.empty()) write_oldest();
      unsigned char trailer[8];
      put_le32(trailer, crc_);
      put_le32(trailer + 4, static_cast<std::uint32_t>(input_size_));  // ISIZE is the size modulo 2^32
      emit(trailer, sizeof trailer);
      broken_ = true;  // finished: nothing may follow
    });
    stop();
  }

  std::uint64_t bytes_written() const override { return written_; }

 private:
  static std::shared_ptr<Bytes> fresh_block_input() {
    auto input = std::make_shared<Bytes>();
    input->reserve(kBlockSize);
    return input;
  }

  // Runs a step of write or finish; after a failure the sink refuses everything.
  template <typename Step>
  void guarded(Step step) {
    if (broken_) throw Error(name_, "write after a failed or finished write");
    try {
      step();
    } catch (...) {
      broken_ = true;
      throw;
    }
  }

  void submit(bool last) {
    auto block = std::make_shared<Block>();
    block->input = current_;
    block->previous = std::move(previous_);
    block->last = last;
    previous_ = std::move(current_);
    current_ = last ? nullptr : fresh_block_input();
    while (in_order_.size() >= window_) write_oldest();
    {
      const std::lock_guard lock(mutex_);
      queue_.push_back(block);
    }
    work_ready_.notify_one();
    in_order_.push_back(std::move(block));
  }

  // Waits for the oldest block in flight and writes it: the output is in input order.
  void write_oldest() {
    const auto block = std::move(in_order_.front());
    in_order_.pop_front();
    {
      std::unique_lock lock(mutex_);
      block_done_.wait(lock, [&] { return block->done; });
    }
    if (block->error) std::rethrow_exception(block->error);
    emit(block->output.data(), block->output.size());
    crc_ = crc32_joined(crc_, block->crc, block->input->size());
    input_size_ += block->input->size();
  }

  void emit(const unsigned char* data, std::size_t size) {
    if (!header_written_) {
      // No name and no timestamp: the same input gives the same bytes. XFL says "fastest" or
      // "best" as gzip does; OS 3 is Unix.
      const unsigned char xfl = level_ == 1 ? 4 : level_ == 9 ? 2 : 0;
      const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3};
      write_all(fd_, header, sizeof header, name_);
      written_ += sizeof header;
      header_written_ = true;
    }
    write_all(fd_, data, size, name_);
    written_ += size;
  }

  void work(BlockDeflater& deflater) {
    for (;;) {
      std::shared_ptr<Block> block;
      {
        std::unique_lock lock(mutex_);
        work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        block = std::move(queue_.front());
        queue_.pop_front();
      }
      try {
        deflater.compress(dictionary_of(block->previous), *block->input, block->last, block->output);
        block->crc = crc32_of(*block->input);
      } catch (...) {
        block->error = std::current_exception();
      }
      {
        const std::lock_guard lock(mutex_);
        block->done = true;
      }
      block_done_.notify_all();
    }
  }

  // Stops and joins the workers; blocks not compressed yet are dropped.
  void stop() noexcept {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    work_ready_.notify_all();
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

  int fd_;
  std::string name_;
  int level_;
  std::size_t window_ = 0;
  std::vector<std::thread> threads_;

  // The caller's side.
  std::shared_ptr<Bytes> current_;
  std::shared_ptr<const Bytes> previous_;
  std::deque<std::shared_ptr<Block>> in_order_;  // in flight, oldest first
  std::uint32_t crc_ = 0;
  std::uint64_t input_size_ = 0;
  std::uint64_t written_ = 0;
  bool header_written_ = false;
  bool broken_ = false;

  // Shared with the workers.
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable block_done_;
  std::deque<std::shared_ptr<Block>> queue_;  // not started yet
  bool stopping_ = false;
};

}  // namespace

std::unique_ptr<ByteSink> make_parallel_gzip_sink(int fd, std::string name, int level, unsigned workers) {
  return std::make_unique<ParallelGzipSink>(fd, std::move(name), level, workers);
}

}  // namespace dockerdiff::archive
