#include "dockerdiff/commands/output.hpp"

#include <unistd.h>

#include "dockerdiff/error.hpp"

namespace dockerdiff::commands {

void check_output_options(const std::string& command, const OutputCompression& output, const std::string& path) {
  if (output.level) {
    const int max = output.compression == archive::Compression::gzip ? 9 : 19;
    if (output.compression == archive::Compression::none) throw usage_error(command + ": --level needs --compress gzip or zstd");
    if (*output.level < 1 || *output.level > max) {
      throw usage_error(command + ": --level for " + std::string(archive::compression_name(output.compression)) +
                        " must be 1.." + std::to_string(max));
    }
  }
  if (path == "-" && ::isatty(1)) throw usage_error(command + ": refusing to write an archive to a terminal; redirect stdout");
}

std::unique_ptr<archive::ByteSink> make_output_sink(int fd, const std::string& name, const OutputCompression& output) {
  if (output.compression == archive::Compression::none) return archive::make_fd_sink(fd, name);
  return archive::make_compressing_sink(fd, name, output.compression, output.level.value_or(0));
}

}  // namespace dockerdiff::commands
