// Inputs read once, front to back (compressed files, pipes): the catalog is the same as for a plain
// file, every entry is hashed, data comes back from the spool, and data the caller does not need is
// not kept. The decoding thread stops cleanly when the reader gives up early.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "dockerdiff/archive/archive_input.hpp"
#include "dockerdiff/archive/decoded_stream.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/error.hpp"
#include "support/fixture.hpp"

namespace dockerdiff::testing {
namespace {

using archive::Compression;
using archive::MemorySink;

std::string big_content(std::size_t size, unsigned seed) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 2654435761u + seed) >> 13);
  return out;
}

const std::string kPlainBlob = big_content(3 << 20, 1);  // spans several chunks of the decoding thread
const std::string kOtherBlob = big_content(5000, 2);

std::string sample_tar(Compression compression) {
  using archive::EntryType;
  return write_raw_tar({{"blobs/sha256/" + sha256_digest(kPlainBlob).substr(7), kPlainBlob, EntryType::regular, {}},
                        {"notes.json", R"({"a": 1})", EntryType::regular, {}},
                        {"other.bin", kOtherBlob, EntryType::regular, {}}},
                       compression);
}

// A pipe with `bytes` written into it by a thread (as an engine's `save` would); the read end.
class FeedingPipe {
 public:
  explicit FeedingPipe(std::string bytes) : bytes_(std::move(bytes)) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    read_end_ = fds[0];
    writer_ = std::thread([this, fd = fds[1]] {
      // A reader that gives up closes its end: the write fails with EPIPE instead of killing the test.
      sigset_t pipe_signal;
      sigemptyset(&pipe_signal);
      sigaddset(&pipe_signal, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
      std::size_t at = 0;
      while (at < bytes_.size()) {
        const auto n = ::write(fd, bytes_.data() + at, std::min<std::size_t>(bytes_.size() - at, 70000));
        if (n <= 0) break;  // the reader closed its end
        at += static_cast<std::size_t>(n);
      }
      ::close(fd);
    });
  }
  ~FeedingPipe() { writer_.join(); }
  int release_read_end() { return std::exchange(read_end_, -1); }

 private:
  std::string bytes_;
  int read_end_ = -1;
  std::thread writer_;
};

std::string copied(archive::ArchiveInput& input, std::size_t index) {
  MemorySink sink;
  input.copy_entry(index, sink);
  return sink.bytes();
}

TEST(StreamedInput, EveryCompressionFromAPipeReadsAsThePlainFile) {
  for (const auto compression : {Compression::none, Compression::gzip, Compression::zstd, Compression::xz, Compression::bzip2}) {
    SCOPED_TRACE(archive::compression_name(compression));
    const auto bytes = sample_tar(compression);
    FeedingPipe pipe(bytes);
    const auto input = archive::open_tar_archive(pipe.release_read_end(), "stdin");
    ASSERT_EQ(input->entries().size(), 3u);
    EXPECT_EQ(input->compression(), compression);
    EXPECT_EQ(input->stored_bytes(), bytes.size());
    const auto& blob = input->entries()[0];
    EXPECT_EQ(blob.digest, sha256_digest(kPlainBlob));
    EXPECT_EQ(copied(*input, 0), kPlainBlob);
    EXPECT_EQ(input->entries()[1].content, R"({"a": 1})");
    EXPECT_EQ(copied(*input, 2), kOtherBlob);
    // Offsets in the input only where the input is a plain tar.
    EXPECT_EQ(blob.data_offset.has_value(), compression == Compression::none);
  }
}

// Data `keep` refuses (by the digest a blob path names, or by the digest read) is not kept:
// copying it is an Error, everything else still copies.
TEST(StreamedInput, DataNotNeededIsNotKept) {
  const auto path = std::filesystem::path(::testing::TempDir()) / "streamed-keep.tar.gz";
  write_file(path, sample_tar(Compression::gzip));
  std::vector<std::string> asked;
  const archive::KeepData keep{.digest = [&](std::string_view digest) {
    asked.emplace_back(digest);
    return digest != sha256_digest(kPlainBlob) && digest != sha256_digest(kOtherBlob);
  }, .may_skip_by_size = {}};
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const auto input = archive::open_tar_archive(fd, "app.tar.gz", keep);
  EXPECT_THROW(copied(*input, 0), Error);
  EXPECT_THROW(copied(*input, 2), Error);
  EXPECT_EQ(copied(*input, 1), R"({"a": 1})");
  EXPECT_FALSE(input->entries()[0].digest.has_value());  // refused by its name: not even hashed
  EXPECT_EQ(input->entries()[2].digest, sha256_digest(kOtherBlob));  // refused after: hashed
  // The blob path's digest is asked before its data (so it is never written), other.bin after.
  EXPECT_EQ(std::count(asked.begin(), asked.end(), sha256_digest(kPlainBlob)), 1);
  EXPECT_EQ(std::count(asked.begin(), asked.end(), sha256_digest(kOtherBlob)), 1);
  std::filesystem::remove(path);
}

// A legacy layer (its name gives no digest) of a size the caller guesses is not needed is hashed
// but not spooled, whatever its digest turns out to be; it is listed as unkept, so that the caller
// can read again if it is needed after all. Other sizes are kept as before.
TEST(StreamedInput, ALayerGuessedFromItsSizeIsHashedButNotKept) {
  using archive::EntryType;
  const auto path = std::filesystem::path(::testing::TempDir()) / "streamed-guess.tar.zst";
  write_file(path, write_raw_tar({{"aaaa/layer.tar", kPlainBlob, EntryType::regular, {}},
                                  {"bbbb/layer.tar", kOtherBlob, EntryType::regular, {}}},
                                 Compression::zstd));
  std::vector<std::uint64_t> sizes_asked;
  const archive::KeepData keep{.digest = [](std::string_view) { return true; },
                               .may_skip_by_size = [&](std::uint64_t size) {
                                 sizes_asked.push_back(size);
                                 return size == kPlainBlob.size();
                               }};
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const auto input = archive::open_tar_archive(fd, "app.tar.zst", keep);
  EXPECT_EQ(sizes_asked, (std::vector<std::uint64_t>{kPlainBlob.size(), kOtherBlob.size()}));
  EXPECT_EQ(input->entries()[0].digest, sha256_digest(kPlainBlob));
  EXPECT_THROW(copied(*input, 0), Error);
  EXPECT_EQ(copied(*input, 1), kOtherBlob);
  EXPECT_EQ(input->unkept_digests(), (std::vector<std::string>{sha256_digest(kPlainBlob)}));
  std::filesystem::remove(path);
}

TEST(StreamedInput, CorruptCompressedDataIsTheDecodersError) {
  auto bytes = sample_tar(Compression::gzip);
  bytes[bytes.size() - 6] = static_cast<char>(bytes[bytes.size() - 6] ^ 1);  // the CRC in the trailer
  FeedingPipe pipe(bytes);
  try {
    archive::open_tar_archive(pipe.release_read_end(), "stdin");
    FAIL() << "a corrupt gzip stream was read";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("corrupt gzip data"), std::string::npos) << error.what();
  }
}

// A reader that stops after the first chunk: the thread is stopped and joined, the writer sees the
// pipe closed (the test would hang otherwise).
TEST(StreamedInput, AReaderGivingUpStopsTheDecodingThread) {
  FeedingPipe pipe(big_content(40 << 20, 3));
  const int fd = pipe.release_read_end();
  {
    archive::DecodedStream stream(fd, "stdin", std::nullopt);
    EXPECT_FALSE(stream.next().empty());
    EXPECT_EQ(stream.compression(), Compression::none);
  }
  ::close(fd);
}

TEST(StreamedInput, AnEmptyPipeIsNotAnArchive) {
  FeedingPipe pipe("");
  EXPECT_THROW(archive::open_tar_archive(pipe.release_read_end(), "stdin"), Error);
}

}  // namespace
}  // namespace dockerdiff::testing
