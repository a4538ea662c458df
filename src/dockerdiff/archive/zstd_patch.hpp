#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "dockerdiff/archive/byte_sink.hpp"

// zstd patches, as `zstd --patch-from` makes them: one zstd frame that rebuilds a target given a
// reference, the reference being both sides' prefix (ZSTD_CCtx_refPrefix / ZSTD_DCtx_refPrefix), with
// long-distance matching so that data of the reference is found wherever it moved to. The frame
// records the target's size and checksum. Both sides work on mapped files (mapped_file.hpp): neither the reference, the
// target nor the window is copied into this process's own memory.
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

// The size of the target a patch rebuilds, from its frame header; an Error naming `what` unless
// `patch` is one whole zstd frame that records it. Needs no reference (verify checks patches so).
std::uint64_t patch_target_size(std::span<const unsigned char> patch, const std::string& what);

// Rebuilds the target of `patch` from `reference` into the `size` bytes at `offset` of the file
// `out_fd`, written through a shared mapping (the file is extended to offset + size when shorter).
// An Error naming `what` for a corrupt or truncated patch, a patch of another reference (its
// checksum), a window over kMaxPatchWindowLog, or a patch whose target is not `size` bytes.
void apply_patch(std::span<const unsigned char> reference, std::span<const unsigned char> patch, int out_fd,
                 std::uint64_t offset, std::uint64_t size, const std::string& what);

}  // namespace dockerdiff::archive
