#pragma once

// What the unit tests share besides the fixture writer: per-test temporary directories, running an
// executable (the real dockerdiff) with its status and output captured, and before/after snapshots
// of a directory tree.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace dockerdiff::testing {

// A fresh, empty directory of its own under the system's temporary directory
// ("PREFIX-XXXXXX", made by mkdtemp), removed with all it holds when this goes out of scope.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "dockerdiff-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// `text` as one word for /bin/sh, whatever it holds: 'text', with each ' written '\''.
std::string shell_quote(const std::string& text);

struct RunResult {
  int status = -1;  // exit status; 128 + N when killed by signal N; 124 when it timed out
  std::string out;
  std::string err;
};

struct RunOptions {
  std::string stdin_path = "/dev/null";
  std::vector<std::string> env;  // "NAME=value", added to the environment of the run
};

// Runs `PROGRAM ARGS` through /bin/sh in `cwd`, stdin from options.stdin_path; stdout and stderr
// go to the files `io`/stdout and `io`/stderr, then are read back. A run that takes longer than
// `timeout_seconds` is killed (status 124; SIGKILL 5 seconds later if it does not stop): a hang
// is a failure, not a stuck suite.
RunResult run_program(const std::filesystem::path& program, const std::filesystem::path& cwd, const std::filesystem::path& io,
                      const std::vector<std::string>& args, int timeout_seconds, const RunOptions& options = {});

// "dockerdiff ARGS", for SCOPED_TRACE and messages.
std::string command_line(const std::vector<std::string>& args);

// Relative path -> what is there (type; size and content digest of a file; target of a symlink),
// for every entry below `root`: compared before and after a run.
std::map<std::string, std::string> snapshot(const std::filesystem::path& root);

// The leftovers of an atomic write: ".NAME.tmp-XXXXXX" anywhere under `root`.
std::vector<std::string> temporary_files(const std::filesystem::path& root);

}  // namespace dockerdiff::testing
