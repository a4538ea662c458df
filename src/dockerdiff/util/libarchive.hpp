#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <string_view>

// Owners of libarchive's objects (a constructor that fails half-way frees what it made), and the one
// loop over an entry's data blocks.
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

enum class DataRead { finished, failed };

// Hands each block of the current entry's data to `on_block` until the entry ends (or `on_block`
// returns false): finished; or failed where libarchive cannot read on (archive_error_string says why).
template <typename OnBlock>
DataRead read_data_blocks(struct archive* reader, OnBlock&& on_block) {
  while (true) {
    const void* buffer = nullptr;
    size_t length = 0;
    la_int64_t offset = 0;
    const int status = archive_read_data_block(reader, &buffer, &length, &offset);
    if (status == ARCHIVE_EOF) return DataRead::finished;
    if (status != ARCHIVE_OK && status != ARCHIVE_WARN) return DataRead::failed;
    if (!on_block(std::string_view(static_cast<const char*>(buffer), length))) return DataRead::finished;
  }
}

}  // namespace dockerdiff
