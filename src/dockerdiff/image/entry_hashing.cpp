#include "dockerdiff/image/entry_hashing.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <thread>

#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/archive/decompressing_sink.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/progress.hpp"

namespace dockerdiff::image {

namespace {

// Hashes what it is given: the bytes as stored (raw) and/or, through the one decoder, the bytes
// they decompress to (`decompress`: the compression the data's first bytes name; none hashes them
// as they are). Nothing is kept.
class HashSink final : public archive::ByteSink {
 public:
  HashSink(bool raw, std::optional<archive::Compression> decompress, std::uint64_t size, const std::string& what) : what_(what) {
    if (raw || decompress == archive::Compression::none) raw_ = std::make_unique<Sha256>();
    if (decompress && *decompress != archive::Compression::none) {
      plain_ = std::make_unique<archive::DecompressingSink>(nullptr, *decompress, size, std::nullopt, what);
    }
    plain_is_raw_ = decompress == archive::Compression::none;
  }

  void write(const void* data, std::size_t size) override {
    if (raw_) raw_->update(data, size);
    decompress([&] { plain_->write(data, size); });
    written_ += size;
    progress::advance(size);
  }
  void finish() override {
    decompress([&] { plain_->finish(); });
  }
  std::uint64_t bytes_written() const override { return written_; }

  // After finish(), once each. Data that does not decompress is an error of the outcome; its raw
  // digest still stands (a blob that no longer matches its name says more than the inflate error).
  void fill(HashOutcome& outcome, bool raw) {
    std::optional<std::string> raw_digest;
    if (raw_) raw_digest = raw_->digest();
    if (raw) outcome.raw_digest = raw_digest;
    if (plain_) outcome.plain_digest = plain_->digest();
    if (plain_is_raw_) outcome.plain_digest = raw_digest;
    outcome.error = decompress_error_;
  }

 private:
  template <typename Step>
  void decompress(Step&& step) {
    if (!plain_) return;
    try {
      step();
    } catch (const Error& error) {
      decompress_error_ = error.subject() == what_ ? error.problem() : error.what();
      plain_.reset();
    }
  }

  std::string what_;
  std::optional<std::string> decompress_error_;
  std::unique_ptr<Sha256> raw_;
  std::unique_ptr<archive::DecompressingSink> plain_;
  bool plain_is_raw_ = false;
  std::uint64_t written_ = 0;
};

// Whether the entry's data must be read: an input read once (compressed, a pipe) had every entry
// hashed as stored by the catalog pass.
bool needs_reading(const archive::TarEntry& entry, const HashRequest& request) {
  return request.decompressed || (request.raw && !entry.digest);
}

HashOutcome hash_one(archive::ArchiveInput& input, const HashRequest& request) {
  const auto& entry = input.entries()[request.entry];
  HashOutcome outcome;
  const bool hashed = entry.digest.has_value();
  if (hashed && request.raw) outcome.raw_digest = *entry.digest;
  if (!needs_reading(entry, request)) return outcome;
  std::optional<archive::Compression> decompress;
  if (request.decompressed) decompress = archive::detect_compression(entry.magic);
  HashSink sink(request.raw && !hashed, decompress, entry.size, input.name() + ": " + entry.path);
  input.copy_entry(request.entry, sink);
  sink.finish();
  sink.fill(outcome, request.raw && !hashed);
  return outcome;
}

}  // namespace

std::vector<HashOutcome> hash_entries(archive::ArchiveInput& input, const std::vector<HashRequest>& requests,
                                      unsigned workers) {
  std::vector<HashOutcome> outcomes(requests.size());
  std::uint64_t total = 0;
  for (const auto& request : requests) {
    const auto& entry = input.entries()[request.entry];
    if (needs_reading(entry, request)) total += entry.size;
  }
  const progress::Phase phase("verifying " + input.name(), total);
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
