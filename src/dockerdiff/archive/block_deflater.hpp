#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace dockerdiff::archive {

// Raw deflate of one block of a gzip member, independently of the blocks around it (pigz's scheme):
// the block is primed with the 32 KiB before it as the dictionary and ends byte-aligned (a sync
// flush) unless it is the last, so that the compressed blocks concatenate into one deflate stream.
// The bytes depend only on the block, its dictionary and the level, never on which thread or in
// which order blocks are compressed. One deflater is reused by one thread for many blocks.
class BlockDeflater {
 public:
  virtual ~BlockDeflater() = default;
  // Replaces `output` with the compressed `input` (at most 4 GiB); Error if the compressor fails.
  virtual void compress(std::span<const unsigned char> dictionary, std::span<const unsigned char> input, bool last,
                        std::vector<unsigned char>& output) = 0;
};

// The most history a deflate stream refers back to: the dictionary of a block.
inline constexpr std::size_t kDeflateWindow = std::size_t{32} << 10;

// Level 1 through ISA-L (several times faster than zlib's level 1), levels 2..9 through zlib.
// `what` names the output in errors.
std::unique_ptr<BlockDeflater> make_block_deflater(int level, std::string_view what);

// CRC-32 (gzip's) of `data`, and of two pieces from theirs (the second `second_size` bytes long).
std::uint32_t crc32_of(std::span<const unsigned char> data);
std::uint32_t crc32_joined(std::uint32_t first, std::uint32_t second, std::uint64_t second_size);

}  // namespace dockerdiff::archive
