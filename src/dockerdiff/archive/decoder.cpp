#include "dockerdiff/archive/decoder.hpp"

#include <bzlib.h>
#include <isa-l.h>
#include <lzma.h>
#include <zstd.h>

#include <algorithm>
#include <vector>

#include "dockerdiff/util/error.hpp"

namespace dockerdiff::archive {

namespace {

constexpr std::size_t kOutChunk = std::size_t{1} << 18;
// isal_inflate and libbz2 count in 32 bits: input is handed over in steps that fit.
constexpr std::size_t kMaxInStep = std::size_t{1} << 30;

// Output space in steps that fit those 32-bit counts too.
std::span<unsigned char> limited(std::span<unsigned char> space) { return space.first(std::min(space.size(), kMaxInStep)); }

bool all_zero(const unsigned char* data, std::size_t size) {
  return std::all_of(data, data + size, [](unsigned char byte) { return byte == 0; });
}

class GzipDecoder final : public Decoder {
 public:
  explicit GzipDecoder(std::string what) : what_(std::move(what)) { start_member(); }

  void feed(const unsigned char* data, std::size_t size, DecodeTarget& target) override {
    while (size > 0) {
      if (state_.block_state == ISAL_BLOCK_FINISH) {
        // Zeros after the last member are padding (tape blocks), as gzip -d reads them.
        if (padding_ || all_zero(data, size)) {
          padding_ = true;
          if (!all_zero(data, size)) throw Error(what_, "data after the end of the gzip stream");
          return;
        }
        start_member();  // the next of concatenated members
      }
      const auto step = std::min(size, kMaxInStep);
      state_.next_in = const_cast<unsigned char*>(data);  // isal_inflate does not write its input
      state_.avail_in = static_cast<std::uint32_t>(step);
      do {
        const auto space = limited(target.space());
        state_.next_out = space.data();
        state_.avail_out = static_cast<std::uint32_t>(space.size());
        const int status = isal_inflate(&state_);
        if (status != ISAL_DECOMP_OK) throw Error(what_, "corrupt gzip data (ISA-L inflate status " + std::to_string(status) + ")");
        target.produced(space.size() - state_.avail_out);
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
  inflate_state state_{};
  bool started_ = false;
  bool in_member_ = false;
  bool padding_ = false;
};

class ZstdDecoder final : public Decoder {
 public:
  explicit ZstdDecoder(std::string what) : what_(std::move(what)), context_(ZSTD_createDStream()) {
    if (context_ == nullptr) throw Error(what_, "cannot create a zstd decompressor");
  }
  ~ZstdDecoder() override { ZSTD_freeDStream(context_); }
  ZstdDecoder(const ZstdDecoder&) = delete;
  ZstdDecoder& operator=(const ZstdDecoder&) = delete;

  void feed(const unsigned char* data, std::size_t size, DecodeTarget& target) override {
    ZSTD_inBuffer in{data, size, 0};
    while (in.pos < in.size || output_pending_) {
      const auto space = target.space();
      ZSTD_outBuffer out{space.data(), space.size(), 0};
      const auto result = ZSTD_decompressStream(context_, &out, &in);
      if (ZSTD_isError(result)) throw Error(what_, std::string("corrupt zstd data: ") + ZSTD_getErrorName(result));
      target.produced(out.pos);
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
  bool frame_done_ = false;
  bool output_pending_ = false;
};

class XzDecoder final : public Decoder {
 public:
  explicit XzDecoder(std::string what) : what_(std::move(what)) {
    // LZMA_CONCATENATED: streams one after another (and stream padding) are one input, as xz -d reads them.
    if (lzma_stream_decoder(&stream_, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
      throw Error(what_, "cannot create an xz decompressor");
    }
  }
  ~XzDecoder() override { lzma_end(&stream_); }
  XzDecoder(const XzDecoder&) = delete;
  XzDecoder& operator=(const XzDecoder&) = delete;

  void feed(const unsigned char* data, std::size_t size, DecodeTarget& target) override { run(data, size, LZMA_RUN, target); }

  void end() override {
    // Everything fed has been decoded (feed stops only with room to spare): whatever LZMA_FINISH
    // still decodes is nothing, or the stream was cut.
    EmitTarget nowhere([](const void*, std::size_t) {});
    if (!done_) run(nullptr, 0, LZMA_FINISH, nowhere);
    if (!done_) throw Error(what_, "truncated xz data");
  }

 private:
  void run(const unsigned char* data, std::size_t size, lzma_action action, DecodeTarget& target) {
    stream_.next_in = data;
    stream_.avail_in = size;
    while (true) {
      const auto space = target.space();
      stream_.next_out = space.data();
      stream_.avail_out = space.size();
      const auto status = lzma_code(&stream_, action);
      target.produced(space.size() - stream_.avail_out);
      if (status == LZMA_STREAM_END) {
        done_ = true;
        if (stream_.avail_in > 0) throw Error(what_, "data after the end of the xz stream");
        return;
      }
      if (status == LZMA_BUF_ERROR && action == LZMA_FINISH) return;  // truncated: end() says so
      if (status != LZMA_OK) throw Error(what_, "corrupt xz data (liblzma status " + std::to_string(status) + ")");
      if (stream_.avail_in == 0 && stream_.avail_out > 0) return;
    }
  }

  std::string what_;
  lzma_stream stream_ = LZMA_STREAM_INIT;
  bool done_ = false;
};

class Bzip2Decoder final : public Decoder {
 public:
  explicit Bzip2Decoder(std::string what) : what_(std::move(what)) { start_stream(); }
  ~Bzip2Decoder() override {
    if (open_) BZ2_bzDecompressEnd(&stream_);
  }
  Bzip2Decoder(const Bzip2Decoder&) = delete;
  Bzip2Decoder& operator=(const Bzip2Decoder&) = delete;

  void feed(const unsigned char* data, std::size_t size, DecodeTarget& target) override {
    while (size > 0) {
      if (!in_stream_) {
        if (padding_ || all_zero(data, size)) {
          padding_ = true;
          if (!all_zero(data, size)) throw Error(what_, "data after the end of the bzip2 stream");
          return;
        }
        start_stream();  // the next of concatenated streams (pbzip2, lbzip2)
      }
      const auto step = std::min(size, kMaxInStep);
      stream_.next_in = reinterpret_cast<char*>(const_cast<unsigned char*>(data));  // libbz2 does not write its input
      stream_.avail_in = static_cast<unsigned int>(step);
      while (true) {
        const auto space = limited(target.space());
        stream_.next_out = reinterpret_cast<char*>(space.data());
        stream_.avail_out = static_cast<unsigned int>(space.size());
        const int status = BZ2_bzDecompress(&stream_);
        target.produced(space.size() - stream_.avail_out);
        if (status == BZ_STREAM_END) {
          BZ2_bzDecompressEnd(&stream_);
          open_ = false;
          in_stream_ = false;
          break;
        }
        if (status != BZ_OK) throw Error(what_, "corrupt bzip2 data (libbz2 status " + std::to_string(status) + ")");
        if (stream_.avail_in == 0 && stream_.avail_out > 0) break;
      }
      const auto used = step - stream_.avail_in;
      data += used;
      size -= used;
    }
  }

  void end() override {
    if (in_stream_ || !started_) throw Error(what_, "truncated bzip2 data");
  }

 private:
  void start_stream() {
    stream_ = bz_stream{};
    if (BZ2_bzDecompressInit(&stream_, 0, 0) != BZ_OK) throw Error(what_, "cannot create a bzip2 decompressor");
    open_ = true;
    started_ = true;
    in_stream_ = true;
  }

  std::string what_;
  bz_stream stream_{};
  bool open_ = false;
  bool started_ = false;
  bool in_stream_ = false;
  bool padding_ = false;
};

}  // namespace

EmitTarget::EmitTarget(Emit emit) : emit_(std::move(emit)), buffer_(kOutChunk) {}

std::unique_ptr<Decoder> make_decoder(Compression compression, std::string what) {
  switch (compression) {
    case Compression::gzip: return std::make_unique<GzipDecoder>(std::move(what));
    case Compression::zstd: return std::make_unique<ZstdDecoder>(std::move(what));
    case Compression::xz: return std::make_unique<XzDecoder>(std::move(what));
    case Compression::bzip2: return std::make_unique<Bzip2Decoder>(std::move(what));
    case Compression::none: break;
  }
  throw Error(what, "internal: no decoder for uncompressed data");
}

}  // namespace dockerdiff::archive
