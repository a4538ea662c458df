#include "dockerdiff/archive/compression.hpp"

#include <array>
#include <utility>

namespace dockerdiff::archive {

namespace {
constexpr std::array<std::pair<Compression, std::string_view>, 5> kNames{{
    {Compression::none, "none"},
    {Compression::gzip, "gzip"},
    {Compression::zstd, "zstd"},
    {Compression::xz, "xz"},
    {Compression::bzip2, "bzip2"},
}};
}  // namespace

std::string_view compression_name(Compression compression) {
  for (const auto& [value, name] : kNames) {
    if (value == compression) return name;
  }
  return "none";
}

std::string_view archive_suffix(Compression compression) {
  switch (compression) {
    case Compression::gzip: return ".tar.gz";
    case Compression::zstd: return ".tar.zst";
    case Compression::xz: return ".tar.xz";
    case Compression::bzip2: return ".tar.bz2";
    case Compression::none: break;
  }
  return ".tar";
}

Compression detect_compression(std::string_view magic) {
  if (magic.starts_with("\x1f\x8b")) return Compression::gzip;
  if (magic.starts_with("\x28\xb5\x2f\xfd")) return Compression::zstd;
  if (magic.starts_with(std::string_view("\xfd" "7zXZ\0", 6))) return Compression::xz;
  // "BZh", the block size digit, then the block magic: "BZh" alone can begin a file name in a tar.
  if (magic.size() >= 8 && magic.starts_with("BZh") && magic[3] >= '1' && magic[3] <= '9' &&
      magic.substr(4, 4) == "1AY&") {
    return Compression::bzip2;
  }
  return Compression::none;
}

}  // namespace dockerdiff::archive
