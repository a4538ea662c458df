#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "dockerdiff/archive/archive_input.hpp"

// verify's hashing engine: the data of each requested entry is read once and hashed as stored
// and/or decompressed (a gzip or zstd layer blob, through archive/decoder.hpp), on a pool of workers.
namespace dockerdiff::image {

struct HashRequest {
  std::size_t entry = 0;      // index into the input's entries
  bool raw = false;           // sha256 of the bytes as stored
  bool decompressed = false;  // sha256 of the decompressed bytes
};

struct HashOutcome {
  std::optional<std::string> raw_digest;
  std::optional<std::string> plain_digest;
  // Why the entry could not be hashed, without the "<archive>: <path>: " an Error would begin with.
  std::optional<std::string> error;
};

// One outcome per request, in the order of `requests`. Up to `workers` threads read the entries,
// largest first.
std::vector<HashOutcome> hash_entries(archive::ArchiveInput& input, const std::vector<HashRequest>& requests,
                                      unsigned workers);

}  // namespace dockerdiff::image
