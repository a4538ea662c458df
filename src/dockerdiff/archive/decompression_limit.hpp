#pragma once

#include <cstdint>
#include <string>

namespace dockerdiff::archive {

// Error "<what>: decompresses to more than ...: a decompression bomb?" once `decompressed` bytes of a
// stream stored in `compressed` bytes pass limits::decompression_limit. Every reader of compressed
// data (whole archives, layer blobs) checks with this as it reads.
void check_decompressed_size(std::uint64_t decompressed, std::uint64_t compressed, const std::string& what);

}  // namespace dockerdiff::archive
