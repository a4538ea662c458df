#include "dockerdiff/archive/tar_layout.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include "dockerdiff/util/error.hpp"

namespace dockerdiff::archive {

namespace {

// ustar's name field, prefix field, and largest size and mtime. libarchive's restricted pax writer
// keeps the mtime at or below 2^31 - 1 in the ustar header, although the field holds 33 bits.
constexpr std::size_t kUstarName = 100;
constexpr std::size_t kUstarPrefix = 155;
constexpr std::uint64_t kUstarSizeLimit = std::uint64_t{1} << 33;
constexpr std::int64_t kUstarMtimeLimit = 0x7fffffff;

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::uint64_t padded(std::uint64_t bytes) { return (bytes + kTarBlock - 1) / kTarBlock * kTarBlock; }

// Whether ustar holds `path` as it is, or split at a '/' into a prefix of at most 155 bytes and a
// name of at most 100 (not empty), the split libarchive looks for.
bool fits_ustar(std::string_view path) {
  if (path.size() <= kUstarName) return true;
  auto split = path.find('/', path.size() - kUstarName - 1);
  if (split == 0) split = path.find('/', 1);  // never an empty prefix
  return split != std::string_view::npos && split + 1 < path.size() && split <= kUstarPrefix;
}

// "<length> <key>=<value>\n", where <length> counts the whole record, its own digits included.
std::uint64_t pax_record_size(std::string_view key, std::uint64_t value_bytes) {
  const std::uint64_t rest = 1 + key.size() + 1 + value_bytes + 1;
  std::uint64_t digits = 0;
  std::uint64_t next_ten = 1;
  for (auto left = rest; left > 0; left /= 10) {
    ++digits;
    next_ten *= 10;
  }
  if (rest + digits >= next_ten) ++digits;
  return rest + digits;
}

std::uint64_t decimal_digits(std::int64_t value) {
  std::uint64_t magnitude = value < 0 ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
  std::uint64_t digits = value < 0 ? 2 : 1;  // a minus sign, and at least one digit
  while (magnitude >= 10) {
    magnitude /= 10;
    ++digits;
  }
  return digits;
}

}  // namespace

void check_writable(const TarHeader& header) {
  // libarchive (3.6, in the C locale the tool runs in) cannot write other names: it crashes (NULL
  // strlen) on a file name that is not ASCII, and writes a link target that is not ASCII as an empty
  // one. Image archives name their files with digests and fixed names, so such a name is refused.
  if (!is_ascii(header.path)) throw Error(header.path, "entry name is not ASCII, cannot write it");
  const bool link = header.type == EntryType::symlink || header.type == EntryType::hardlink;
  if (link && !is_ascii(header.link_target)) {
    throw Error(header.path, "link target '" + header.link_target + "' is not ASCII, cannot write it");
  }
}

std::uint64_t tar_header_size(const TarHeader& header) {
  check_writable(header);
  // The writer gives a directory's name a trailing '/'.
  const bool slash = header.type == EntryType::directory && (header.path.empty() || header.path.back() != '/');
  const std::string path = slash ? header.path + '/' : header.path;
  std::uint64_t records = 0;
  if (!fits_ustar(path)) records += pax_record_size("path", path.size());
  const bool link = header.type == EntryType::symlink || header.type == EntryType::hardlink;
  if (link && header.link_target.size() > kUstarName) records += pax_record_size("linkpath", header.link_target.size());
  if (has_data(header) && header.size >= kUstarSizeLimit) {
    records += pax_record_size("size", decimal_digits(static_cast<std::int64_t>(header.size)));
  }
  if (header.mtime < 0 || header.mtime >= kUstarMtimeLimit) records += pax_record_size("mtime", decimal_digits(header.mtime));
  // The extended header is an entry of its own: a ustar header and its records, padded.
  return kTarBlock + (records > 0 ? kTarBlock + padded(records) : 0);
}

std::uint64_t tar_entry_size(const TarHeader& header) {
  return tar_header_size(header) + (has_data(header) ? padded(header.size) : 0);
}

}  // namespace dockerdiff::archive
