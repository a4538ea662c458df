#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "dockerdiff/archive/archive_input.hpp"
#include "dockerdiff/image/base_set.hpp"
#include "dockerdiff/image/walk.hpp"

namespace dockerdiff::image {

struct VerifyResult {
  std::vector<Problem> problems;
  std::size_t layers_checked = 0;  // distinct non-empty layer entries rehashed against their diff_id
  std::size_t blobs_checked = 0;   // distinct blob entries hashed against their digest
  bool sound() const { return problems.empty(); }
};

struct VerifySettings {
  const BaseSet* bases = nullptr;  // with bases, every emptied layer's chain ID must be provided by them
  unsigned threads = 0;            // hashing workers; 0: verify_threads() (env, else hardware_concurrency)
};

// Checks the structure of an opened input (the document walk, collecting every problem) and rehashes
// every layer (decompressed where it is a gzip/zstd blob) against its diff_id and every blob against
// its digest. Collects every problem instead of stopping at the first.
VerifyResult verify_archive(archive::ArchiveInput& input, const VerifySettings& settings = {});

// DOCKERDIFF_VERIFY_THREADS when set to a positive number, else std::thread::hardware_concurrency().
unsigned verify_threads();

}  // namespace dockerdiff::image
