#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "dockerdiff/archive/tar_entry.hpp"

namespace dockerdiff::plan {

// One entry of a planned output archive.
struct PlannedEntry {
  enum class Kind {
    directory,
    copy,      // data of entry `entry` of input `input`
    document,  // `data` is the content (generated or rewritten metadata)
    empty,     // a zero-length regular file: a dropped layer the host already has
    symlink,   // `data` is the target
    hardlink,  // `data` is the target path
    // data of entry `entry` of input `input` (a gzip or zstd layer blob) decompressed: `size` bytes
    // whose sha256 is `expected_digest` (the layer's diff_id), checked as they are written
    decompressed_copy,
  };
  Kind kind = Kind::copy;
  std::string path;
  std::size_t input = 0;
  std::size_t entry = 0;
  std::uint64_t size = 0;  // copy: bytes to copy; decompressed_copy: bytes once decompressed
  std::string data;
  std::string expected_digest;  // decompressed_copy only
  std::uint32_t mode = 0644;
  std::int64_t mtime = 0;
};

// A generated or rewritten document with `content`.
PlannedEntry document_entry(std::string path, std::string content);
PlannedEntry directory_entry(std::string path);
// The data of entry `data_entry` (`data`) of input `input`, written at `path` with `header`'s mtime.
PlannedEntry copy_entry(std::size_t input, std::size_t data_entry, const archive::TarEntry& data, std::string path,
                        const archive::TarEntry& header);

}  // namespace dockerdiff::plan
