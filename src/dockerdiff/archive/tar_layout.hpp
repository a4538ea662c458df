#pragma once

#include <cstdint>

#include "dockerdiff/archive/tar_entry.hpp"

// The room TarWriter's entries take in a tar stream, by the rules of libarchive's restricted pax
// writer (which encodes the headers): arithmetic only, so that the planner can lay out an archive
// without encoding it. tests/unit/tar_layout_test.cpp holds the two to the same sizes.
namespace dockerdiff::archive {

inline constexpr std::uint64_t kTarBlock = 512;
// The end-of-archive marker TarWriter::finish writes: two zero blocks.
inline constexpr std::uint64_t kTarEndBytes = 2 * kTarBlock;

// Whether the entry carries data in the stream (regular files, and other files written as such).
inline bool has_data(const TarHeader& header) { return header.type == EntryType::regular || header.type == EntryType::other; }

// Refuses what TarWriter cannot write: a name or link target that is not ASCII (Error naming it).
void check_writable(const TarHeader& header);

// The bytes TarWriter puts before an entry's data: its ustar header, after a pax extended header
// where ustar cannot hold the entry (a long path or link target, a size of 8 GiB or more, an mtime
// before 1970 or after 2038).
std::uint64_t tar_header_size(const TarHeader& header);

// The bytes an entry takes in the stream: header, data and padding.
std::uint64_t tar_entry_size(const TarHeader& header);

}  // namespace dockerdiff::archive
