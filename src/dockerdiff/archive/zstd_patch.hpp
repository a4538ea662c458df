#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "dockerdiff/archive/byte_sink.hpp"

// zstd patches, as `zstd --patch-from` makes them: one zstd frame that rebuilds a target given a
// reference, the reference being both sides' prefix (ZSTD_CCtx_refPrefix / ZSTD_DCtx_refPrefix), with
// long-distance matching so that data of the reference is found wherever it moved to. The frame
// records the target's size and checksum. Both sides work on whole mapped files: neither the
// reference, the target nor the window is copied into this process's own memory.
namespace dockerdiff::archive {

// zstd's largest window (64-bit): a reference and its target must fit in it together.
constexpr unsigned kMaxPatchWindowLog = 31;

// The window log of a patch of `target_size` bytes against `reference_size` bytes (the smallest
// window holding both); nullopt when they do not fit in kMaxPatchWindowLog.
std::optional<unsigned> patch_window_log(std::uint64_t reference_size, std::uint64_t target_size);

// Writes the patch rebuilding `target` from `reference` into `out` (not finished). `level` is
// zstd's (3 is `zstd --patch-from`'s default). An Error naming `what` when they do not fit one window.
void write_patch(std::span<const unsigned char> reference, std::span<const unsigned char> target, ByteSink& out,
                 int level, const std::string& what);

// Rebuilds the target of `patch` from `reference` into the file `out_fd` (truncated to the target's
// size and written through a shared mapping). Returns the target's size. An Error naming `what` for a
// corrupt or truncated patch, a patch of another reference (its checksum), a window over
// kMaxPatchWindowLog, or a target over `max_size` bytes.
std::uint64_t apply_patch(std::span<const unsigned char> reference, std::span<const unsigned char> patch, int out_fd,
                          std::uint64_t max_size, const std::string& what);

// A regular file mapped read-only; its pages are the page cache's, not this process's memory.
class MappedFile {
 public:
  // Maps the whole of the file `fd` (an empty file maps to an empty span); `what` names it in errors.
  MappedFile(int fd, const std::string& what);
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const unsigned char> bytes() const { return {data_, size_}; }

 private:
  void map(int fd, const std::string& what);
  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace dockerdiff::archive
