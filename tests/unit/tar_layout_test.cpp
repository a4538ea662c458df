// The planner sizes headers by arithmetic (archive/tar_layout.hpp); TarWriter has libarchive encode
// them. The two must agree to the byte, or planned data offsets miss the written ones.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/archive/tar_layout.hpp"
#include "dockerdiff/archive/tar_writer.hpp"
#include "dockerdiff/util/error.hpp"

namespace dockerdiff::archive {
namespace {

// Stops TarWriter::add once the header is out, so that sizes beyond memory can be measured.
struct HeaderWritten {};

std::uint64_t written_header_size(const TarHeader& header) {
  MemorySink sink;
  TarWriter writer(sink);
  try {
    writer.add(header, [](ByteSink&) { throw HeaderWritten{}; });
  } catch (const HeaderWritten&) {
  }
  return sink.bytes_written();
}

// Paths of every length up to 320 bytes, with '/' at the places ustar's 100-byte name and 155-byte
// prefix fields turn on.
std::vector<std::string> paths() {
  std::vector<std::string> out;
  for (const std::size_t segment : {1U, 7U, 49U, 98U, 99U, 100U, 101U, 154U, 155U, 156U, 300U}) {
    for (std::size_t length = 1; length <= 320; ++length) {
      std::string path;
      for (std::size_t i = 0; i < length; ++i) path += (i + 1) % (segment + 1) == 0 ? '/' : 'a';
      out.push_back(path);
    }
  }
  for (const std::size_t name : {99U, 100U, 101U}) {
    for (const std::size_t prefix : {1U, 154U, 155U, 156U}) out.push_back(std::string(prefix, 'p') + "/" + std::string(name, 'n'));
  }
  out.push_back("blobs/sha256/" + std::string(64, 'f'));
  return out;
}

TEST(TarLayoutTest, HeaderSizesMatchTheWriterForEveryNameAndType) {
  int compared = 0;
  for (const auto& path : paths()) {
    for (const auto type : {EntryType::regular, EntryType::directory, EntryType::symlink, EntryType::hardlink}) {
      TarHeader header{path, type, type == EntryType::regular ? 4096U : 0U, 0644, 1700000000, ""};
      if (type == EntryType::symlink || type == EntryType::hardlink) header.link_target = "target";
      SCOPED_TRACE(path + " type " + std::to_string(static_cast<int>(type)));
      ASSERT_EQ(tar_header_size(header), written_header_size(header));
      ++compared;
    }
  }
  EXPECT_GT(compared, 10000);
}

TEST(TarLayoutTest, HeaderSizesMatchTheWriterForLinkTargetsSizesAndTimes) {
  for (const std::size_t length : {1U, 99U, 100U, 101U, 200U, 511U, 1000U, 4096U}) {
    for (const auto type : {EntryType::symlink, EntryType::hardlink}) {
      const TarHeader header{"link", type, 0, 0777, 0, std::string(length, 't')};
      SCOPED_TRACE(length);
      EXPECT_EQ(tar_header_size(header), written_header_size(header));
    }
  }
  const std::vector<std::uint64_t> sizes = {0, 1, 511, 512, 513, (std::uint64_t{1} << 33) - 1, std::uint64_t{1} << 33,
                                            (std::uint64_t{1} << 40) + 7, 999'999'999'999'999};
  const std::vector<std::int64_t> mtimes = {0, 1, -1, -1'000'000'000'000, 0x7ffffffe, 0x7fffffff, std::int64_t{1} << 40};
  for (const auto& path : {std::string("short"), std::string(150, 'x'), std::string(120, 'd') + "/" + std::string(90, 'f')}) {
    for (const auto size : sizes) {
      for (const auto mtime : mtimes) {
        for (const auto type : {EntryType::regular, EntryType::other, EntryType::directory}) {
          const TarHeader header{path, type, type == EntryType::directory ? 0 : size, 0644, mtime, ""};
          SCOPED_TRACE(path + " size " + std::to_string(size) + " mtime " + std::to_string(mtime));
          EXPECT_EQ(tar_header_size(header), written_header_size(header));
        }
      }
    }
  }
}

TEST(TarLayoutTest, EntrySizeAddsPaddedData) {
  EXPECT_EQ(tar_entry_size({"a", EntryType::regular, 0, 0644, 0, ""}), 512U);
  EXPECT_EQ(tar_entry_size({"a", EntryType::regular, 1, 0644, 0, ""}), 1024U);
  EXPECT_EQ(tar_entry_size({"a", EntryType::regular, 512, 0644, 0, ""}), 1024U);
  EXPECT_EQ(tar_entry_size({"a", EntryType::regular, 513, 0644, 0, ""}), 1536U);
  EXPECT_EQ(tar_entry_size({"d", EntryType::directory, 0, 0755, 0, ""}), 512U);
}

TEST(TarLayoutTest, RefusesWhatTheWriterCannotWrite) {
  EXPECT_THROW(tar_header_size({"caf\xc3\xa9", EntryType::regular, 0, 0644, 0, ""}), Error);
  EXPECT_THROW(tar_header_size({"link", EntryType::symlink, 0, 0777, 0, "caf\xc3\xa9"}), Error);
}

}  // namespace
}  // namespace dockerdiff::archive
