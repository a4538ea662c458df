#pragma once

#include <string>
#include <string_view>

namespace dockerdiff::archive {

// Whole-archive or blob compression, as detected from content or chosen for output.
enum class Compression { none, gzip, zstd, xz, bzip2 };

std::string_view compression_name(Compression compression);
// The file-name suffix for an output compressed this way (".tar", ".tar.gz", ...).
std::string_view archive_suffix(Compression compression);
// Identifies compression from the first bytes of a stream (none when no known magic matches).
Compression detect_compression(std::string_view magic);

}  // namespace dockerdiff::archive
