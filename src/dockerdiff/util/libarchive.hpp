#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <memory>

// Owners of libarchive's objects: a constructor that fails half-way frees what it made.
namespace dockerdiff {

struct ArchiveReaderFree {
  void operator()(struct archive* reader) const noexcept { archive_read_free(reader); }
};

// A writer is failed and closed before it is freed: archive_write_free alone leaks an open writer's
// output and filter state (zlib's, zstd's), and closing a failed writer writes nothing more (no
// padding, no end-of-archive marker) to a destination that is being abandoned.
struct ArchiveWriterFree {
  void operator()(struct archive* writer) const noexcept {
    archive_write_fail(writer);
    archive_write_close(writer);
    archive_write_free(writer);
  }
};

struct ArchiveEntryFree {
  void operator()(archive_entry* entry) const noexcept { archive_entry_free(entry); }
};

using ArchiveReader = std::unique_ptr<struct archive, ArchiveReaderFree>;
using ArchiveWriter = std::unique_ptr<struct archive, ArchiveWriterFree>;
using ArchiveEntry = std::unique_ptr<archive_entry, ArchiveEntryFree>;

}  // namespace dockerdiff
