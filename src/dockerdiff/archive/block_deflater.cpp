#include "dockerdiff/archive/block_deflater.hpp"

#include <isa-l.h>
#include <zlib.h>

#include <limits>
#include <string>

#include "dockerdiff/util/error.hpp"

namespace dockerdiff::archive {

namespace {

std::uint32_t counted(std::size_t size, const std::string& what) {
  if (size > std::numeric_limits<std::uint32_t>::max()) throw Error(what, "gzip block larger than 4 GiB");
  return static_cast<std::uint32_t>(size);
}

// Calls `step` (one call of the compressor on `stream`; true once the block is complete) until the
// block is complete, growing `output` as it fills up; `output` ends up holding the block.
template <typename Stream, typename Step>
void run_into(Stream& stream, std::size_t input_size, std::vector<unsigned char>& output, const std::string& what,
              Step step) {
  output.resize(input_size + input_size / 8 + 1024);  // room for stored blocks: it rarely grows
  std::size_t used = 0;
  for (;;) {
    if (used == output.size()) output.resize(output.size() * 2);
    stream.next_out = output.data() + used;
    stream.avail_out = counted(output.size() - used, what);
    const auto input_left = stream.avail_in;
    const bool complete = step();
    const auto now = output.size() - stream.avail_out;
    if (complete) {
      output.resize(now);
      return;
    }
    // A call that neither takes input nor makes output would loop forever.
    if (now == used && stream.avail_in == input_left) throw Error(what, "gzip compression made no progress");
    used = now;
  }
}

class ZlibDeflater final : public BlockDeflater {
 public:
  ZlibDeflater(int level, std::string what) : what_(std::move(what)) {
    // Negative window bits: raw deflate, the gzip header and trailer are the sink's.
    if (deflateInit2(&stream_, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      throw Error(what_, "cannot start the gzip compressor (level " + std::to_string(level) + ")");
    }
  }
  ~ZlibDeflater() override { deflateEnd(&stream_); }
  ZlibDeflater(const ZlibDeflater&) = delete;
  ZlibDeflater& operator=(const ZlibDeflater&) = delete;

  void compress(std::span<const unsigned char> dictionary, std::span<const unsigned char> input, bool last,
                std::vector<unsigned char>& output) override {
    check(deflateReset(&stream_));
    if (!dictionary.empty()) check(deflateSetDictionary(&stream_, dictionary.data(), counted(dictionary.size(), what_)));
    stream_.next_in = const_cast<unsigned char*>(input.data());  // zlib does not write its input
    stream_.avail_in = counted(input.size(), what_);
    run_into(stream_, input.size(), output, what_, [&] {
      const int status = deflate(&stream_, last ? Z_FINISH : Z_SYNC_FLUSH);
      if (status == Z_STREAM_ERROR) throw Error(what_, "gzip compression failed");
      // Complete when the stream ended, or when a sync flush left room unused (zlib's own test).
      return last ? status == Z_STREAM_END : stream_.avail_out != 0;
    });
  }

 private:
  void check(int status) const {
    if (status != Z_OK) throw Error(what_, "gzip compression failed (zlib status " + std::to_string(status) + ")");
  }

  z_stream stream_{};
  std::string what_;
};

// ISA-L's level 1 needs a work buffer of its own; its default size is the one its tools use.
class IsalDeflater final : public BlockDeflater {
 public:
  explicit IsalDeflater(std::string what) : what_(std::move(what)), level_buffer_(ISAL_DEF_LVL1_DEFAULT) {
    isal_deflate_init(&stream_);
    stream_.level = 1;
    stream_.level_buf = level_buffer_.data();
    stream_.level_buf_size = static_cast<std::uint32_t>(level_buffer_.size());
    stream_.gzip_flag = IGZIP_DEFLATE;  // raw deflate, the gzip header and trailer are the sink's
  }

  void compress(std::span<const unsigned char> dictionary, std::span<const unsigned char> input, bool last,
                std::vector<unsigned char>& output) override {
    isal_deflate_reset(&stream_);  // keeps the level, its buffer and the raw format
    if (!dictionary.empty()) {
      check(isal_deflate_set_dict(&stream_, const_cast<std::uint8_t*>(dictionary.data()),
                                  counted(dictionary.size(), what_)));
    }
    stream_.end_of_stream = last ? 1 : 0;
    stream_.flush = last ? NO_FLUSH : SYNC_FLUSH;
    stream_.next_in = const_cast<std::uint8_t*>(input.data());  // ISA-L does not write its input
    stream_.avail_in = counted(input.size(), what_);
    run_into(stream_, input.size(), output, what_, [&] {
      check(isal_deflate(&stream_));
      // Complete when the stream ended, or when a sync flush left room unused (ISA-L's own test).
      return last ? stream_.internal_state.state == ZSTATE_END : stream_.avail_out != 0;
    });
  }

 private:
  void check(int status) const {
    if (status != COMP_OK) throw Error(what_, "gzip compression failed (ISA-L status " + std::to_string(status) + ")");
  }

  isal_zstream stream_{};
  std::string what_;
  std::vector<std::uint8_t> level_buffer_;
};

}  // namespace

std::unique_ptr<BlockDeflater> make_block_deflater(int level, std::string_view what) {
  if (level == 1) return std::make_unique<IsalDeflater>(std::string(what));
  return std::make_unique<ZlibDeflater>(level, std::string(what));
}

std::uint32_t crc32_of(std::span<const unsigned char> data) {
  return crc32_gzip_refl(0, data.data(), data.size());  // gzip's CRC-32, several times faster than zlib's
}

std::uint32_t crc32_joined(std::uint32_t first, std::uint32_t second, std::uint64_t second_size) {
  return static_cast<std::uint32_t>(crc32_combine(first, second, static_cast<z_off_t>(second_size)));
}

}  // namespace dockerdiff::archive
