#include "dockerdiff/image/entry_hashing.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <exception>
#include <memory>
#include <thread>

#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/archive/decompression_limit.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/libarchive.hpp"
#include "dockerdiff/util/posix.hpp"

namespace dockerdiff::image {

namespace {

constexpr std::size_t kChunk = std::size_t{1} << 20;

// State of libarchive's read callback: the compressed byte range, read with pread and hashed as read.
struct RangeReader {
  int fd = -1;
  std::uint64_t offset = 0;
  std::uint64_t remaining = 0;
  std::vector<char>* buffer = nullptr;
  Sha256* raw = nullptr;
  std::string error;
};

la_ssize_t read_range(struct archive* reader, void* data, const void** block) {
  auto& state = *static_cast<RangeReader*>(data);
  if (state.remaining == 0) return 0;
  const auto step = static_cast<std::size_t>(std::min<std::uint64_t>(state.remaining, state.buffer->size()));
  while (true) {
    const auto n = ::pread(state.fd, state.buffer->data(), step, static_cast<off_t>(state.offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      state.error = n < 0 ? "read failed: " + errno_text() : "unexpected end of file (truncated archive)";
      archive_set_error(reader, EIO, "%s", state.error.c_str());
      return -1;
    }
    if (state.raw != nullptr) state.raw->update(state.buffer->data(), static_cast<std::size_t>(n));
    state.offset += static_cast<std::uint64_t>(n);
    state.remaining -= static_cast<std::uint64_t>(n);
    *block = state.buffer->data();
    return n;
  }
}

// Hashes what it is given: the bytes as stored (raw) and/or, for a compressed blob handed over as a
// file range, the decompressed bytes. Ranges are read with pread in 1 MiB chunks; nothing is kept.
class HashSink final : public archive::ByteSink {
 public:
  HashSink(bool raw, bool decompress) : decompress_(decompress) {
    if (raw) raw_ = std::make_unique<Sha256>();
    if (decompress) plain_ = std::make_unique<Sha256>();
  }

  void write(const void* data, std::size_t size) override {
    if (decompress_) throw Error("", "internal: a decompressing hash needs a file range");
    if (raw_) raw_->update(data, size);
    written_ += size;
  }

  void copy_range(int fd, std::uint64_t offset, std::uint64_t length, const std::string& what) override {
    if (buffer_.size() < kChunk) buffer_.resize(kChunk);
    if (!decompress_) {
      archive::pread_chunks(fd, offset, length, what, [&](const char* data, std::size_t size) {
        if (raw_) raw_->update(data, size);
      });
      written_ += length;
      return;
    }
    RangeReader state{fd, offset, length, &buffer_, raw_.get(), {}};
    const ArchiveReader reader(archive_read_new());
    if (reader == nullptr) throw Error(what, "cannot create a libarchive reader");
    archive_read_support_filter_all(reader.get());
    archive_read_support_format_raw(reader.get());
    const auto fail = [&](const std::string& doing) -> Error {
      const char* text = archive_error_string(reader.get());
      return Error(what, doing + (text != nullptr ? std::string(": ") + text : std::string()));
    };
    if (archive_read_open(reader.get(), &state, nullptr, read_range, nullptr) != ARCHIVE_OK) throw fail("cannot decompress");
    archive_entry* entry = nullptr;
    const int status = archive_read_next_header(reader.get(), &entry);
    std::uint64_t plain_bytes = 0;
    if (status != ARCHIVE_EOF) {
      if (status != ARCHIVE_OK && status != ARCHIVE_WARN) throw fail("cannot decompress");
      const auto read = read_data_blocks(reader.get(), [&](std::string_view block) {
        plain_bytes += block.size();
        archive::check_decompressed_size(plain_bytes, length, what);
        plain_->update(block);
        return true;
      });
      if (read == DataRead::failed) throw fail("corrupt compressed data");
    }
    // Whatever follows the compressed stream is still part of the blob.
    if (raw_ && state.remaining > 0) {
      archive::pread_chunks(fd, state.offset, state.remaining, what,
                            [&](const char* data, std::size_t size) { raw_->update(data, size); });
    }
    written_ += length;
  }

  void finish() override {}
  std::uint64_t bytes_written() const override { return written_; }

  std::optional<std::string> raw_digest() { return raw_ ? std::optional(raw_->digest()) : std::nullopt; }
  std::optional<std::string> plain_digest() { return plain_ ? std::optional(plain_->digest()) : std::nullopt; }

 private:
  bool decompress_;
  std::unique_ptr<Sha256> raw_;
  std::unique_ptr<Sha256> plain_;
  std::vector<char> buffer_;
  std::uint64_t written_ = 0;
};

HashOutcome hash_one(archive::ArchiveInput& input, const HashRequest& request) {
  const auto& entry = input.entries()[request.entry];
  HashOutcome outcome;
  if (input.compression() != archive::Compression::none) {
    // The catalog pass already hashed every entry of a compressed archive.
    if (request.raw) outcome.raw_digest = entry.digest ? *entry.digest : sha256_digest("");
    if (!request.decompressed) return outcome;
    // Decompressing needs a file range: spool the blob to a temporary file first.
    const auto spooled = unnamed_temp_file();
    auto spool = archive::make_fd_sink(spooled.get(), "temporary copy of " + entry.path);
    input.copy_entry(request.entry, *spool);
    spool->finish();
    HashSink sink(false, true);
    sink.copy_range(spooled.get(), 0, entry.size, input.name() + ": " + entry.path);
    outcome.plain_digest = sink.plain_digest();
    return outcome;
  }
  HashSink sink(request.raw, request.decompressed);
  input.copy_entry(request.entry, sink);
  outcome.raw_digest = sink.raw_digest();
  outcome.plain_digest = sink.plain_digest();
  return outcome;
}

}  // namespace

std::vector<HashOutcome> hash_entries(archive::ArchiveInput& input, const std::vector<HashRequest>& requests,
                                      unsigned workers) {
  std::vector<HashOutcome> outcomes(requests.size());
  const auto run = [&](std::size_t i) {
    const auto& request = requests[i];
    try {
      outcomes[i] = hash_one(input, request);
    } catch (const Error& error) {
      // An error about this very entry ("<archive>: <path>") is reported without repeating both.
      const bool about_entry = error.subject() == input.name() + ": " + input.entries()[request.entry].path;
      outcomes[i].error = about_entry ? error.problem() : error.what();
    } catch (const std::exception& error) {
      outcomes[i].error = error.what();
    }
  };
  std::vector<std::size_t> order(requests.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (input.compression() != archive::Compression::none) {
    for (const auto i : order) run(i);
    return outcomes;
  }
  // Largest first, so that the workers finish together.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return input.entries()[requests[a].entry].size > input.entries()[requests[b].entry].size;
  });
  workers = static_cast<unsigned>(std::min<std::size_t>(workers, order.size()));
  if (workers <= 1) {
    for (const auto i : order) run(i);
    return outcomes;
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (unsigned w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (std::size_t i = next++; i < order.size(); i = next++) run(order[i]);
    });
  }
  for (auto& thread : threads) thread.join();
  return outcomes;
}

}  // namespace dockerdiff::image
