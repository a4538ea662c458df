#pragma once

// What the unit tests share besides the fixture writer and the process runner (process.hpp):
// per-test temporary directories, shell quoting, and before/after snapshots of a directory tree.

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

// "dockerdiff ARGS", for SCOPED_TRACE and messages.
std::string command_line(const std::vector<std::string>& args);

// Relative path -> what is there (type; size and content digest of a file; target of a symlink),
// for every entry below `root`: compared before and after a run.
std::map<std::string, std::string> snapshot(const std::filesystem::path& root);

// The leftovers of an atomic write: ".NAME.tmp-XXXXXX" anywhere under `root`.
std::vector<std::string> temporary_files(const std::filesystem::path& root);

}  // namespace dockerdiff::testing
