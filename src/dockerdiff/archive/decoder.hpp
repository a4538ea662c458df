#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dockerdiff/archive/compression.hpp"

namespace dockerdiff::archive {

// Where a decoder puts what it decodes: straight into memory the target gives (the chunks a
// DecodedStream hands on), so that no decoded byte is copied on the decoding thread.
class DecodeTarget {
 public:
  virtual ~DecodeTarget() = default;
  // Room for decoded bytes; never empty.
  virtual std::span<unsigned char> space() = 0;
  // The first `size` bytes of the last space() now hold decoded data.
  virtual void produced(std::size_t size) = 0;
};

// A target that hands what is decoded to a callback, through a buffer of its own.
class EmitTarget final : public DecodeTarget {
 public:
  using Emit = std::function<void(const void* data, std::size_t size)>;
  explicit EmitTarget(Emit emit);
  std::span<unsigned char> space() override { return buffer_; }
  void produced(std::size_t size) override {
    if (size > 0) emit_(buffer_.data(), size);
  }

 private:
  Emit emit_;
  std::vector<unsigned char> buffer_;
};

// A push decoder of one compressed stream: gzip (ISA-L), zstd (libzstd), xz (liblzma), bzip2
// (libbz2). Concatenated gzip members, zstd frames, xz streams and bzip2 streams are one stream, as
// their own tools read them. The one decompressor of the tool: whole archives and layer blobs alike.
class Decoder {
 public:
  virtual ~Decoder() = default;
  // Decodes `size` bytes into `target` (in pieces of any size), all of them before returning.
  // Corrupt data is an Error naming `what`.
  virtual void feed(const unsigned char* data, std::size_t size, DecodeTarget& target) = 0;
  // An Error when the input stopped inside a member, frame or stream (truncated).
  virtual void end() = 0;
};

// An Error for Compression::none.
std::unique_ptr<Decoder> make_decoder(Compression compression, std::string what);

}  // namespace dockerdiff::archive
