#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/archive/compression.hpp"
#include "dockerdiff/archive/decoder.hpp"
#include "dockerdiff/util/digest.hpp"

namespace dockerdiff::archive {

// A compressed stream (see decoder.hpp) pushed in, its decompressed bytes
// pushed on into `out` (nullptr: only counted and hashed, as a pre-pass measuring a layer does).
// Counting and hashing happen here so that whoever writes a layer this way can check it against
// its diff_id at the end. Corrupt or truncated input, and more decompressed bytes than `max_size`
// or than the decompression limit allows for `compressed_size` input bytes, are Errors naming `what`.
// finish() ends the compressed stream, not `out` (the bytes are one entry's data of a larger stream).
class DecompressingSink final : public ByteSink {
 public:
  DecompressingSink(ByteSink* out, Compression compression, std::uint64_t compressed_size,
                    std::optional<std::uint64_t> max_size, std::string what);
  ~DecompressingSink() override;
  DecompressingSink(const DecompressingSink&) = delete;
  DecompressingSink& operator=(const DecompressingSink&) = delete;

  void write(const void* data, std::size_t size) override;
  void finish() override;
  // Decompressed bytes so far.
  std::uint64_t bytes_written() const override { return decompressed_; }
  // "sha256:..." of every decompressed byte; after finish() only, once.
  std::string digest() { return hash_.digest(); }

  // An Error unless the stream decompressed to `size` bytes with `digest` (after finish()).
  void expect(std::uint64_t size, const std::string& digest);

 private:
  void emit(const void* data, std::size_t size);

  ByteSink* out_;
  std::uint64_t compressed_size_;
  std::optional<std::uint64_t> max_size_;
  std::string what_;
  EmitTarget target_;  // hands decoded bytes to emit()
  std::unique_ptr<Decoder> decoder_;
  Sha256 hash_;
  std::uint64_t decompressed_ = 0;
};

}  // namespace dockerdiff::archive
