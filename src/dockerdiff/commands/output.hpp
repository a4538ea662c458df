#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/archive/compression.hpp"
#include "dockerdiff/commands/sources.hpp"

namespace dockerdiff::commands {

// How an archive command compresses what it writes (slim, restore).
struct OutputCompression {
  archive::Compression compression = archive::Compression::none;
  std::optional<int> level;  // the compressor's default when unset
};

// Usage errors for a level without compression or out of the compressor's range, and for an
// archive about to be written to a terminal. `command` prefixes the messages.
void check_output_options(const std::string& command, const OutputCompression& output, const std::string& path);

// A file a command is about to write: `option` names it in messages ("output", "--report").
struct OutputPath {
  std::string option;
  std::string path;              // "-" (stdout) is skipped
  bool parent_must_exist = true;  // false where the command creates the directory (--output-dir)
};

// Run before anything is read. Usage errors (exit 2) for an output that is also an input (the same
// file however it is spelled: ./, .., a symlink, a hard link), that lies inside an input directory
// (an OCI layout), or that is the same file as another output; then errors (exit 1) for a
// destination that cannot be a file (archive::check_output_destination). `inputs` are the command's
// sources (archives, directories, inventory files; stdin and engine images name no file).
void check_outputs(const std::string& command, const std::vector<OutputPath>& outputs, const std::vector<Source>& inputs);

// The sink an archive is written through: plain, or compressed by libarchive.
std::unique_ptr<archive::ByteSink> make_output_sink(int fd, const std::string& name, const OutputCompression& output);

}  // namespace dockerdiff::commands
