// The decompressing sink restore writes layers through, over the one decoder (archive/decoder.hpp):
// gzip (ISA-L), zstd, xz and bzip2 blobs made by libarchive, concatenated ones too, checked against
// their size and digest; corrupt or truncated input is an Error.
#include <gtest/gtest.h>

#include <string>

#include "dockerdiff/archive/decompressing_sink.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/error.hpp"
#include "support/fixture.hpp"

namespace dockerdiff::testing {
namespace {

using archive::Compression;
using archive::DecompressingSink;
using archive::MemorySink;

std::string sample(std::size_t lines) {
  std::string out;
  for (std::size_t i = 0; i < lines; ++i) out += "line " + std::to_string(i * 7919 % 10007) + " of the sample layer\n";
  return out;
}

// Pushes `blob` in pieces of `step` bytes and returns what came out.
std::string decompress_through_sink(const std::string& blob, Compression compression, std::size_t step = 4096,
                                    std::optional<std::uint64_t> max_size = std::nullopt) {
  MemorySink out;
  DecompressingSink sink(&out, compression, blob.size(), max_size, "blob");
  for (std::size_t at = 0; at < blob.size(); at += step) sink.write(blob.data() + at, std::min(step, blob.size() - at));
  sink.finish();
  return out.bytes();
}

constexpr Compression kAll[] = {Compression::gzip, Compression::zstd, Compression::xz, Compression::bzip2};

TEST(DecompressingSink, EveryCompressionInAnyPieces) {
  const auto data = sample(50'000);
  for (const auto compression : kAll) {
    const auto blob = compress_blob(data, compression);
    for (const std::size_t step : {std::size_t{1}, std::size_t{777}, blob.size()}) {
      if (step == 1 && blob.size() > 200'000) continue;
      EXPECT_EQ(decompress_through_sink(blob, compression, step), data) << archive::compression_name(compression) << " step " << step;
    }
  }
}

TEST(DecompressingSink, ConcatenatedMembersFramesAndStreams) {
  const auto first = sample(1000);
  const auto second = sample(3000);
  for (const auto compression : kAll) {
    const auto blob = compress_blob(first, compression) + compress_blob(second, compression);
    EXPECT_EQ(decompress_through_sink(blob, compression, 100), first + second) << archive::compression_name(compression);
  }
}

TEST(DecompressingSink, CountsAndHashesWithoutAnOutput) {
  const auto data = sample(2000);
  const auto blob = compress_blob(data, Compression::gzip);
  DecompressingSink sink(nullptr, Compression::gzip, blob.size(), std::nullopt, "blob");
  sink.write(blob.data(), blob.size());
  sink.finish();
  EXPECT_EQ(sink.bytes_written(), data.size());
  EXPECT_EQ(sink.digest(), sha256_digest(data));
}

TEST(DecompressingSink, ExpectChecksSizeAndDigest) {
  const auto data = sample(2000);
  const auto blob = compress_blob(data, Compression::zstd);
  const auto through = [&](std::uint64_t size, const std::string& digest) {
    MemorySink out;
    DecompressingSink sink(&out, Compression::zstd, blob.size(), std::nullopt, "blob");
    sink.write(blob.data(), blob.size());
    sink.finish();
    sink.expect(size, digest);
  };
  EXPECT_NO_THROW(through(data.size(), sha256_digest(data)));
  EXPECT_THROW(through(data.size() + 1, sha256_digest(data)), Error);
  EXPECT_THROW(through(data.size(), sha256_digest("other")), Error);
}

TEST(DecompressingSink, MoreThanTheExpectedSizeIsRefused) {
  const auto data = sample(2000);
  EXPECT_THROW(decompress_through_sink(compress_blob(data, Compression::gzip), Compression::gzip, 4096, data.size() - 1), Error);
  EXPECT_THROW(decompress_through_sink(compress_blob(data, Compression::zstd), Compression::zstd, 4096, data.size() - 1), Error);
}

TEST(DecompressingSink, CorruptOrTruncatedInputIsAnError) {
  const auto data = sample(5000);
  for (const auto compression : kAll) {
    const auto blob = compress_blob(data, compression);
    auto flipped = blob;
    flipped[blob.size() / 2] = static_cast<char>(flipped[blob.size() / 2] ^ 0x55);
    EXPECT_THROW(decompress_through_sink(flipped, compression), Error) << archive::compression_name(compression);
    EXPECT_THROW(decompress_through_sink(blob.substr(0, blob.size() / 2), compression), Error) << archive::compression_name(compression);
    EXPECT_THROW(decompress_through_sink("not compressed at all", compression), Error) << archive::compression_name(compression);
  }
  // A flipped byte in the gzip trailer: the CRC check fails.
  auto bad_crc = compress_blob(data, Compression::gzip);
  bad_crc[bad_crc.size() - 6] = static_cast<char>(bad_crc[bad_crc.size() - 6] ^ 1);
  EXPECT_THROW(decompress_through_sink(bad_crc, Compression::gzip), Error);
  EXPECT_THROW(DecompressingSink(nullptr, Compression::none, 0, std::nullopt, "blob"), Error);
}

// Zeros after the last gzip member or bzip2 stream are padding (as gzip -d and bzip2 -d read them);
// anything else after the end is an Error, not silently dropped.
TEST(DecompressingSink, ZeroPaddingAfterTheEndIsReadOtherBytesAreNot) {
  const auto data = sample(3000);
  for (const auto compression : {Compression::gzip, Compression::bzip2}) {
    const auto blob = compress_blob(data, compression);
    EXPECT_EQ(decompress_through_sink(blob + std::string(10240, '\0'), compression, 1000), data) << archive::compression_name(compression);
    EXPECT_THROW(decompress_through_sink(blob + std::string(100, '\0') + "junk", compression), Error) << archive::compression_name(compression);
  }
  const auto xz = compress_blob(data, Compression::xz);
  EXPECT_THROW(decompress_through_sink(xz + "junk", Compression::xz), Error);
}

}  // namespace
}  // namespace dockerdiff::testing
