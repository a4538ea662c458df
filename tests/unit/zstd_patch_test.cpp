// zstd patches (archive/zstd_patch.hpp): a target rebuilt byte for byte from its reference, a small
// patch for a small change, and every way a patch can be wrong refused with an Error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "dockerdiff/archive/mapped_file.hpp"
#include "dockerdiff/archive/zstd_patch.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/posix.hpp"

namespace dockerdiff::archive {
namespace {

using Bytes = std::vector<unsigned char>;

// Incompressible bytes: a patch can only be small by finding them in the reference.
Bytes random_bytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  Bytes bytes(size);
  for (auto& byte : bytes) byte = static_cast<unsigned char>(generator());
  return bytes;
}

// A release's change: some ranges rewritten, a block inserted in the middle, the rest moved.
Bytes changed(const Bytes& reference) {
  Bytes target(reference.begin(), reference.begin() + static_cast<std::ptrdiff_t>(reference.size() / 2));
  const auto inserted = random_bytes(4096, 99);
  target.insert(target.end(), inserted.begin(), inserted.end());
  target.insert(target.end(), reference.begin() + static_cast<std::ptrdiff_t>(reference.size() / 2), reference.end());
  for (std::size_t at = 1000; at + 100 < target.size(); at += target.size() / 7) {
    for (std::size_t i = 0; i < 100; ++i) target[at + i] ^= 0x5a;
  }
  return target;
}

std::span<const unsigned char> span_of(const std::string& text) {
  return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

std::string patch_of(const Bytes& reference, const Bytes& target) {
  MemorySink sink;
  write_patch(reference, target, sink, 3, "test patch");
  return sink.bytes();
}

Bytes read_back(int fd) {
  Bytes bytes(static_cast<std::size_t>(::lseek(fd, 0, SEEK_END)));
  EXPECT_EQ(::pread(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  return bytes;
}

TEST(PatchWindowLog, TheSmallestWindowHoldingReferenceAndTarget) {
  EXPECT_EQ(patch_window_log(1 << 20, 1 << 20), 21U);
  EXPECT_EQ(patch_window_log((1 << 20) + 1, 1 << 20), 22U);
  EXPECT_EQ(patch_window_log(0, 0), 10U);  // zstd's smallest
  EXPECT_EQ(patch_window_log(std::uint64_t{1} << 30, std::uint64_t{1} << 30), 31U);
  EXPECT_EQ(patch_window_log((std::uint64_t{1} << 30) + 1, std::uint64_t{1} << 30), std::nullopt);
}

TEST(ZstdPatch, RebuildsTheTargetByteForByteFromASmallPatch) {
  const auto reference = random_bytes(8 << 20, 1);
  const auto target = changed(reference);
  const auto patch = patch_of(reference, target);
  // 4 KiB inserted and 7 × 100 bytes changed: the patch holds about that, not 8 MiB.
  EXPECT_LT(patch.size(), 16U << 10) << patch.size();
  const auto out = unnamed_temp_file();
  apply_patch(reference, span_of(patch), out.get(), 0, target.size(), "test patch");
  EXPECT_EQ(read_back(out.get()), target);
}

TEST(ZstdPatch, AnEmptyTargetOrReference) {
  const auto some = random_bytes(100000, 2);
  for (const auto& [reference, target] : {std::pair{Bytes{}, some}, std::pair{some, Bytes{}}, std::pair{Bytes{}, Bytes{}}}) {
    const auto patch = patch_of(reference, target);
    const auto out = unnamed_temp_file();
    apply_patch(reference, span_of(patch), out.get(), 0, target.size(), "test patch");
    EXPECT_EQ(read_back(out.get()), target);
  }
}

void expect_refused(const Bytes& reference, const std::string& patch, std::uint64_t size, const std::string& part) {
  const auto out = unnamed_temp_file();
  try {
    apply_patch(reference, span_of(patch), out.get(), 0, size, "layer.patch");
    ADD_FAILURE() << "no error; expected one with: " << part;
  } catch (const Error& error) {
    EXPECT_EQ(error.subject(), "layer.patch");
    EXPECT_NE(error.problem().find(part), std::string::npos) << error.what();
  }
}

TEST(ZstdPatch, APatchThatIsWrongIsAnError) {
  const auto reference = random_bytes(1 << 20, 3);
  const auto target = changed(reference);
  const auto patch = patch_of(reference, target);
  expect_refused(reference, patch.substr(0, patch.size() - 10), target.size(), "not a whole zstd patch");
  expect_refused(reference, patch + "x", target.size(), "data after");
  expect_refused(reference, "not a patch at all", target.size(), "not a whole zstd patch");
  expect_refused(reference, patch, target.size() - 1, "not the");
  expect_refused(reference, patch, target.size() + 1, "not the");
  auto corrupt = patch;
  corrupt[corrupt.size() / 2] = static_cast<char>(corrupt[corrupt.size() / 2] ^ 0x40);
  expect_refused(reference, corrupt, target.size(), "corrupt zstd patch");
  // Another reference: the frame's checksum of the target does not match.
  expect_refused(random_bytes(1 << 20, 4), patch, target.size(), "another reference");
}

TEST(ZstdPatch, ReferenceAndTargetBeyondOneWindowAreRefusedWhenWriting) {
  // Only sizes are looked at before anything is read: spans over no memory of that size would do,
  // but a span must point somewhere; one byte is enough to name a length the check refuses.
  const unsigned char byte = 0;
  const std::span<const unsigned char> huge(&byte, (std::size_t{1} << 30) + 1);
  MemorySink sink;
  EXPECT_THROW(write_patch(huge, huge, sink, 3, "test patch"), Error);
  EXPECT_EQ(sink.bytes_written(), 0U);
}

TEST(MappedFile, MapsAWholeFileAndAnEmptyOne) {
  const auto file = unnamed_temp_file();
  const std::string text = "reference bytes";
  ASSERT_EQ(::pwrite(file.get(), text.data(), text.size(), 0), static_cast<ssize_t>(text.size()));
  const MappedFile mapped(file.get(), "test file");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(mapped.bytes().data()), mapped.bytes().size()), text);
  const auto empty = unnamed_temp_file();
  EXPECT_TRUE(MappedFile(empty.get(), "empty").bytes().empty());
  EXPECT_THROW(MappedFile(std::filesystem::path("/nonexistent/reference")), Error);
}

}  // namespace
}  // namespace dockerdiff::archive
