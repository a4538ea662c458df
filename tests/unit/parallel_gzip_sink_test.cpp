// gzip on all cores (archive/parallel_gzip_sink.hpp): one standard gzip member that zlib and gzip
// decode, the same bytes for any number of workers, every level, and errors of the output as Error.
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "dockerdiff/archive/parallel_gzip_sink.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/posix.hpp"
#include "support/process.hpp"

namespace dockerdiff::testing {
namespace {

using archive::make_parallel_gzip_sink;

constexpr std::size_t kBlock = std::size_t{128} << 10;

std::string compressible(std::size_t size) {
  std::string out;
  for (std::size_t i = 0; out.size() < size; ++i) out += "line " + std::to_string(i * 7919 % 10007) + " of a layer\n";
  out.resize(size);
  return out;
}

std::string incompressible(std::size_t size, unsigned seed = 1) {
  std::mt19937 random(seed);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(random());
  return out;
}

std::string read_all(int fd) {
  std::string out;
  char buffer[1 << 16];
  for (off_t at = 0;;) {
    const auto n = ::pread(fd, buffer, sizeof buffer, at);
    if (n <= 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
    at += n;
  }
}

// `data` through the sink in writes of `step` bytes.
std::string gzip(const std::string& data, int level = 6, unsigned workers = 0, std::size_t step = 100'000) {
  const auto file = unnamed_temp_file();
  auto sink = make_parallel_gzip_sink(file.get(), "out.tar.gz", level, workers);
  for (std::size_t at = 0; at < data.size(); at += step) sink->write(data.data() + at, std::min(step, data.size() - at));
  sink->finish();
  const auto bytes = read_all(file.get());
  EXPECT_EQ(sink->bytes_written(), bytes.size());
  return bytes;
}

// zlib's inflate, gzip format only: it checks the CRC and the size in the trailer.
std::string gunzip(const std::string& blob) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + 15) != Z_OK) throw std::runtime_error("inflateInit2");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(blob.data()));
  stream.avail_in = static_cast<uInt>(blob.size());
  std::string out;
  int status = Z_OK;
  while (status == Z_OK) {
    char buffer[1 << 16];
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  const bool whole = status == Z_STREAM_END && stream.avail_in == 0;  // one member, nothing after it
  inflateEnd(&stream);
  if (!whole) throw std::runtime_error("not one valid gzip member (zlib status " + std::to_string(status) + ")");
  return out;
}

// zlib's own single-threaded gzip of `data`, for sizes.
std::string zlib_gzip(const std::string& data, int level) {
  z_stream stream{};
  deflateInit2(&stream, level, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

TEST(ParallelGzipSink, RoundTripsAroundBlockBoundaries) {
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, kBlock - 1, kBlock, kBlock + 1, 5 * kBlock + 123}) {
    for (const auto& data : {compressible(size), incompressible(size)}) {
      for (const int level : {1, 6}) EXPECT_EQ(gunzip(gzip(data, level)), data) << "size " << size << " level " << level;
    }
  }
}

TEST(ParallelGzipSink, SameBytesForAnyWorkerCountAndWrites) {
  const auto data = compressible(3 * kBlock) + incompressible(kBlock + 77) + compressible(2 * kBlock + 5);
  for (const int level : {1, 6, 9}) {
    const auto one = gzip(data, level, 1, data.size());
    EXPECT_EQ(gzip(data, level, 2, 1000), one) << "level " << level;
    EXPECT_EQ(gzip(data, level, 7, 65536), one) << "level " << level;
    EXPECT_EQ(gzip(data, level, 0, 333), one) << "level " << level;
    EXPECT_EQ(gunzip(one), data);
  }
}

TEST(ParallelGzipSink, EveryLevelDecodesAndZeroIsSix) {
  const auto data = compressible(3 * kBlock + 999) + incompressible(50'000);
  for (int level = 1; level <= 9; ++level) EXPECT_EQ(gunzip(gzip(data, level)), data) << "level " << level;
  EXPECT_EQ(gzip(data, 0), gzip(data, 6));
}

TEST(ParallelGzipSink, HeaderIsFixedAndSizeIsZlibs) {
  const auto data = compressible(20 * kBlock);
  const auto blob = gzip(data, 6);
  // gzip magic, deflate, no flags, mtime 0, no extra flags, Unix.
  EXPECT_EQ(blob.substr(0, 10), std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10));
  const auto single = zlib_gzip(data, 6).size();
  EXPECT_LT(static_cast<double>(blob.size()), static_cast<double>(single) * 1.01) << "zlib alone: " << single;
}

TEST(ParallelGzipSink, GzipAcceptsIt) {
  const auto data = compressible(4 * kBlock) + incompressible(kBlock / 2);
  for (const int level : {1, 6, 9}) {
    const auto blob = gzip(data, level);
    EXPECT_EQ(run_program("/bin/sh", {"-c", "gzip -t"}, {.stdin_bytes = blob}).status, 0) << "level " << level;
    EXPECT_EQ(run_program("/bin/sh", {"-c", "gzip -dc"}, {.stdin_bytes = blob}).out, data) << "level " << level;
  }
}

TEST(ParallelGzipSink, CopiesFileRanges) {
  const auto data = compressible(3 * kBlock);
  const auto file = unnamed_temp_file();
  ASSERT_EQ(::pwrite(file.get(), data.data(), data.size(), 0), static_cast<ssize_t>(data.size()));
  const auto out = unnamed_temp_file();
  auto sink = make_parallel_gzip_sink(out.get(), "out.tar.gz", 6);
  sink->write("head", 4);
  sink->copy_range(file.get(), 1000, data.size() - 1000, "layer");
  sink->finish();
  EXPECT_EQ(gunzip(read_all(out.get())), "head" + data.substr(1000));
}

TEST(ParallelGzipSink, WriteErrorIsAnErrorNamingTheOutput) {
  const UniqueFd full(::open("/dev/full", O_WRONLY | O_CLOEXEC));
  ASSERT_GE(full.get(), 0);
  const auto data = incompressible(4 * kBlock);
  auto sink = make_parallel_gzip_sink(full.get(), "out.tar.gz", 6, 2);
  try {
    sink->write(data.data(), data.size());
    sink->finish();
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.subject(), "out.tar.gz");
    EXPECT_NE(error.problem().find("write failed"), std::string::npos) << error.what();
  }
  EXPECT_THROW(sink->write("x", 1), Error);
  EXPECT_THROW(sink->finish(), Error);
}

TEST(ParallelGzipSink, DestroyedUnfinishedStopsQuietly) {
  const auto out = unnamed_temp_file();
  {
    auto sink = make_parallel_gzip_sink(out.get(), "out.tar.gz", 6, 3);
    const auto data = incompressible(20 * kBlock);
    sink->write(data.data(), data.size());
  }
  SUCCEED();
}

TEST(ParallelGzipSink, LevelOutOfRangeIsAnError) {
  const auto out = unnamed_temp_file();
  EXPECT_THROW(make_parallel_gzip_sink(out.get(), "out.tar.gz", 10), Error);
}

}  // namespace
}  // namespace dockerdiff::testing
