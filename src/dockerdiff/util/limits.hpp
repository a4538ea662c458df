#pragma once

// Every limit the tool puts on what an input can make it do, in one place. Archives come from other
// teams and from the internet, and the tool runs unattended: each bound below keeps memory and time
// in proportion to a limit instead of to what a hostile input claims, and each is far beyond any
// real image. Exceeding one is an Error (exit 1) naming the file and the limit. README.md, "Safety",
// lists them; tests/hostile/ holds an archive that exceeds each.

#include <cstddef>
#include <cstdint>

namespace dockerdiff::limits {

// --- JSON: the only file contents the tool holds in memory ---------------------------------------

// One JSON document (manifest.json, index.json, a manifest, a config). A larger file that looks like
// JSON is never read into memory; naming one as a document is an error.
inline constexpr std::uint64_t kMaxJsonDocumentBytes = std::uint64_t{16} << 20;
// All JSON documents of one archive together.
inline constexpr std::uint64_t kMaxJsonDocumentsBytes = std::uint64_t{256} << 20;
// Nesting of arrays and objects in one document (deeper only serves to exhaust the stack).
inline constexpr int kMaxJsonDepth = 64;
// Values (including arrays and objects) in one parsed document: bounds the parsed form, which can
// take 20 times the memory of its text ("[[],[],...]").
inline constexpr std::size_t kMaxJsonValues = 2'000'000;
// An inventory file given as a base, and what an engine's CLI prints (docker image inspect).
inline constexpr std::uint64_t kMaxInventoryBytes = std::uint64_t{64} << 20;
inline constexpr std::uint64_t kMaxCommandOutputBytes = std::uint64_t{64} << 20;

// --- the archive's structure ----------------------------------------------------------------------

// Entries (files, directories, links) of one archive or OCI layout directory.
inline constexpr std::size_t kMaxEntries = 100'000;
// Bytes of one entry's name or link target (PATH_MAX), and of all names and link targets together.
inline constexpr std::size_t kMaxPathBytes = 4096;
inline constexpr std::uint64_t kMaxNamesBytes = std::uint64_t{64} << 20;
// Symlinks and hard links followed to reach one file (as many as Linux follows in one lookup).
inline constexpr int kMaxLinkHops = 40;
// Images in one archive, layers of one image, and layers of all its images together.
inline constexpr std::size_t kMaxImages = 10'000;
inline constexpr std::size_t kMaxLayersPerImage = 1'000;
inline constexpr std::size_t kMaxLayers = 100'000;
// OCI image indexes nested in one another, and manifest descriptors listed by all indexes of an
// archive together, nested ones included (an index listed 1000 times, listing one listed 1000 times,
// ... is a tiny file that would otherwise be walked for ever).
inline constexpr int kMaxIndexDepth = 8;
inline constexpr std::size_t kMaxIndexDescriptors = 100'000;

// --- decompression --------------------------------------------------------------------------------

// A compressed archive (or, for verify, a compressed layer blob) may decompress to at most
// kMaxDecompressionRatio times its compressed size, or to kDecompressionFloor, whichever is more.
// Real images compress 2-10x, and gzip cannot exceed about 1032x at all; a few KiB of bzip2 or zstd
// that expand to 100 GiB would otherwise keep the tool busy for many minutes.
inline constexpr std::uint64_t kDecompressionFloor = std::uint64_t{1} << 30;
inline constexpr std::uint64_t kMaxDecompressionRatio = 1024;

// The most a stream of `compressed_bytes` may decompress to.
constexpr std::uint64_t decompression_limit(std::uint64_t compressed_bytes) {
  const auto cap = ~std::uint64_t{0} / kMaxDecompressionRatio;
  const auto scaled = compressed_bytes >= cap ? ~std::uint64_t{0} : compressed_bytes * kMaxDecompressionRatio;
  return scaled > kDecompressionFloor ? scaled : kDecompressionFloor;
}

// --- delta archives ----------------------------------------------------------------------------------

// A layer rebuilt from a zstd patch against a reference layer may be at most the reference's size
// plus what the patch's own bytes may decompress to: a release adds files, it does not copy the
// previous layer many times over (which a patch of a few bytes could otherwise claim).
constexpr std::uint64_t patched_layer_limit(std::uint64_t reference_bytes, std::uint64_t patch_bytes) {
  const auto limit = decompression_limit(patch_bytes);
  return limit > ~std::uint64_t{0} - reference_bytes ? ~std::uint64_t{0} : limit + reference_bytes;
}

}  // namespace dockerdiff::limits
