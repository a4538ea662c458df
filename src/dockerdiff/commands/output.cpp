#include "dockerdiff/commands/output.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "dockerdiff/archive/atomic_output.hpp"
#include "dockerdiff/commands/sources.hpp"
#include "dockerdiff/util/error.hpp"

namespace dockerdiff::commands {

namespace fs = std::filesystem;

namespace {

// Where a rename to `path` lands: its directory resolved (symlinks, "..", "."), plus its own name,
// which the rename replaces rather than follows.
fs::path landing_path(const fs::path& path) {
  const auto directory = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code error;
  auto resolved = fs::weakly_canonical(directory, error);
  if (error) resolved = fs::absolute(directory, error).lexically_normal();
  return resolved / path.filename();
}

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code error;
  return fs::equivalent(a, b, error);
}

// `inner` is `outer` or lies below it (both resolved).
bool is_within(const fs::path& inner, const fs::path& outer) {
  return std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end()).first == outer.end();
}

}  // namespace

void check_output_options(const std::string& command, const OutputCompression& output, const std::string& path) {
  if (output.level) {
    const int max = output.compression == archive::Compression::gzip ? 9 : 19;
    if (output.compression == archive::Compression::none) throw usage_error(command, "--level needs --compress gzip or zstd");
    if (*output.level < 1 || *output.level > max) {
      throw usage_error(command, "--level for " + std::string(archive::compression_name(output.compression)) +
                        " must be 1.." + std::to_string(max));
    }
  }
  if (path == "-" && ::isatty(1)) throw usage_error(command, "refusing to write an archive to a terminal; redirect stdout");
}

void check_outputs(const std::string& command, const std::vector<OutputPath>& outputs, const std::vector<Source>& inputs) {
  std::vector<const OutputPath*> files;
  for (const auto& output : outputs) {
    if (!output.path.empty() && output.path != "-") files.push_back(&output);
  }
  for (const auto* output : files) {
    for (const auto& source : inputs) {
      const auto& spec = source.spec();
      const auto input = source.local_path();
      if (!input) continue;
      if (same_file(*input, output->path)) {
        throw usage_error(command, output->option + " " + output->path + " is also an input (" + spec + ")");
      }
      std::error_code error;
      if (fs::is_directory(*input, error)) {
        const auto directory = fs::canonical(*input, error);
        if (!error && is_within(landing_path(output->path), directory)) {
          throw usage_error(command, output->option + " " + output->path + " is inside the input directory " + spec);
        }
      }
    }
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (landing_path(files[i]->path) == landing_path(files[j]->path) || same_file(files[i]->path, files[j]->path)) {
        throw usage_error(command, files[i]->option + " " + files[i]->path + " is the same file as " +
                          files[j]->option + " " + files[j]->path);
      }
    }
  }
  for (const auto* output : files) archive::check_output_destination(output->path, output->parent_must_exist);
}

std::unique_ptr<archive::ByteSink> make_output_sink(int fd, const std::string& name, const OutputCompression& output) {
  if (output.compression == archive::Compression::none) return archive::make_fd_sink(fd, name);
  return archive::make_compressing_sink(fd, name, output.compression, output.level.value_or(0));
}

}  // namespace dockerdiff::commands
