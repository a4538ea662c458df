#pragma once

#include <memory>
#include <string>

#include "dockerdiff/archive/byte_sink.hpp"

namespace dockerdiff::archive {

// gzip on all cores: one standard gzip member (no name, no timestamp) whose deflate stream is made
// of 128 KiB blocks compressed side by side (archive/block_deflater.hpp). Block boundaries and
// dictionaries depend only on the input, so the bytes are the same whatever the number of workers.
// At most 2 × workers + 3 blocks are in flight (as in pigz), which bounds the memory (a few MiB).
//
// `level` 1..9 (0: 6, gzip's default); 1 is ISA-L's fast level, 2..9 are zlib's.
// `workers` 0 means one per core (at most 32). `name` names the output in errors; a worker's
// failure is thrown by the next write or finish. Destroyed unfinished (an error, an interrupt),
// the sink stops its workers and writes nothing more.
std::unique_ptr<ByteSink> make_parallel_gzip_sink(int fd, std::string name, int level, unsigned workers = 0);

}  // namespace dockerdiff::archive
