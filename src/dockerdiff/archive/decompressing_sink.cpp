#include "dockerdiff/archive/decompressing_sink.hpp"

#include <isa-l.h>
#include <zstd.h>

#include <functional>
#include <vector>

#include "dockerdiff/archive/decompression_limit.hpp"
#include "dockerdiff/util/error.hpp"

namespace dockerdiff::archive {

namespace {

constexpr std::size_t kOutChunk = std::size_t{1} << 18;
// isal_inflate counts in 32 bits; input is handed over in steps that fit.
constexpr std::size_t kMaxInStep = std::size_t{1} << 30;

using Emit = std::function<void(const void*, std::size_t)>;

}  // namespace

class DecompressingSink::Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void feed(const unsigned char* data, std::size_t size, const Emit& emit) = 0;
  // An Error when the stream stops inside a gzip member or zstd frame.
  virtual void end() = 0;
};

namespace {

class GzipDecoder final : public DecompressingSink::Decoder {
 public:
  explicit GzipDecoder(std::string what) : what_(std::move(what)), buffer_(kOutChunk) { start_member(); }

  void feed(const unsigned char* data, std::size_t size, const Emit& emit) override {
    while (size > 0) {
      if (state_.block_state == ISAL_BLOCK_FINISH) start_member();  // the next of concatenated members
      const auto step = size < kMaxInStep ? size : kMaxInStep;
      state_.next_in = const_cast<unsigned char*>(data);  // isal_inflate does not write its input
      state_.avail_in = static_cast<std::uint32_t>(step);
      do {
        state_.next_out = buffer_.data();
        state_.avail_out = static_cast<std::uint32_t>(buffer_.size());
        const int status = isal_inflate(&state_);
        if (status != ISAL_DECOMP_OK) throw Error(what_, "corrupt gzip data (ISA-L inflate status " + std::to_string(status) + ")");
        const auto produced = buffer_.size() - state_.avail_out;
        if (produced > 0) emit(buffer_.data(), produced);
        in_member_ = state_.block_state != ISAL_BLOCK_FINISH;
      } while (state_.block_state != ISAL_BLOCK_FINISH && (state_.avail_in > 0 || state_.avail_out == 0));
      const auto used = step - state_.avail_in;
      data += used;
      size -= used;
    }
  }

  void end() override {
    if (in_member_ || !started_) throw Error(what_, "truncated gzip data");
  }

 private:
  void start_member() {
    isal_inflate_init(&state_);
    state_.crc_flag = ISAL_GZIP;  // parse the gzip header and check each member's CRC and length
    started_ = true;
    in_member_ = true;
  }

  std::string what_;
  std::vector<unsigned char> buffer_;
  inflate_state state_{};
  bool started_ = false;
  bool in_member_ = false;
};

class ZstdDecoder final : public DecompressingSink::Decoder {
 public:
  explicit ZstdDecoder(std::string what) : what_(std::move(what)), context_(ZSTD_createDStream()), buffer_(ZSTD_DStreamOutSize()) {
    if (context_ == nullptr) throw Error(what_, "cannot create a zstd decompressor");
  }
  ~ZstdDecoder() override { ZSTD_freeDStream(context_); }
  ZstdDecoder(const ZstdDecoder&) = delete;
  ZstdDecoder& operator=(const ZstdDecoder&) = delete;

  void feed(const unsigned char* data, std::size_t size, const Emit& emit) override {
    ZSTD_inBuffer in{data, size, 0};
    while (in.pos < in.size || output_pending_) {
      ZSTD_outBuffer out{buffer_.data(), buffer_.size(), 0};
      const auto result = ZSTD_decompressStream(context_, &out, &in);
      if (ZSTD_isError(result)) throw Error(what_, std::string("corrupt zstd data: ") + ZSTD_getErrorName(result));
      if (out.pos > 0) emit(buffer_.data(), out.pos);
      frame_done_ = result == 0;
      // A full output buffer may leave decoded bytes inside the decompressor.
      output_pending_ = out.pos == out.size;
    }
  }

  void end() override {
    if (!frame_done_) throw Error(what_, "truncated zstd data");
  }

 private:
  std::string what_;
  ZSTD_DStream* context_;
  std::vector<unsigned char> buffer_;
  bool frame_done_ = false;
  bool output_pending_ = false;
};

}  // namespace

DecompressingSink::DecompressingSink(ByteSink* out, Compression compression, std::uint64_t compressed_size,
                                     std::optional<std::uint64_t> max_size, std::string what)
    : out_(out), compressed_size_(compressed_size), max_size_(max_size), what_(std::move(what)) {
  switch (compression) {
    case Compression::gzip:
      decoder_ = std::make_unique<GzipDecoder>(what_);
      break;
    case Compression::zstd:
      decoder_ = std::make_unique<ZstdDecoder>(what_);
      break;
    default:
      throw Error(what_, "cannot decompress " + std::string(compression_name(compression)) + " data (gzip and zstd only)");
  }
}

DecompressingSink::~DecompressingSink() = default;

void DecompressingSink::write(const void* data, std::size_t size) {
  decoder_->feed(static_cast<const unsigned char*>(data), size, [this](const void* bytes, std::size_t count) { emit(bytes, count); });
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
