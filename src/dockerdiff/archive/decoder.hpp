#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "dockerdiff/archive/compression.hpp"

namespace dockerdiff::archive {

// A push decoder of one compressed stream: gzip (ISA-L), zstd (libzstd), xz (liblzma), bzip2
// (libbz2). Concatenated gzip members, zstd frames, xz streams and bzip2 streams are one stream, as
// their own tools read them. The one decompressor of the tool: whole archives and layer blobs alike.
class Decoder {
 public:
  using Emit = std::function<void(const void* data, std::size_t size)>;

  virtual ~Decoder() = default;
  // Decodes `size` bytes, handing every decoded byte to `emit` (in pieces of any size) before returning.
  // Corrupt data is an Error naming `what`.
  virtual void feed(const unsigned char* data, std::size_t size, const Emit& emit) = 0;
  // An Error when the input stopped inside a member, frame or stream (truncated).
  virtual void end() = 0;
};

// An Error for Compression::none.
std::unique_ptr<Decoder> make_decoder(Compression compression, std::string what);

}  // namespace dockerdiff::archive
