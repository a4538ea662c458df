#include "dockerdiff/archive/decompressing_sink.hpp"

#include "dockerdiff/archive/decompression_limit.hpp"
#include "dockerdiff/util/error.hpp"

namespace dockerdiff::archive {

DecompressingSink::DecompressingSink(ByteSink* out, Compression compression, std::uint64_t compressed_size,
                                     std::optional<std::uint64_t> max_size, std::string what)
    : out_(out), compressed_size_(compressed_size), max_size_(max_size), what_(std::move(what)),
      target_([this](const void* bytes, std::size_t count) { emit(bytes, count); }) {
  decoder_ = make_decoder(compression, what_);
}

DecompressingSink::~DecompressingSink() = default;

void DecompressingSink::write(const void* data, std::size_t size) {
  decoder_->feed(static_cast<const unsigned char*>(data), size, target_);
}

void DecompressingSink::emit(const void* data, std::size_t size) {
  decompressed_ += size;
  if (max_size_ && decompressed_ > *max_size_) {
    throw Error(what_, "decompresses to more than the " + std::to_string(*max_size_) + " bytes expected");
  }
  check_decompressed_size(decompressed_, compressed_size_, what_);
  hash_.update(data, size);
  if (out_ != nullptr) out_->write(data, size);
}

void DecompressingSink::finish() { decoder_->end(); }

void DecompressingSink::expect(std::uint64_t size, const std::string& digest) {
  if (decompressed_ != size) {
    throw Error(what_, "decompresses to " + std::to_string(decompressed_) + " bytes, not the " + std::to_string(size) + " expected");
  }
  const auto actual = hash_.digest();
  if (actual != digest) throw Error(what_, "decompresses to " + actual + ", not " + digest);
}

}  // namespace dockerdiff::archive
