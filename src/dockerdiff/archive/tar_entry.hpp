#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace dockerdiff::archive {

enum class EntryType { regular, directory, symlink, hardlink, other };

// One entry of an input archive (or one file of an OCI layout directory), as the catalog pass saw it.
struct TarEntry {
  std::string path;         // normalized (see path.hpp)
  EntryType type = EntryType::regular;
  std::string link_target;  // symlink target as stored, or the hard link's normalized target path
  std::uint64_t size = 0;
  std::uint32_t mode = 0644;
  std::int64_t mtime = 0;
  std::string magic;        // the first bytes of a regular file's data (up to 8), to sniff content
  // The whole data of small files that look like JSON (manifests, indexes, configs): the only file
  // contents the tool needs to decide anything.
  std::optional<std::string> content;
  // sha256 of the data, where the catalog pass read all of it (compressed archives).
  std::optional<std::string> digest;
  // Where the data lies in the input file, where it is a plain byte range (uncompressed tar: its
  // offset; directory: 0). Output can then place it at the same offset within a page.
  std::optional<std::uint64_t> data_offset;
};

// A header of an output entry.
struct TarHeader {
  std::string path;
  EntryType type = EntryType::regular;
  std::uint64_t size = 0;
  std::uint32_t mode = 0644;
  std::int64_t mtime = 0;
  std::string link_target;
};

}  // namespace dockerdiff::archive
