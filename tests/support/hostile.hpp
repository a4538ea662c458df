#pragma once

// The hostile corpus committed under tests/hostile/: small archives that each try one way of making
// the tool read or write outside the archive, exhaust memory or time, or trip over a corrupt input.
// Made here from the fixture writer (and, for the decompression bombs, by hand: zstd frames of RLE
// blocks), so that the suite can check the committed files are exactly what this code makes;
// rewrite them with the dockerdiff_make_hostile target. tests/hostile/expected.txt says what the
// tool must answer to each.

#include <string>
#include <utility>
#include <vector>

namespace dockerdiff::testing {

// File name -> bytes, in a fixed order.
std::vector<std::pair<std::string, std::string>> hostile_archives();

// The base the corpus is slimmed against (not committed: made by the test), and a sound target
// for the cases that give a hostile file as the base.
std::string hostile_base_archive();
std::string hostile_good_archive();

// A zstd frame that decompresses to `prefix` followed by `zeros` zero bytes, made of RLE blocks:
// 4 bytes per 128 KiB of output, about 32000:1.
std::string zstd_zero_bomb(const std::string& prefix, std::uint64_t zeros);

// A 512-byte ustar header for a regular file `name` of `size` bytes (size < 8 GiB).
std::string ustar_header(const std::string& name, std::uint64_t size);

}  // namespace dockerdiff::testing
