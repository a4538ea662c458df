#include "dockerdiff/archive/decompression_limit.hpp"

#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/limits.hpp"
#include "dockerdiff/util/units.hpp"

namespace dockerdiff::archive {

void check_decompressed_size(std::uint64_t decompressed, std::uint64_t compressed, const std::string& what) {
  const auto limit = limits::decompression_limit(compressed);
  if (decompressed <= limit) return;
  throw Error(what, "decompresses to more than " + human_bytes(limit) + " from " + human_bytes(compressed) +
              ", over the limit of " + std::to_string(limits::kMaxDecompressionRatio) +
              " times the compressed size (at least " + human_bytes(limits::kDecompressionFloor) +
              "): a decompression bomb?");
}

}  // namespace dockerdiff::archive
