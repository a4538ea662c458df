// Compresses one file with dockerdiff's gzip sink (archive/parallel_gzip_sink.hpp), to time it
// against pigz on the same file:
//
//   dockerdiff_gzip_file IN OUT [LEVEL [WORKERS]]    OUT "-" is stdout; LEVEL 0 (default) is 6,
//                                                    WORKERS 0 (default) one per core
//
//   time build/bench/dockerdiff_gzip_file in.tar - 6 > /dev/null;  time pigz -6 -c in.tar > /dev/null

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>

#include "dockerdiff/archive/parallel_gzip_sink.hpp"
#include "dockerdiff/util/posix.hpp"

namespace {

[[noreturn]] void failed(const std::string& path) { throw std::runtime_error(path + ": " + dockerdiff::errno_text()); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 5) {
    std::fprintf(stderr, "usage: dockerdiff_gzip_file IN OUT [LEVEL [WORKERS]]\n");
    return 2;
  }
  try {
    const std::string in_path = argv[1];
    const std::string out_path = argv[2];
    const int level = argc > 3 ? std::stoi(argv[3]) : 0;
    const auto workers = argc > 4 ? static_cast<unsigned>(std::stoul(argv[4])) : 0U;
    const dockerdiff::UniqueFd in(::open(in_path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat status {};
    if (in.get() < 0 || ::fstat(in.get(), &status) != 0) failed(in_path);
    const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
    const dockerdiff::UniqueFd out(out_path == "-" ? ::dup(1) : ::open(out_path.c_str(), flags, 0644));
    if (out.get() < 0) failed(out_path);
    auto sink = dockerdiff::archive::make_parallel_gzip_sink(out.get(), out_path, level, workers);
    sink->copy_range(in.get(), 0, static_cast<std::uint64_t>(status.st_size), in_path);
    sink->finish();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "dockerdiff_gzip_file: %s\n", error.what());
    return 1;
  }
  return 0;
}
