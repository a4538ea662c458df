// libFuzzer target: the input is a whole archive (see harness.hpp, Target::archive).
//
// Its mutator rewrites the checksums of the tar headers it finds after libFuzzer's mutation (nine
// times in ten), so that a changed name, size, type or link target reaches dockerdiff instead of
// stopping at libarchive's checksum test.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "harness.hpp"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace {

constexpr std::size_t kBlock = 512;

// An octal or base-256 tar number field.
std::uint64_t tar_number(const std::uint8_t* field, std::size_t length) {
  std::uint64_t value = 0;
  if ((field[0] & 0x80U) != 0) {
    for (std::size_t i = 1; i < length; ++i) value = (value << 8U) | field[i];
    return value;
  }
  for (std::size_t i = 0; i < length && field[i] >= '0' && field[i] <= '7'; ++i) value = value * 8 + static_cast<std::uint64_t>(field[i] - '0');
  return value;
}

// Walks the ustar headers of an uncompressed tar and gives each the checksum of its bytes.
void fix_tar_checksums(std::uint8_t* data, std::size_t size) {
  std::size_t offset = 0;
  for (int headers = 0; headers < 10000 && offset + kBlock <= size; ++headers) {
    std::uint8_t* header = data + offset;
    if (std::memcmp(header + 257, "ustar", 5) != 0) {
      bool zero = true;
      for (std::size_t i = 0; i < kBlock && zero; ++i) zero = header[i] == 0;
      if (!zero) return;  // not a tar header: the walk is lost
      offset += kBlock;
      continue;
    }
    unsigned sum = 0;
    for (std::size_t i = 0; i < kBlock; ++i) sum += (i >= 148 && i < 156) ? unsigned{' '} : unsigned{header[i]};
    char field[8];
    std::snprintf(field, sizeof field, "%06o", sum & 0777777U);
    std::memcpy(header + 148, field, 6);
    header[154] = '\0';
    header[155] = ' ';
    const auto entry_size = tar_number(header + 124, 12);
    const auto blocks = entry_size / kBlock + (entry_size % kBlock != 0 ? 1 : 0);
    if (blocks > (size - offset) / kBlock) return;
    offset += kBlock * (1 + blocks);
  }
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  size = LLVMFuzzerMutate(data, size, max_size);
  if (seed % 10 != 0) fix_tar_checksums(data, size);
  return size;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dockerdiff::fuzz::run(dockerdiff::fuzz::Target::archive, {reinterpret_cast<const char*>(data), size});
  return 0;
}
