#pragma once

#include <memory>
#include <optional>
#include <string>

#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/archive/compression.hpp"

namespace dockerdiff::commands {

// How an archive command compresses what it writes (slim, restore).
struct OutputCompression {
  archive::Compression compression = archive::Compression::none;
  std::optional<int> level;  // the compressor's default when unset
};

// Usage errors for a level without compression or out of the compressor's range, and for an
// archive about to be written to a terminal. `command` prefixes the messages.
void check_output_options(const std::string& command, const OutputCompression& output, const std::string& path);

// The sink an archive is written through: plain, or compressed by libarchive.
std::unique_ptr<archive::ByteSink> make_output_sink(int fd, const std::string& name, const OutputCompression& output);

}  // namespace dockerdiff::commands
